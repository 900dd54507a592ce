package dev.relay.config;

import java.util.Objects;

/**
 * What the inner needs: where the outer is, the token, a name for the outer's logs, and the tuning. The routes come
 * from the outer at each handshake.
 */
public record InnerConfig(HostPort connect, Token token, String name, Tuning tuning) {
    /** The name an inner reports when none is configured. */
    public static final String DEFAULT_NAME = "inner";

    public InnerConfig {
        Objects.requireNonNull(connect, "inner.connect");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(name, "inner.name");
        Objects.requireNonNull(tuning, "tuning");
        if (connect.port() == 0) {
            throw new IllegalArgumentException("inner.connect: port 0 is out of range (1-65535)");
        }
        if (name.isBlank() || name.length() > 64) {
            throw new IllegalArgumentException("inner.name must be 1-64 characters");
        }
    }

    /** Defaults for everything but the essentials. */
    public static InnerConfig of(HostPort connect, Token token) {
        return new InnerConfig(connect, token, DEFAULT_NAME, Tuning.DEFAULTS);
    }

    public InnerConfig withTuning(Tuning t) {
        return new InnerConfig(connect, token, name, t);
    }

    public InnerConfig withConnect(HostPort c) {
        return new InnerConfig(c, token, name, tuning);
    }
}

package dev.relay.config;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One public port on the outer and the private target it leads to.
 *
 * @param idleTimeout how long a session may carry no byte in either direction before it is closed; zero means never
 * @param maxSessions the most concurrent sessions (and users waiting for one) this route allows
 */
public record Route(String name, HostPort listen, HostPort target, Duration idleTimeout, int maxSessions) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public Route {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name \"" + name
                    + "\" must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (target.port() == 0) {
            throw new IllegalArgumentException("target port 0 is out of range (1-65535)");
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must not be negative");
        }
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be at least 1, got " + maxSessions);
        }
    }

    /** A route with no idle timeout and the default session limit. */
    public static Route of(String name, HostPort listen, HostPort target) {
        return new Route(name, listen, target, Duration.ZERO, Tuning.DEFAULT_MAX_SESSIONS);
    }
}

package dev.relay.config;

import dev.relay.net.AddressRule;
import dev.relay.protocol.Names;
import java.util.List;
import java.util.Objects;

/**
 * What the inner needs: where the outers are, the token, a name for the outer's logs, how many idle data connections
 * to keep open at the outer, and the tuning. The routes come from the outer at each handshake.
 *
 * @param connect the outers' control ports: the inner keeps a control channel and a pool to each one
 * @param pool idle, authenticated data connections kept open at each outer, so a new session needs no handshake; 0
 *     turns it off
 * @param tls  how to verify every outer's certificate (one pin or CA for all of them); null means plain TCP
 * @param allowTargets the only targets this inner connects to, whatever routes the outer sends; empty means any
 * @param admin the admin endpoint, or null for none
 */
public record InnerConfig(
        List<HostPort> connect,
        Token token,
        String name,
        int pool,
        Tuning tuning,
        ClientTls tls,
        List<AddressRule> allowTargets,
        AdminConfig admin) {
    /** The name an inner reports when none is configured. */
    public static final String DEFAULT_NAME = "inner";
    /** Pool size when none is configured: enough for a burst of interactive connections, a few KiB each. */
    public static final int DEFAULT_POOL = 8;
    /** The largest pool an inner may ask for; the outer holds no more than this many idle connections per inner. */
    public static final int MAX_POOL = 256;
    /**
     * The most outers one inner may connect to: each costs a control channel, a pool and a share of the session slots,
     * and a list longer than this is more likely a mistake than a deployment.
     */
    public static final int MAX_OUTERS = 16;

    public InnerConfig {
        connect = List.copyOf(Objects.requireNonNull(connect, "inner.connect"));
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(name, "inner.name");
        Objects.requireNonNull(tuning, "tuning");
        allowTargets = List.copyOf(Objects.requireNonNull(allowTargets, "inner.allowTargets"));
        if (connect.isEmpty()) {
            throw new IllegalArgumentException("inner.connect: empty; give at least one outer's \"host:port\"");
        }
        if (connect.size() > MAX_OUTERS) {
            throw new IllegalArgumentException(
                    "inner.connect: " + connect.size() + " outers, at most " + MAX_OUTERS + " are allowed");
        }
        for (int i = 0; i < connect.size(); i++) {
            HostPort c = connect.get(i);
            if (c.port() == 0) {
                throw new IllegalArgumentException("inner.connect: port 0 is out of range (1-65535)");
            }
            if (connect.indexOf(c) != i) {
                throw new IllegalArgumentException("inner.connect: " + c + " is listed twice");
            }
        }
        Names.check("inner.name", name);
        if (pool < 0 || pool > MAX_POOL) {
            throw new IllegalArgumentException("inner.pool must be between 0 and " + MAX_POOL + ", got " + pool);
        }
    }

    /** Plain TCP to one outer, any target. */
    public InnerConfig(HostPort connect, Token token, String name, int pool, Tuning tuning) {
        this(List.of(connect), token, name, pool, tuning, null, List.of(), null);
    }

    /** Whether this inner may connect to {@code target}: listed in allowTargets, or no list at all. */
    public boolean allowsTarget(HostPort target) {
        if (allowTargets.isEmpty()) {
            return true;
        }
        for (AddressRule r : allowTargets) {
            if (r.matchesTarget(target.host(), target.port())) {
                return true;
            }
        }
        return false;
    }

    /** Defaults for everything but the essentials. */
    public static InnerConfig of(HostPort connect, Token token) {
        return new InnerConfig(connect, token, DEFAULT_NAME, DEFAULT_POOL, Tuning.DEFAULTS);
    }

    public InnerConfig withTuning(Tuning t) {
        return new InnerConfig(connect, token, name, pool, t, tls, allowTargets, admin);
    }

    /** The same, dialling only {@code c}. */
    public InnerConfig withConnect(HostPort c) {
        return withConnect(List.of(c));
    }

    public InnerConfig withConnect(List<HostPort> c) {
        return new InnerConfig(c, token, name, pool, tuning, tls, allowTargets, admin);
    }

    public InnerConfig withPool(int size) {
        return new InnerConfig(connect, token, name, size, tuning, tls, allowTargets, admin);
    }

    public InnerConfig withToken(Token t) {
        return new InnerConfig(connect, t, name, pool, tuning, tls, allowTargets, admin);
    }

    public InnerConfig withAllowTargets(List<AddressRule> rules) {
        return new InnerConfig(connect, token, name, pool, tuning, tls, rules, admin);
    }

    public InnerConfig withTls(ClientTls t) {
        return new InnerConfig(connect, token, name, pool, tuning, t, allowTargets, admin);
    }

    public InnerConfig withAdmin(AdminConfig a) {
        return new InnerConfig(connect, token, name, pool, tuning, tls, allowTargets, a);
    }
}

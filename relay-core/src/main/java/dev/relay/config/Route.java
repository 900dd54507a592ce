package dev.relay.config;

import dev.relay.net.AddressRule;
import dev.relay.protocol.Names;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One public port on the outer and the private target it leads to.
 *
 * @param idleTimeout how long a session may carry no byte in either direction before it is closed; zero means never
 * @param maxSessions the most concurrent sessions (and users waiting for one) this route allows
 * @param maxSessionsPerSource the most of those from any one user address (an IPv6 /64 counts as one), so one
 *     address cannot hold every slot; {@code maxSessions} itself means no further limit
 * @param allow       the user addresses (networks) this route accepts; empty means everyone
 * @param proxyProtocol the PROXY protocol header the inner writes to the target before the user's bytes, carrying
 *     the user's real address; null for none
 * @param acceptProxyProtocol whether users arrive through a load balancer that starts each connection with a PROXY
 *     header (only from {@code outer.trustedProxies}); the header's address is then the user's, everywhere
 * @param protocol    TCP (a session per connection) or UDP (a flow per user address, ended only by its idle timeout)
 * @param inners      the inners that may serve this route, by name, each with its weight; empty means any inner
 * @param balance     how a new session picks among the eligible connected inners
 * @param healthCheck how often each inner checks that the target accepts a TCP connection, and tells the outer (an
 *     inner whose target is down is passed over); zero for never
 */
public record Route(
        String name,
        HostPort listen,
        HostPort target,
        Duration idleTimeout,
        int maxSessions,
        int maxSessionsPerSource,
        List<AddressRule> allow,
        ProxyVersion proxyProtocol,
        boolean acceptProxyProtocol,
        Protocol protocol,
        List<InnerWeight> inners,
        Balance balance,
        Duration healthCheck) {
    /** The shortest health check interval: checks more often than this only load the target. */
    public static final Duration MIN_HEALTH_CHECK = Duration.ofMillis(100);
    /** The longest health check interval, an hour. */
    public static final Duration MAX_HEALTH_CHECK = Duration.ofHours(1);

    /** The weight of an inner a route names without one. */
    public static final int DEFAULT_WEIGHT = 1;
    /** The largest weight: a hundred to one is already a backup, not a share. */
    public static final int MAX_WEIGHT = 100;

    /** An inner a route may use, and its share of the route's new sessions relative to the others'. */
    public record InnerWeight(String name, int weight) {
        public InnerWeight {
            Names.check("name", name);
            if (weight < 1 || weight > MAX_WEIGHT) {
                throw new IllegalArgumentException(
                        "weight of \"" + name + "\" must be between 1 and " + MAX_WEIGHT + ", got " + weight);
            }
        }
    }

    /**
     * How a new session picks its inner: the fewest active sessions on this route per unit of weight, ties at random
     * (the default, which follows load as sessions end); or weighted round robin, which ignores load.
     */
    public enum Balance {
        FEWEST,
        ROUND_ROBIN
    }

    /**
     * How long a UDP flow may carry no datagram before it ends, unless the route says otherwise: UDP has no close, so
     * an idle timeout is the only end a flow has, and a minute outlasts the gaps of DNS, NTP, game and VPN traffic.
     */
    public static final Duration DEFAULT_UDP_IDLE_TIMEOUT = Duration.ofSeconds(60);

    /** What a route carries: TCP connections, or UDP datagrams grouped into flows by user address. */
    public enum Protocol {
        TCP,
        UDP
    }

    /** The PROXY protocol versions relay writes to a target: the text line (v1) or the binary header (v2). */
    public enum ProxyVersion {
        V1,
        V2
    }

    public Route {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(protocol, "protocol");
        allow = List.copyOf(Objects.requireNonNull(allow, "allow"));
        inners = List.copyOf(Objects.requireNonNull(inners, "inners"));
        Objects.requireNonNull(balance, "balance");
        Objects.requireNonNull(healthCheck, "healthCheck");
        if (!healthCheck.isZero()
                && (healthCheck.toMillis() < MIN_HEALTH_CHECK.toMillis()
                        || healthCheck.compareTo(MAX_HEALTH_CHECK) > 0)) {
            throw new IllegalArgumentException("healthCheckSeconds must be 0 (off) or between "
                    + MIN_HEALTH_CHECK.toMillis() / 1e3 + " and " + MAX_HEALTH_CHECK.toSeconds() + ", got "
                    + healthCheck.toMillis() / 1e3);
        }
        if (!healthCheck.isZero() && protocol == Protocol.UDP) {
            throw new IllegalArgumentException(
                    "healthCheckSeconds: not supported on a \"udp\" route (the check is a TCP connect)");
        }
        Set<String> named = new HashSet<>();
        for (InnerWeight w : inners) {
            if (!named.add(w.name())) {
                throw new IllegalArgumentException("inners: \"" + w.name() + "\" is listed twice");
            }
        }
        for (AddressRule r : allow) {
            if (r.isName() || r.port().isPresent()) {
                throw new IllegalArgumentException(
                        "allow: \"" + r + "\" must be an address or network, without a" + " port or host name");
            }
        }
        Names.check("name", name);
        if (target.port() == 0) {
            throw new IllegalArgumentException("target port 0 is out of range (1-65535)");
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must not be negative");
        }
        if (protocol == Protocol.UDP) {
            // A PROXY header is the start of a stream; a datagram route has none to put it in.
            if (proxyProtocol != null) {
                throw new IllegalArgumentException(
                        "proxyProtocol: not supported on a \"udp\" route (relay writes PROXY headers on TCP only)");
            }
            if (acceptProxyProtocol) {
                throw new IllegalArgumentException(
                        "acceptProxyProtocol: not supported on a \"udp\" route (relay reads PROXY headers on TCP only)");
            }
            if (idleTimeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout: must be positive on a \"udp\" route: a UDP flow has"
                        + " no other end, and would hold its sockets for ever");
            }
        }
        Tuning.checkMaxSessions("maxSessions", maxSessions);
        if (maxSessionsPerSource < 1 || maxSessionsPerSource > maxSessions) {
            throw new IllegalArgumentException("maxSessionsPerSource must be between 1 and maxSessions (" + maxSessions
                    + "), got " + maxSessionsPerSource);
        }
    }

    /** Any inner may serve it, picked by {@link Balance#FEWEST}. */
    public Route(
            String name,
            HostPort listen,
            HostPort target,
            Duration idleTimeout,
            int maxSessions,
            int maxSessionsPerSource,
            List<AddressRule> allow,
            ProxyVersion proxyProtocol,
            boolean acceptProxyProtocol,
            Protocol protocol) {
        this(
                name,
                listen,
                target,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                List.of(),
                Balance.FEWEST,
                Duration.ZERO);
    }

    /** Open to every user address, with no limit per address beyond the route's. */
    public Route(String name, HostPort listen, HostPort target, Duration idleTimeout, int maxSessions) {
        this(name, listen, target, idleTimeout, maxSessions, maxSessions, List.of(), null, false, Protocol.TCP);
    }

    /** A TCP route with every field given, as before routes had a protocol. */
    public Route(
            String name,
            HostPort listen,
            HostPort target,
            Duration idleTimeout,
            int maxSessions,
            int maxSessionsPerSource,
            List<AddressRule> allow,
            ProxyVersion proxyProtocol,
            boolean acceptProxyProtocol) {
        this(
                name,
                listen,
                target,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                Protocol.TCP);
    }

    /** A UDP route with the default idle timeout and session limit, open to every user address. */
    public static Route udp(String name, HostPort listen, HostPort target) {
        return new Route(
                name,
                listen,
                target,
                DEFAULT_UDP_IDLE_TIMEOUT,
                Tuning.DEFAULT_MAX_SESSIONS,
                Tuning.DEFAULT_MAX_SESSIONS,
                List.of(),
                null,
                false,
                Protocol.UDP);
    }

    /** Whether this route carries datagrams. */
    public boolean isUdp() {
        return protocol == Protocol.UDP;
    }

    /** A route with no idle timeout, the default session limit, open to every user address. */
    public static Route of(String name, HostPort listen, HostPort target) {
        return new Route(name, listen, target, Duration.ZERO, Tuning.DEFAULT_MAX_SESSIONS);
    }

    public Route withAllow(List<AddressRule> rules) {
        return new Route(
                name,
                listen,
                target,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                rules,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                inners,
                balance,
                healthCheck);
    }

    public Route withListen(HostPort l) {
        return new Route(
                name,
                l,
                target,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                inners,
                balance,
                healthCheck);
    }

    public Route withMaxSessionsPerSource(int n) {
        return new Route(
                name,
                listen,
                target,
                idleTimeout,
                maxSessions,
                n,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                inners,
                balance,
                healthCheck);
    }

    public Route withTarget(HostPort t) {
        return new Route(
                name,
                listen,
                t,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                inners,
                balance,
                healthCheck);
    }

    /** This route with a PROXY header of {@code version} written to its target (null for none). */
    public Route withProxyProtocol(ProxyVersion version) {
        return new Route(
                name,
                listen,
                target,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                allow,
                version,
                acceptProxyProtocol,
                protocol,
                inners,
                balance,
                healthCheck);
    }

    /** This route reading a PROXY header from its trusted load balancers, or not. */
    public Route withAcceptProxyProtocol(boolean accept) {
        return new Route(
                name,
                listen,
                target,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                allow,
                proxyProtocol,
                accept,
                protocol,
                inners,
                balance,
                healthCheck);
    }

    /** This route with an idle timeout of {@code d}. */
    public Route withIdleTimeout(Duration d) {
        return new Route(
                name,
                listen,
                target,
                d,
                maxSessions,
                maxSessionsPerSource,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                inners,
                balance,
                healthCheck);
    }

    /** This route with a session (flow) limit of {@code n}, and no lower limit per address. */
    public Route withMaxSessions(int n) {
        return new Route(
                name,
                listen,
                target,
                idleTimeout,
                n,
                n,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                inners,
                balance,
                healthCheck);
    }

    /** This route served only by {@code names} (weight 1 each; empty for any inner). */
    public Route withInners(List<InnerWeight> names, Balance b) {
        return new Route(
                name,
                listen,
                target,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                names,
                b,
                healthCheck);
    }

    /** This route with its target checked by each inner every {@code every} (zero for never). */
    public Route withHealthCheck(Duration every) {
        return new Route(
                name,
                listen,
                target,
                idleTimeout,
                maxSessions,
                maxSessionsPerSource,
                allow,
                proxyProtocol,
                acceptProxyProtocol,
                protocol,
                inners,
                balance,
                every);
    }

    /** Whether the inner named {@code inner} may serve this route. */
    public boolean servedBy(String inner) {
        if (inners.isEmpty()) {
            return true;
        }
        for (InnerWeight w : inners) {
            if (w.name().equals(inner)) {
                return true;
            }
        }
        return false;
    }

    /** The weight of {@code inner} on this route ({@link #DEFAULT_WEIGHT} where the route names no inner). */
    public int weight(String inner) {
        for (InnerWeight w : inners) {
            if (w.name().equals(inner)) {
                return w.weight();
            }
        }
        return DEFAULT_WEIGHT;
    }

    /** Whether a user from {@code address} may use this route. */
    public boolean allows(InetAddress address) {
        if (allow.isEmpty()) {
            return true;
        }
        for (AddressRule r : allow) {
            if (r.matches(address)) {
                return true;
            }
        }
        return false;
    }
}

package dev.relay.config;

import dev.relay.net.AddressRule;
import dev.relay.protocol.Names;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

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
        boolean acceptProxyProtocol) {
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
        allow = List.copyOf(Objects.requireNonNull(allow, "allow"));
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
        Tuning.checkMaxSessions("maxSessions", maxSessions);
        if (maxSessionsPerSource < 1 || maxSessionsPerSource > maxSessions) {
            throw new IllegalArgumentException("maxSessionsPerSource must be between 1 and maxSessions (" + maxSessions
                    + "), got " + maxSessionsPerSource);
        }
    }

    /** Open to every user address, with no limit per address beyond the route's. */
    public Route(String name, HostPort listen, HostPort target, Duration idleTimeout, int maxSessions) {
        this(name, listen, target, idleTimeout, maxSessions, maxSessions, List.of(), null, false);
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
                acceptProxyProtocol);
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
                acceptProxyProtocol);
    }

    public Route withMaxSessionsPerSource(int n) {
        return new Route(name, listen, target, idleTimeout, maxSessions, n, allow, proxyProtocol, acceptProxyProtocol);
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
                acceptProxyProtocol);
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
                acceptProxyProtocol);
    }

    /** This route reading a PROXY header from its trusted load balancers, or not. */
    public Route withAcceptProxyProtocol(boolean accept) {
        return new Route(
                name, listen, target, idleTimeout, maxSessions, maxSessionsPerSource, allow, proxyProtocol, accept);
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

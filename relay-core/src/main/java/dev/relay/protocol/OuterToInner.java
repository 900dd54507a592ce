package dev.relay.protocol;

import java.util.List;
import java.util.Objects;

/** Messages the outer sends to the inner, on a control or a data connection. */
public sealed interface OuterToInner extends Message
        permits OuterToInner.Challenge,
                OuterToInner.Welcome,
                OuterToInner.Routes,
                OuterToInner.Open,
                OuterToInner.Ready,
                Message.Heartbeat,
                Message.Error {

    /** Answers {@link InnerToOuter.Hello}: the outer's nonce, and proof that the outer holds the token too. */
    record Challenge(int version, String nonce, String proof) implements OuterToInner {
        public Challenge {
            Nonce.check(nonce);
            Nonce.checkProof(proof);
        }
    }

    /**
     * The control channel is open: the routes the inner serves, how often each side sends a heartbeat, and this
     * channel's id, which the inner's pooled connections present so that only this inner's connections join its pool.
     */
    record Welcome(List<RouteSpec> routes, long heartbeatMillis, String channel) implements OuterToInner {
        /** Longest heartbeat interval a peer may ask for: an hour. */
        public static final long MAX_HEARTBEAT_MILLIS = 3_600_000;

        public Welcome {
            routes = List.copyOf(Objects.requireNonNull(routes, "routes"));
            if (heartbeatMillis <= 0 || heartbeatMillis > MAX_HEARTBEAT_MILLIS) {
                throw new IllegalArgumentException("heartbeatMillis must be between 1 and " + MAX_HEARTBEAT_MILLIS);
            }
            Nonce.checkId("channel", channel);
        }
    }

    /**
     * The route table changed (the outer reloaded its configuration): on the control channel, every route as in
     * {@link Welcome}, replacing the inner's list for new sessions; sessions already running keep theirs. The inner
     * answers with {@link InnerToOuter.RoutesApplied} naming the same {@code generation}; until then the outer sends
     * users of a new or changed route by the control channel, which the inner reads in order, not on a pooled
     * connection, whose Open could overtake this message.
     */
    record Routes(long generation, List<RouteSpec> routes) implements OuterToInner {
        public Routes {
            routes = List.copyOf(Objects.requireNonNull(routes, "routes"));
        }
    }

    /**
     * A user connected to a route. On the control channel: dial a data connection that names this session. On a
     * pooled data connection: this connection is the session, and the user's bytes follow this frame directly. There
     * it also carries a {@code ticket} for the pooled connection that replaces this one ({@link InnerToOuter.PoolAuth};
     * null when the outer has none to give), and, on a connection that authenticated with a ticket, the outer's
     * {@code proof}, which the inner checks before it acts on the Open (null otherwise). {@code user} is the user's
     * address and {@code local} the route address it reached, as {@code ip:port}, for a PROXY header to the target
     * (null when the route writes none). {@code confirm} (on a pooled connection, since version 5): answer on this
     * connection with {@link InnerToOuter.Opened} once the target is reached, or {@link InnerToOuter.OpenFailed}; the
     * outer sends the user's bytes only after Opened, so that it can still ask another inner; null or false otherwise.
     */
    record Open(String session, String route, String ticket, String proof, String user, String local, Boolean confirm)
            implements OuterToInner {
        public Open {
            Nonce.checkId("session", session);
            Names.check("route", route);
            if (ticket != null) {
                Nonce.check(ticket);
            }
            if (proof != null) {
                Nonce.checkProof(proof);
            }
            if ((user == null) != (local == null)) {
                throw new IllegalArgumentException("user and local go together");
            }
            if (user != null) {
                Endpoints.check("user", user);
                Endpoints.check("local", local);
            }
        }

        /** An Open with neither ticket nor proof, as on the control channel. */
        public Open(String session, String route) {
            this(session, route, null, null, null, null, null);
        }

        /** An Open that names no addresses. */
        public Open(String session, String route, String ticket, String proof) {
            this(session, route, ticket, proof, null, null, null);
        }

        /** An Open that asks for no confirmation. */
        public Open(String session, String route, String ticket, String proof, String user, String local) {
            this(session, route, ticket, proof, user, local, null);
        }

        /** The same Open, naming the user's address and the route address it reached. */
        public Open withAddresses(String userAddress, String localAddress) {
            return new Open(session, route, ticket, proof, userAddress, localAddress, confirm);
        }

        /** The same Open, asking the inner to confirm the target on the pooled connection before the user's bytes. */
        public Open confirmed() {
            return new Open(session, route, ticket, proof, user, local, true);
        }

        /** Whether the outer waits for {@link InnerToOuter.Opened} before it sends the user's bytes. */
        public boolean confirms() {
            return Boolean.TRUE.equals(confirm);
        }
    }

    /**
     * The data connection is paired with its user; from the next byte on it carries only the session's bytes. After a
     * {@link InnerToOuter.DataAuth} it carries the outer's {@code proof} (HMAC of the token over the inner's nonce and
     * the session id, under the outer's label), which the inner checks before it sends a byte; after the challenge
     * exchange the outer proved itself already and {@code proof} is null.
     */
    record Ready(String proof) implements OuterToInner {
        public Ready {
            if (proof != null) {
                Nonce.checkProof(proof);
            }
        }

        /** Ready after the challenge exchange, which proved the outer already. */
        public Ready() {
            this(null);
        }
    }

    /**
     * One route as the inner knows it: a name, the private target it leads to, the PROXY header it writes there,
     * whether it carries a TCP stream or UDP datagrams ({@code "tcp"} or {@code "udp"}), and how often the inner checks
     * that the target accepts a TCP connection ({@code healthCheckMillis}; null for never), telling the outer with
     * {@link InnerToOuter.TargetHealth}. The target is only bounded here; the inner parses it, and refuses that one
     * route (not the whole Welcome) if it cannot.
     */
    record RouteSpec(String name, String target, String proxyProtocol, String protocol, Long healthCheckMillis) {
        /** The shortest health check interval a route may ask for. */
        public static final long MIN_HEALTH_CHECK_MILLIS = 100;

        /** The longest {@code host:port} there is: a 253-character DNS name, or a bracketed IPv6 literal, and a port. */
        public static final int MAX_TARGET_LENGTH = 260;
        /** {@link #protocol} of a route whose sessions are TCP streams. */
        public static final String TCP = "tcp";
        /** {@link #protocol} of a route whose sessions are UDP flows, framed by {@link Datagrams}. */
        public static final String UDP = "udp";

        public RouteSpec {
            Names.check("route", name);
            Objects.requireNonNull(target, "target");
            if (target.length() > MAX_TARGET_LENGTH) {
                throw new IllegalArgumentException(
                        "target is " + target.length() + " characters, over " + MAX_TARGET_LENGTH);
            }
            if (proxyProtocol != null && !proxyProtocol.equals("v1") && !proxyProtocol.equals("v2")) {
                throw new IllegalArgumentException("proxyProtocol must be \"v1\", \"v2\" or null");
            }
            if (!TCP.equals(protocol) && !UDP.equals(protocol)) {
                throw new IllegalArgumentException("protocol must be \"tcp\" or \"udp\"");
            }
            if (UDP.equals(protocol) && proxyProtocol != null) {
                throw new IllegalArgumentException("a udp route has no proxyProtocol");
            }
            if (healthCheckMillis != null
                    && (healthCheckMillis < MIN_HEALTH_CHECK_MILLIS
                            || healthCheckMillis > Welcome.MAX_HEARTBEAT_MILLIS
                            || UDP.equals(protocol))) {
                throw new IllegalArgumentException("healthCheckMillis must be null, or between "
                        + MIN_HEALTH_CHECK_MILLIS + " and " + Welcome.MAX_HEARTBEAT_MILLIS + " on a tcp route");
            }
        }

        /** A route whose target is not checked. */
        public RouteSpec(String name, String target, String proxyProtocol, String protocol) {
            this(name, target, proxyProtocol, protocol, null);
        }

        /** A TCP route with no PROXY header to its target. */
        public RouteSpec(String name, String target) {
            this(name, target, null, TCP);
        }

        /** Whether this route's sessions carry datagrams. */
        public boolean udp() {
            return UDP.equals(protocol);
        }
    }
}

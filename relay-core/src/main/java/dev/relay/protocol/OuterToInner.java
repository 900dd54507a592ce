package dev.relay.protocol;

import java.util.List;
import java.util.Objects;

/** Messages the outer sends to the inner, on a control or a data connection. */
public sealed interface OuterToInner extends Message
        permits OuterToInner.Challenge,
                OuterToInner.Welcome,
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
     * A user connected to a route. On the control channel: dial a data connection that names this session. On a
     * pooled data connection: this connection is the session, and the user's bytes follow this frame directly. There
     * it also carries a {@code ticket} for the pooled connection that replaces this one ({@link InnerToOuter.PoolAuth};
     * null when the outer has none to give), and, on a connection that authenticated with a ticket, the outer's
     * {@code proof}, which the inner checks before it acts on the Open (null otherwise).
     */
    record Open(String session, String route, String ticket, String proof) implements OuterToInner {
        public Open {
            Nonce.checkId("session", session);
            Names.check("route", route);
            if (ticket != null) {
                Nonce.check(ticket);
            }
            if (proof != null) {
                Nonce.checkProof(proof);
            }
        }

        /** An Open with neither ticket nor proof, as on the control channel. */
        public Open(String session, String route) {
            this(session, route, null, null);
        }
    }

    /** The data connection is paired with its user; from the next byte on it carries only the session's bytes. */
    record Ready() implements OuterToInner {}

    /**
     * One route as the inner knows it: a name and the private target it leads to. The target is only bounded here;
     * the inner parses it, and refuses that one route (not the whole Welcome) if it cannot.
     */
    record RouteSpec(String name, String target) {
        /** The longest {@code host:port} there is: a 253-character DNS name, or a bracketed IPv6 literal, and a port. */
        public static final int MAX_TARGET_LENGTH = 260;

        public RouteSpec {
            Names.check("route", name);
            Objects.requireNonNull(target, "target");
            if (target.length() > MAX_TARGET_LENGTH) {
                throw new IllegalArgumentException(
                        "target is " + target.length() + " characters, over " + MAX_TARGET_LENGTH);
            }
        }
    }
}

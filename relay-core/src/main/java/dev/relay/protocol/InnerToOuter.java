package dev.relay.protocol;

import java.util.Objects;

/** Messages the inner sends to the outer, on a control or a data connection. */
public sealed interface InnerToOuter extends Message
        permits InnerToOuter.Hello,
                InnerToOuter.Name,
                InnerToOuter.Auth,
                InnerToOuter.PoolAuth,
                InnerToOuter.DataAuth,
                InnerToOuter.OpenFailed,
                InnerToOuter.RoutesApplied,
                InnerToOuter.TargetHealth,
                InnerToOuter.Opened,
                Message.Heartbeat,
                Message.Error {

    /** First frame of every connection: the protocol version, what the connection is for, and a fresh nonce. */
    record Hello(int version, Purpose purpose, String nonce) implements InnerToOuter {
        public Hello {
            Objects.requireNonNull(purpose, "purpose");
            Nonce.check(nonce);
        }
    }

    /**
     * Follows {@link Hello} at once, without waiting: the inner's name, so that the outer proves itself with that
     * inner's own token ({@code outer.inners}) before the inner proves anything. Since version 5; a separate frame so
     * that Hello stays the same across versions, and an outer of another version refuses it by the version alone.
     */
    record Name(String name) implements InnerToOuter {
        public Name {
            Names.check("name", name);
        }
    }

    /**
     * Answers the outer's {@link OuterToInner.Challenge}: proof that the inner holds the token, its name (a label for
     * logs), and what the connection belongs to: on a DATA connection the session it answers, on a POOL connection the
     * control channel's id from {@link OuterToInner.Welcome}, on the control connection nothing.
     */
    record Auth(String proof, String name, String session) implements InnerToOuter {
        public Auth {
            Nonce.checkProof(proof);
            Names.check("name", name);
            if (session != null) {
                Nonce.checkId("session", session);
            }
        }
    }

    /**
     * The whole handshake of a pooled connection in one frame, instead of {@link Hello}, Challenge and {@link Auth}: the
     * outer's nonce is a single-use {@code ticket} it sent in an earlier {@link OuterToInner.Open}, so the inner can
     * prove itself at once ({@code proof} as in Auth, over {@code nonce} and the ticket). The outer proves itself later,
     * in the Open it sends on this connection. {@code channel} is the control channel's id, as in a POOL Auth.
     */
    record PoolAuth(int version, String nonce, String ticket, String proof, String name, String channel)
            implements InnerToOuter {
        public PoolAuth {
            Nonce.check(nonce);
            Nonce.check(ticket);
            Nonce.checkProof(proof);
            Names.check("name", name);
            Nonce.checkId("channel", channel);
        }
    }

    /**
     * The whole handshake of a data connection in one frame, over TLS only, instead of {@link Hello}, Challenge and
     * {@link Auth}: the outer's nonce is the {@code session} id from the Open that asked for this connection, which only
     * the authenticated inner has read (inside TLS) and which the outer pairs once. {@code proof} is as in Auth, over
     * {@code nonce} and the session id, under a label of its own; the outer proves itself in its {@link
     * OuterToInner.Ready}. Since version 7.
     */
    record DataAuth(int version, String nonce, String session, String proof, String name) implements InnerToOuter {
        public DataAuth {
            Nonce.check(nonce);
            Nonce.checkId("session", session);
            Nonce.checkProof(proof);
            Names.check("name", name);
        }
    }

    /**
     * On a pooled connection whose Open asked to {@link OuterToInner.Open#confirm confirm}: the target is reached, and
     * this connection carries the session's bytes from the next byte on.
     */
    record Opened(String session) implements InnerToOuter {
        public Opened {
            Nonce.checkId("session", session);
        }
    }

    /**
     * The inner could not reach the route's target for this session: on the control channel, or on a pooled connection
     * whose Open asked to confirm (which the inner then closes). The outer asks another inner once, else closes the
     * waiting user.
     */
    record OpenFailed(String session, String reason) implements InnerToOuter {
        public OpenFailed {
            Nonce.checkId("session", session);
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The inner serves the table of {@link OuterToInner.Routes} with this generation from now on. */
    record RoutesApplied(long generation) implements InnerToOuter {}

    /**
     * Control channel only: a route's target started or stopped accepting TCP connections from this inner, by the
     * check {@link OuterToInner.RouteSpec#healthCheckMillis} asks for. Sent on each change, and first when a check
     * finds the target down (the outer assumes up); {@code reason} says why it is down, null when up.
     */
    record TargetHealth(String route, boolean up, String reason) implements InnerToOuter {
        public TargetHealth {
            Names.check("route", route);
            if (up != (reason == null)) {
                throw new IllegalArgumentException("a reason goes with down, and only with down");
            }
        }
    }

    /**
     * What a connection is for: the control channel; a data connection answering one Open; an idle data connection
     * for the outer's pool, which waits for an Open sent on itself; or, over TLS, a connection that carries many data
     * connections at once as streams ({@link dev.relay.mux.Mux}).
     */
    enum Purpose {
        CONTROL,
        DATA,
        POOL,
        MUX
    }
}

package dev.relay.auth;

import dev.relay.config.Token;
import dev.relay.protocol.Channel;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.Auth;
import dev.relay.protocol.InnerToOuter.DataAuth;
import dev.relay.protocol.InnerToOuter.Hello;
import dev.relay.protocol.InnerToOuter.PoolAuth;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.OuterToInner.Challenge;
import dev.relay.protocol.ProtocolException;
import java.io.IOException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Mutual challenge-response, the first three frames of every connection but the one-frame ones over TLS (below):
 * <pre>
 * inner → outer  Hello(version, purpose, innerNonce), Name(name)
 * outer → inner  Challenge(version, outerNonce, HMAC(token, "outer", innerNonce, outerNonce))
 * inner → outer  Auth(HMAC(token, "inner", innerNonce, outerNonce), name, session)
 * </pre>
 * The inner checks the outer's proof before it proves itself, so an impostor outer learns nothing and can make the
 * inner open nothing. The token is the named inner's own where the outer lists one for it ({@code outer.inners}), so
 * the Name comes first, in the same write as the Hello. Callers put a deadline on the whole exchange.
 *
 * <p>A pooled connection whose inner holds a ticket (a single-use nonce the outer sent in an Open) skips the round
 * trip: its only frame is {@code PoolAuth(version, innerNonce, ticket, HMAC(token, "pool inner", innerNonce, ticket),
 * name, channel)}, and the outer proves itself with {@code HMAC(token, "pool outer", innerNonce, ticket)} in the Open
 * it later sends on that connection, which the inner checks before it acts on it. Each new pooled connection so costs
 * both sides one wake-up less; a ticket is spent at its first use, so a PoolAuth cannot be replayed.
 *
 * <p>A data connection over TLS does the same with the session id of the Open it answers in place of a ticket: {@code
 * DataAuth(version, innerNonce, session, HMAC(token, "data inner", innerNonce, session), name)}, answered by {@code
 * Ready(HMAC(token, "data outer", innerNonce, session))}, which the inner checks before the session's first byte. Only
 * the inners the outer asked read that id, inside TLS, and the outer pairs a session once, so a user waits one round
 * trip less for every session the pool cannot serve. Over plain TCP a tap reads the id as well, so there both stay on
 * the challenge.
 */
public final class Handshake {
    /** The protocol version this build speaks. */
    public static final int VERSION = 8;

    private Handshake() {}

    /**
     * What an authenticated inner asked for. {@code session} is set on a data connection. {@code outerProof} is what the
     * outer still owes after a one-frame handshake: the proof for the Open on a pooled connection that came with a
     * ticket, or for the Ready on a data connection that came with DataAuth; null after the challenge exchange.
     */
    public record Greeting(Purpose purpose, String name, String session, String outerProof) {}

    /**
     * The outer's side: returns the greeting of an inner that proved it holds the token, or throws. {@code redeem}
     * takes a ticket out of the outer's list of unused ones, false if it is not there; null on plain TCP, where a
     * PoolAuth or DataAuth could be read on the wire and replayed, so neither is taken.
     */
    public static Greeting accept(Channel ch, Token token, Predicate<String> redeem) throws IOException {
        return accept(ch, name -> token, redeem);
    }

    /**
     * The same, where each inner name may have its own token: {@code tokens} gives the token the named inner must
     * hold, or null when no inner of that name may connect at all.
     */
    public static Greeting accept(Channel ch, Function<String, Token> tokens, Predicate<String> redeem)
            throws IOException {
        InnerToOuter first = ch.expect(InnerToOuter.class, InnerToOuter.class);
        return switch (first) {
            case Hello h -> acceptHello(ch, tokens, h);
            case PoolAuth p -> acceptTicket(ch, tokenFor(ch, tokens, p.name()), redeem, p);
            case DataAuth d -> acceptData(ch, tokens, redeem != null, d);
            case InnerToOuter.Name n -> throw unexpected(n);
            case Auth a -> throw unexpected(a);
            case InnerToOuter.OpenFailed f -> throw unexpected(f);
            case InnerToOuter.RoutesApplied r -> throw unexpected(r);
            case InnerToOuter.TargetHealth t -> throw unexpected(t);
            case InnerToOuter.Opened o -> throw unexpected(o);
            case Message.Heartbeat h -> throw unexpected(h);
            case Message.Error e -> throw unexpected(e);
        };
    }

    private static void checkVersion(Channel ch, int version) throws AuthException {
        if (version != VERSION) {
            String why = "protocol version " + version + " is not supported; this outer speaks " + VERSION;
            ch.fail(why);
            throw new AuthException(why);
        }
    }

    private static Token tokenFor(Channel ch, Function<String, Token> tokens, String name) throws AuthException {
        Token token = tokens.apply(name);
        if (token == null) {
            String why = "no inner named \"" + name + "\" may connect to this outer (not in outer.inners)";
            ch.fail(why);
            throw new AuthException(why);
        }
        return token;
    }

    private static Greeting acceptHello(Channel ch, Function<String, Token> tokens, Hello hello) throws IOException {
        checkVersion(ch, hello.version());
        String name = ch.expect(InnerToOuter.class, InnerToOuter.Name.class).name();
        Token token = tokenFor(ch, tokens, name);
        String outerNonce = Nonce.next();
        ch.send(new Challenge(VERSION, outerNonce, Proof.of(token, Proof.OUTER, hello.nonce(), outerNonce)));
        Auth auth = ch.expect(InnerToOuter.class, Auth.class);
        requireInnerProof(ch, Proof.of(token, Proof.INNER, hello.nonce(), outerNonce), auth.proof(), name);
        if (!auth.name().equals(name)) {
            String why = "Auth names inner \"" + auth.name() + "\" but Name said \"" + name + "\"";
            ch.fail(why);
            throw new AuthException(why);
        }
        // DATA names the session it answers, POOL and MUX the control channel they serve; CONTROL names nothing.
        if ((hello.purpose() == Purpose.CONTROL) != (auth.session() == null)) {
            String why = "a " + hello.purpose() + " connection " + (auth.session() == null ? "needs" : "takes no")
                    + (hello.purpose() == Purpose.DATA ? " session id" : " control channel id");
            ch.fail(why);
            throw new AuthException(why);
        }
        return new Greeting(hello.purpose(), auth.name(), auth.session(), null);
    }

    /** Refuses, telling the inner why, unless {@code presented} is the {@code expected} proof. */
    private static void requireInnerProof(Channel ch, String expected, String presented, String name)
            throws IOException {
        if (!Proof.matches(expected, presented)) {
            ch.fail("authentication failed: wrong token");
            throw new AuthException("authentication failed: wrong token (inner name \"" + name + "\")");
        }
    }

    private static ProtocolException unexpected(InnerToOuter first) {
        return new ProtocolException(
                "expected Hello but got " + first.getClass().getSimpleName());
    }

    private static Greeting acceptTicket(Channel ch, Token token, Predicate<String> redeem, PoolAuth p)
            throws IOException {
        checkVersion(ch, p.version());
        if (redeem == null) {
            ch.fail("pool tickets are accepted only over TLS; authenticate with Hello");
            throw new AuthException("a pool ticket on a plain connection (inner name \"" + p.name() + "\")");
        }
        // Redeemed before the proof is checked: a ticket is spent by its first use, good or bad.
        if (!redeem.test(p.ticket())) {
            ch.fail("unknown or already used pool ticket");
            throw new AuthException("unknown or already used pool ticket (inner name \"" + p.name() + "\")");
        }
        requireInnerProof(ch, Proof.of(token, Proof.POOL_INNER, p.nonce(), p.ticket()), p.proof(), p.name());
        return new Greeting(
                Purpose.POOL, p.name(), p.channel(), Proof.of(token, Proof.POOL_OUTER, p.nonce(), p.ticket()));
    }

    /**
     * A DataAuth: the session id stands in for the outer's nonce. Whether that session is waiting, and for this inner,
     * is the caller's to check when it pairs the connection, which it does once.
     */
    private static Greeting acceptData(Channel ch, Function<String, Token> tokens, boolean overTls, DataAuth d)
            throws IOException {
        checkVersion(ch, d.version());
        if (!overTls) {
            ch.fail("one-frame data connections are accepted only over TLS; authenticate with Hello");
            throw new AuthException("a DataAuth on a plain connection (inner name \"" + d.name() + "\")");
        }
        Token token = tokenFor(ch, tokens, d.name());
        requireInnerProof(ch, Proof.of(token, Proof.DATA_INNER, d.nonce(), d.session()), d.proof(), d.name());
        return new Greeting(
                Purpose.DATA, d.name(), d.session(), Proof.of(token, Proof.DATA_OUTER, d.nonce(), d.session()));
    }

    /** The inner's side: proves itself to an outer that first proved it holds the same token, or throws. */
    public static void dial(Channel ch, Token token, Purpose purpose, String name, String session) throws IOException {
        String innerNonce = Nonce.next();
        ch.send(new Hello(VERSION, purpose, innerNonce), new InnerToOuter.Name(name));
        Challenge c = ch.expect(OuterToInner.class, Challenge.class);
        if (c.version() != VERSION) {
            String why = "protocol version " + c.version() + " is not supported; this inner speaks " + VERSION;
            ch.fail(why);
            throw new AuthException("the outer speaks " + why);
        }
        if (!Proof.matches(Proof.of(token, Proof.OUTER, innerNonce, c.nonce()), c.proof())) {
            ch.fail("authentication failed: the outer's proof does not match this inner's token");
            throw new AuthException("the outer does not hold this inner's token (its proof does not match): "
                    + "check that both sides have the same token");
        }
        ch.send(new Auth(Proof.of(token, Proof.INNER, innerNonce, c.nonce()), name, session));
    }

    /**
     * The inner's side of a pooled connection with a ticket: one frame, no wait. Returns the proof the outer's Open on
     * this connection must carry; until that Open has been checked against it, the outer is not proven.
     */
    public static String dialWithTicket(Channel ch, Token token, String name, String channel, String ticket)
            throws IOException {
        String innerNonce = Nonce.next();
        ch.send(new PoolAuth(
                VERSION, innerNonce, ticket, Proof.of(token, Proof.POOL_INNER, innerNonce, ticket), name, channel));
        return Proof.of(token, Proof.POOL_OUTER, innerNonce, ticket);
    }

    /**
     * The inner's side of a data connection over TLS: DataAuth for {@code session}, then the outer's Ready, whose proof
     * must match before anything of the session is sent.
     */
    public static void dialData(Channel ch, Token token, String name, String session) throws IOException {
        String innerNonce = Nonce.next();
        ch.send(new DataAuth(
                VERSION, innerNonce, session, Proof.of(token, Proof.DATA_INNER, innerNonce, session), name));
        OuterToInner.Ready ready = ch.expect(OuterToInner.class, OuterToInner.Ready.class);
        if (!Proof.matches(Proof.of(token, Proof.DATA_OUTER, innerNonce, session), ready.proof())) {
            // No Error frame: past its Ready the outer relays whatever comes as the user's bytes. The caller closes.
            throw new AuthException(
                    "the outer's Ready does not prove it holds this inner's token: check that both sides"
                            + " have the same token");
        }
    }
}

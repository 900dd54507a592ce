package dev.relay.auth;

import dev.relay.config.Token;
import dev.relay.protocol.Channel;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.Auth;
import dev.relay.protocol.InnerToOuter.Hello;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.OuterToInner.Challenge;
import java.io.IOException;

/**
 * Mutual challenge-response, the first three frames of every connection:
 * <pre>
 * inner → outer  Hello(version, purpose, innerNonce)
 * outer → inner  Challenge(version, outerNonce, HMAC(token, "outer", innerNonce, outerNonce))
 * inner → outer  Auth(HMAC(token, "inner", innerNonce, outerNonce), name, session)
 * </pre>
 * The inner checks the outer's proof before it proves itself, so an impostor outer learns nothing and can make the
 * inner open nothing. Callers put a deadline on the whole exchange.
 */
public final class Handshake {
    /** The protocol version this build speaks. */
    public static final int VERSION = 1;

    private Handshake() {
    }

    /** What an authenticated inner asked for. {@code session} is set on a data connection. */
    public record Greeting(Purpose purpose, String name, String session) {
    }

    /** The outer's side: returns the greeting of an inner that proved it holds the token, or throws. */
    public static Greeting accept(Channel ch, Token token) throws IOException {
        Hello hello = ch.expect(InnerToOuter.class, Hello.class);
        if (hello.version() != VERSION) {
            String why = "protocol version " + hello.version() + " is not supported; this outer speaks " + VERSION;
            ch.fail(why);
            throw new AuthException(why);
        }
        String outerNonce = Nonce.next();
        ch.send(new Challenge(VERSION, outerNonce, Proof.of(token, Proof.OUTER, hello.nonce(), outerNonce)));
        Auth auth = ch.expect(InnerToOuter.class, Auth.class);
        if (!Proof.matches(Proof.of(token, Proof.INNER, hello.nonce(), outerNonce), auth.proof())) {
            ch.fail("authentication failed: wrong token");
            throw new AuthException("authentication failed: wrong token (inner name \"" + auth.name() + "\")");
        }
        // DATA names the session it answers and POOL the control channel it joins; CONTROL names nothing.
        if ((hello.purpose() == Purpose.CONTROL) != (auth.session() == null)) {
            String why = "a " + hello.purpose() + " connection " + (auth.session() == null ? "needs" : "takes no")
                    + (hello.purpose() == Purpose.POOL ? " control channel id" : " session id");
            ch.fail(why);
            throw new AuthException(why);
        }
        return new Greeting(hello.purpose(), auth.name(), auth.session());
    }

    /** The inner's side: proves itself to an outer that first proved it holds the same token, or throws. */
    public static void dial(Channel ch, Token token, Purpose purpose, String name, String session) throws IOException {
        String innerNonce = Nonce.next();
        ch.send(new Hello(VERSION, purpose, innerNonce));
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
}

package dev.relay.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.relay.config.Token;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs both sides of the handshake against each other over a loopback socket pair, one thread per side. */
class HandshakeTest {
    private static final Token TOKEN = new Token("a-shared-secret-of-some-length");
    private static final String SESSION = Nonce.sessionId();
    private static final String CHANNEL = Nonce.sessionId();
    private static final Token OTHER = new Token("a-different-secret-entirely!!");
    private static final int TIMEOUT_MILLIS = 5000;

    private ExecutorService threads;
    private Channel outer;
    private Channel inner;

    @BeforeEach
    void connect() throws IOException {
        threads = Executors.newFixedThreadPool(2);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Socket dialled = new Socket(server.getInetAddress(), server.getLocalPort());
            Socket accepted = server.accept();
            dialled.setSoTimeout(TIMEOUT_MILLIS);
            accepted.setSoTimeout(TIMEOUT_MILLIS);
            inner = new Channel(dialled);
            outer = new Channel(accepted);
        }
    }

    @AfterEach
    void close() {
        List<Runnable> stuck = threads.shutdownNow();
        assertTrue(stuck.isEmpty());
        outer.close();
        inner.close();
    }

    @Test
    void aControlConnectionWithTheSameTokenIsAccepted() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        Future<Void> dialled = run(() -> Handshake.dial(inner, TOKEN, Purpose.CONTROL, "home-lab", null));
        dialled.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(
                new Handshake.Greeting(Purpose.CONTROL, "home-lab", null, null),
                accepted.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
    }

    @Test
    void aDataConnectionWithTheSameTokenCarriesItsSession() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        Future<Void> dialled = run(() -> Handshake.dial(inner, TOKEN, Purpose.DATA, "home-lab", SESSION));
        dialled.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(
                new Handshake.Greeting(Purpose.DATA, "home-lab", SESSION, null),
                accepted.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
    }

    @Test
    void differentTokensFailOnBothSides() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        Future<Void> dialled = run(() -> Handshake.dial(inner, OTHER, Purpose.CONTROL, "impostor", null));
        assertInstanceOf(AuthException.class, failure(dialled));
        Throwable outerFailure = failure(accepted);
        // The inner rejects the outer's proof and answers with an Error, never an Auth: had an Auth arrived, accept
        // would have failed with an AuthException about a wrong token instead.
        assertInstanceOf(Frames.PeerError.class, outerFailure, () -> "accept threw " + outerFailure);
    }

    @Test
    void anInnerWithAnotherTokenNeverSendsAnAuth() throws Exception {
        Future<List<Message>> seen = threads.submit(() -> {
            InnerToOuter.Hello hello = outer.expect(InnerToOuter.class, InnerToOuter.Hello.class);
            outer.expect(InnerToOuter.class, InnerToOuter.Name.class);
            String nonce = Nonce.next();
            outer.send(new OuterToInner.Challenge(
                    Handshake.VERSION, nonce, Proof.of(TOKEN, Proof.OUTER, hello.nonce(), nonce)));
            List<Message> rest = new ArrayList<>();
            try {
                while (true) {
                    rest.add(outer.read(InnerToOuter.class));
                }
            } catch (EOFException end) {
                return rest;
            }
        });
        Future<Void> dialled = run(() -> Handshake.dial(inner, OTHER, Purpose.CONTROL, "impostor", null));
        assertInstanceOf(AuthException.class, failure(dialled));
        List<Message> rest = seen.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertTrue(rest.stream().noneMatch(InnerToOuter.Auth.class::isInstance), rest::toString);
        assertEquals(1, rest.size(), rest::toString);
        assertInstanceOf(Message.Error.class, rest.get(0));
    }

    @Test
    void anOuterThatAnswersWithAnotherVersionIsRefused() throws Exception {
        Future<Void> fake = run(() -> {
            InnerToOuter.Hello hello = outer.expect(InnerToOuter.class, InnerToOuter.Hello.class);
            String nonce = Nonce.next();
            outer.send(new OuterToInner.Challenge(
                    Handshake.VERSION + 1, nonce, Proof.of(TOKEN, Proof.OUTER, hello.nonce(), nonce)));
        });
        Future<Void> dialled = run(() -> Handshake.dial(inner, TOKEN, Purpose.CONTROL, "home-lab", null));
        fake.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertInstanceOf(AuthException.class, failure(dialled));
    }

    @Test
    void aHelloOfAnotherVersionIsRefused() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        Future<Message> reply = threads.submit(() -> {
            inner.send(new InnerToOuter.Hello(Handshake.VERSION + 1, Purpose.CONTROL, Nonce.next()));
            return inner.read(OuterToInner.class);
        });
        Throwable t = failure(accepted);
        assertInstanceOf(AuthException.class, t);
        assertTrue(t.getMessage().contains("version"), t.getMessage());
        // The outer tells the inner why before closing.
        Message m = reply.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertInstanceOf(Message.Error.class, m);
    }

    @Test
    void aDataConnectionWithoutASessionIsRefused() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        Future<Void> dialled = run(() -> Handshake.dial(inner, TOKEN, Purpose.DATA, "home-lab", null));
        dialled.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        Throwable t = failure(accepted);
        assertInstanceOf(AuthException.class, t);
        assertTrue(t.getMessage().contains("session"), t.getMessage());
    }

    @Test
    void aControlConnectionWithASessionIsRefused() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        Future<Void> dialled = run(() -> Handshake.dial(inner, TOKEN, Purpose.CONTROL, "home-lab", SESSION));
        dialled.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertInstanceOf(AuthException.class, failure(accepted));
    }

    @Test
    void anInnerOfThePreviousVersionIsRefusedNamingBothVersions() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        // A version 7 inner, which would dial a TLS connection per session the pool cannot serve, is refused at its
        // Hello.
        inner.send(new InnerToOuter.Hello(Handshake.VERSION - 1, Purpose.CONTROL, Nonce.next()));
        Message.Error e = assertInstanceOf(Message.Error.class, inner.read(OuterToInner.class));
        assertEquals("protocol version 7 is not supported; this outer speaks 8", e.message());
        assertInstanceOf(AuthException.class, failure(accepted));
    }

    @Test
    void aReplayedOuterProofIsNotAnInnerProof() throws Exception {
        // An impostor inner that echoes the outer's own proof back must fail: the role labels differ.
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        Future<Void> impostor = run(() -> {
            inner.send(
                    new InnerToOuter.Hello(Handshake.VERSION, Purpose.CONTROL, Nonce.next()),
                    new InnerToOuter.Name("impostor"));
            OuterToInner.Challenge c = inner.expect(OuterToInner.class, OuterToInner.Challenge.class);
            inner.send(new InnerToOuter.Auth(c.proof(), "impostor", null));
        });
        impostor.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertInstanceOf(AuthException.class, failure(accepted));
    }

    @Test
    void aPooledConnectionWithATicketAuthenticatesInOneFrame() throws Exception {
        String ticket = Nonce.next();
        Set<String> outstanding = outstanding(ticket);
        Future<Handshake.Greeting> accepted = acceptRedeeming(outstanding);
        // The inner sends its frame and returns without reading anything: no round trip.
        String openProof = Handshake.dialWithTicket(inner, TOKEN, "home-lab", CHANNEL, ticket);
        Handshake.Greeting g = accepted.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(Purpose.POOL, g.purpose());
        assertEquals(CHANNEL, g.session());
        assertEquals(openProof, g.outerProof(), "the outer knows the proof its Open must carry");
        assertTrue(outstanding.isEmpty(), "the ticket is spent");
        assertEquals(0, outer.socket().getInputStream().available(), "nothing else was sent");
    }

    @Test
    void aTicketWorksOnce() throws Exception {
        String ticket = Nonce.next();
        Set<String> outstanding = outstanding(ticket);
        Future<Handshake.Greeting> first = acceptRedeeming(outstanding);
        Handshake.dialWithTicket(inner, TOKEN, "home-lab", CHANNEL, ticket);
        assertEquals(
                Purpose.POOL, first.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).purpose());
        // The same PoolAuth again, as a replay would send it: refused, and the inner is told why.
        Future<Handshake.Greeting> again = acceptRedeeming(outstanding);
        Handshake.dialWithTicket(inner, TOKEN, "home-lab", CHANNEL, ticket);
        Throwable t = failure(again);
        assertInstanceOf(AuthException.class, t);
        assertTrue(t.getMessage().contains("unknown or already used pool ticket"), t.getMessage());
        assertInstanceOf(Message.Error.class, inner.read(OuterToInner.class));
    }

    @Test
    void anUnknownTicketIsRefused() throws Exception {
        Future<Handshake.Greeting> accepted = acceptRedeeming(outstanding());
        Handshake.dialWithTicket(inner, TOKEN, "home-lab", CHANNEL, Nonce.next());
        assertInstanceOf(AuthException.class, failure(accepted));
        assertInstanceOf(Message.Error.class, inner.read(OuterToInner.class));
    }

    @Test
    void aTicketWithAnotherTokensProofIsRefusedAndSpent() throws Exception {
        String ticket = Nonce.next();
        Set<String> outstanding = outstanding(ticket);
        Future<Handshake.Greeting> accepted = acceptRedeeming(outstanding);
        Handshake.dialWithTicket(inner, OTHER, "impostor", CHANNEL, ticket);
        Throwable t = failure(accepted);
        assertInstanceOf(AuthException.class, t);
        assertTrue(t.getMessage().contains("wrong token"), t.getMessage());
        assertTrue(outstanding.isEmpty(), "a failed attempt spends the ticket too");
    }

    @Test
    void aProofOverATicketIsNeverAHandshakeProof() {
        // A ticket and a challenge nonce are both 32 random bytes; the labels keep their proofs apart all the same.
        String innerNonce = Nonce.next();
        String nonce = Nonce.next();
        List<String> proofs = List.of(
                        Proof.INNER,
                        Proof.OUTER,
                        Proof.POOL_INNER,
                        Proof.POOL_OUTER,
                        Proof.DATA_INNER,
                        Proof.DATA_OUTER)
                .stream()
                .map(label -> Proof.of(TOKEN, label, innerNonce, nonce))
                .toList();
        assertEquals(6, Set.copyOf(proofs).size(), proofs::toString);
    }

    @Test
    void aDataConnectionOverTlsAuthenticatesInOneFrameAndItsReadyProvesTheOuter() throws Exception {
        Future<Void> dialled = run(() -> Handshake.dialData(inner, TOKEN, "home-lab", SESSION));
        // A redeeming predicate stands for TLS; a DataAuth spends no ticket, so it is never asked.
        Handshake.Greeting g = Handshake.accept(outer, TOKEN, ticket -> fail("no ticket is redeemed"));
        assertEquals(Purpose.DATA, g.purpose());
        assertEquals("home-lab", g.name());
        assertEquals(SESSION, g.session());
        assertEquals(0, outer.socket().getInputStream().available(), "one frame, and nothing after it");
        outer.send(new OuterToInner.Ready(g.outerProof()));
        dialled.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Test
    void aReadyThatDoesNotProveTheOuterIsRefusedByTheInner() throws Exception {
        Future<Void> dialled = run(() -> Handshake.dialData(inner, TOKEN, "home-lab", SESSION));
        Handshake.accept(outer, TOKEN, ticket -> false);
        // An outer without the inner's token can answer only without the proof, or with a proof of its own token.
        outer.send(new OuterToInner.Ready());
        Throwable t = failure(dialled);
        assertInstanceOf(AuthException.class, t);
        assertTrue(t.getMessage().contains("does not prove"), t.getMessage());
        // Past its Ready the outer would relay any frame as the user's bytes: the inner only closes, as its caller
        // does.
        inner.close();
        assertEquals(-1, outer.socket().getInputStream().read(), "nothing was sent before the close");
    }

    @Test
    void aDataAuthOfAnotherVersionIsRefusedNamingBoth() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        inner.send(new InnerToOuter.DataAuth(
                Handshake.VERSION - 1,
                Nonce.next(),
                SESSION,
                Proof.of(TOKEN, Proof.DATA_INNER, Nonce.next(), SESSION),
                "home-lab"));
        Message.Error e = assertInstanceOf(Message.Error.class, inner.read(OuterToInner.class));
        assertEquals("protocol version 7 is not supported; this outer speaks 8", e.message());
        assertInstanceOf(AuthException.class, failure(accepted));
    }

    @Test
    void aDataAuthFromAnInnerWithNoTokenHereIsRefusedByName() throws Exception {
        // Per-inner tokens: only "home-lab" may connect.
        Future<Handshake.Greeting> accepted = threads.submit(
                () -> Handshake.accept(outer, name -> name.equals("home-lab") ? TOKEN : null, ticket -> false));
        run(() -> Handshake.dialData(inner, TOKEN, "stranger", SESSION));
        Throwable t = failure(accepted);
        assertInstanceOf(AuthException.class, t);
        assertTrue(t.getMessage().contains("no inner named \"stranger\""), t.getMessage());
    }

    @Test
    void aReadyWithAnotherTokensProofIsRefusedByTheInner() throws Exception {
        Future<Void> dialled = run(() -> Handshake.dialData(inner, TOKEN, "home-lab", SESSION));
        InnerToOuter.DataAuth d = outer.expect(InnerToOuter.class, InnerToOuter.DataAuth.class);
        outer.send(new OuterToInner.Ready(Proof.of(OTHER, Proof.DATA_OUTER, d.nonce(), d.session())));
        assertInstanceOf(AuthException.class, failure(dialled));
    }

    @Test
    void aDataAuthOnAPlainConnectionIsRefusedSoATapCannotReplayIt() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, null));
        Future<Void> dialled = run(() -> Handshake.dialData(inner, TOKEN, "home-lab", SESSION));
        Throwable t = failure(accepted);
        assertInstanceOf(AuthException.class, t);
        assertTrue(t.getMessage().contains("plain"), t.getMessage());
        Throwable told = failure(dialled);
        assertTrue(told.getMessage().contains("only over TLS"), told.getMessage());
    }

    @Test
    void aDataAuthWithAnotherTokensProofIsRefused() throws Exception {
        Future<Handshake.Greeting> accepted = threads.submit(() -> Handshake.accept(outer, TOKEN, ticket -> false));
        run(() -> Handshake.dialData(inner, OTHER, "impostor", SESSION));
        Throwable t = failure(accepted);
        assertInstanceOf(AuthException.class, t);
        assertTrue(t.getMessage().contains("wrong token"), t.getMessage());
    }

    /** The outer's side on its own thread, redeeming tickets from {@code outstanding}. */
    private Future<Handshake.Greeting> acceptRedeeming(Set<String> outstanding) {
        return threads.submit(() -> Handshake.accept(outer, TOKEN, outstanding::remove));
    }

    /** Tickets the outer has given out, as the set it redeems from. */
    private static Set<String> outstanding(String... tickets) {
        Set<String> s = ConcurrentHashMap.newKeySet();
        s.addAll(List.of(tickets));
        return s;
    }

    private Future<Void> run(ThrowingRunnable r) {
        Callable<Void> c = () -> {
            r.run();
            return null;
        };
        return threads.submit(c);
    }

    private static Throwable failure(Future<?> f) throws Exception {
        try {
            Object result = f.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            return fail("expected a failure, got " + result);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}

package dev.relay.protocol;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import dev.relay.protocol.InnerToOuter.Purpose;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FramesTest {
    private static final String NONCE = Nonce.next();
    private static final String ID = Nonce.sessionId();
    /** A proof has the same form as a nonce: 32 bytes, base64url. */
    private static final String PROOF = Nonce.next();

    @Test
    void everyInnerToOuterMessageSurvivesARoundTrip() throws IOException {
        List<InnerToOuter> messages = List.of(
                new InnerToOuter.Hello(1, Purpose.CONTROL, NONCE),
                new InnerToOuter.Hello(1, Purpose.DATA, NONCE),
                new InnerToOuter.Auth(PROOF, "home", null),
                new InnerToOuter.Auth(PROOF, "home", ID),
                new InnerToOuter.PoolAuth(2, NONCE, Nonce.next(), PROOF, "home", ID),
                new InnerToOuter.DataAuth(7, NONCE, ID, PROOF, "home"),
                new InnerToOuter.OpenFailed(ID, "connection refused"),
                new InnerToOuter.Name("site-a"),
                new InnerToOuter.TargetHealth("ssh", false, "connection refused"),
                new InnerToOuter.TargetHealth("ssh", true, null),
                new InnerToOuter.Opened(ID),
                new Message.Heartbeat(),
                new Message.Error("bye \u00e9\u4e2d\n\"quoted\""));
        for (InnerToOuter m : messages) {
            assertEquals(m, Frames.read(new ByteArrayInputStream(Frames.encode(m)), InnerToOuter.class));
        }
    }

    @Test
    void everyOuterToInnerMessageSurvivesARoundTrip() throws IOException {
        List<OuterToInner> messages = List.of(
                new OuterToInner.Challenge(1, NONCE, PROOF),
                new OuterToInner.Welcome(List.of(), 5000, ID),
                new OuterToInner.Welcome(
                        List.of(
                                new OuterToInner.RouteSpec("ssh", "192.168.1.4:22"),
                                new OuterToInner.RouteSpec("web", "[::1]:80", "v2", OuterToInner.RouteSpec.TCP),
                                new OuterToInner.RouteSpec("dns", "10.0.0.53:53", null, OuterToInner.RouteSpec.UDP),
                                new OuterToInner.RouteSpec(
                                        "db", "10.0.0.7:5432", null, OuterToInner.RouteSpec.TCP, 5000L)),
                        1,
                        Nonce.sessionId()),
                new OuterToInner.Open(ID, "ssh"),
                new OuterToInner.Open(ID, "ssh", NONCE, PROOF),
                new OuterToInner.Open(ID, "ssh", NONCE, PROOF).confirmed(),
                new OuterToInner.Ready(),
                new OuterToInner.Ready(PROOF),
                new Message.Heartbeat(),
                new Message.Error("go away"));
        for (OuterToInner m : messages) {
            assertEquals(m, Frames.read(new ByteArrayInputStream(Frames.encode(m)), OuterToInner.class));
        }
    }

    @Test
    void encodeWritesCodeAndLengthBeforeThePayload() {
        byte[] frame = Frames.encode(new Message.Error("x"));
        ByteBuffer b = ByteBuffer.wrap(frame);
        assertEquals(9, b.get());
        assertEquals(frame.length - Frames.HEADER, b.getInt());
    }

    @Test
    void anOversizedLengthIsRejectedBeforeThePayloadIsRead() {
        // Only the header: reading a payload would report "truncated", so "over the limit" proves the order.
        for (int length : new int[] {Frames.MAX_PAYLOAD + 1, Integer.MAX_VALUE, -1, Integer.MIN_VALUE}) {
            ProtocolException e = assertThrows(
                    ProtocolException.class, () -> Frames.read(stream(header(9, length)), InnerToOuter.class));
            assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
        }
    }

    @Test
    void aPayloadOfExactlyTheLimitIsRead() throws IOException {
        String prefix = "{\"message\":\"";
        String suffix = "\"}";
        String text = "x".repeat(Frames.MAX_PAYLOAD - prefix.length() - suffix.length());
        byte[] frame = Frames.encode(new Message.Error(text));
        assertEquals(Frames.HEADER + Frames.MAX_PAYLOAD, frame.length);
        assertEquals(new Message.Error(text), Frames.read(stream(frame), OuterToInner.class));
    }

    @Test
    void encodeRefusesAPayloadOverTheLimit() {
        String text = "x".repeat(Frames.MAX_PAYLOAD);
        assertThrows(IllegalArgumentException.class, () -> Frames.encode(new Message.Error(text)));
    }

    @Test
    void aTruncatedHeaderIsAProtocolError() {
        ProtocolException e = assertThrows(
                ProtocolException.class, () -> Frames.read(stream(new byte[] {9, 0, 0}), InnerToOuter.class));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        e = assertThrows(ProtocolException.class, () -> Frames.read(stream(new byte[] {9}), InnerToOuter.class));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aTruncatedPayloadIsAProtocolError() {
        byte[] frame = Frames.encode(new Message.Error("hello there"));
        byte[] cut = Arrays.copyOf(frame, frame.length - 1);
        ProtocolException e = assertThrows(ProtocolException.class, () -> Frames.read(stream(cut), InnerToOuter.class));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aCleanEndBeforeTheFirstByteIsEof() {
        assertThrows(EOFException.class, () -> Frames.read(stream(new byte[0]), InnerToOuter.class));
        assertThrows(EOFException.class, () -> Frames.read(stream(new byte[0]), OuterToInner.class));
    }

    @Test
    void anUnknownCodeIsRejected() {
        for (int code : new int[] {0, 10, 127, 128, 255}) {
            byte[] frame = frame(code, "{}");
            assertThrows(ProtocolException.class, () -> Frames.read(stream(frame), InnerToOuter.class), "" + code);
            assertThrows(ProtocolException.class, () -> Frames.read(stream(frame), OuterToInner.class), "" + code);
        }
    }

    @Test
    void aCodeFromTheOtherDirectionIsRejected() {
        byte[] challenge = Frames.encode(new OuterToInner.Challenge(1, NONCE, PROOF));
        assertThrows(ProtocolException.class, () -> Frames.read(stream(challenge), InnerToOuter.class));
        byte[] ready = Frames.encode(new OuterToInner.Ready());
        assertThrows(ProtocolException.class, () -> Frames.read(stream(ready), InnerToOuter.class));
        byte[] hello = Frames.encode(new InnerToOuter.Hello(1, Purpose.CONTROL, NONCE));
        assertThrows(ProtocolException.class, () -> Frames.read(stream(hello), OuterToInner.class));
        byte[] auth = Frames.encode(new InnerToOuter.Auth(PROOF, "n", null));
        assertThrows(ProtocolException.class, () -> Frames.read(stream(auth), OuterToInner.class));
    }

    @Test
    void badPayloadsAreProtocolErrors() {
        String deep = "[".repeat(10_000);
        String digits = "1".repeat(10_000);
        List<byte[]> inner = List.of(
                frame(9, "{\"message\":"),
                frame(9, "{\"message\":\"x\"} trailing"),
                frame(9, ""),
                frame(9, "\"just a string\""),
                frame(9, "{\"message\":\"x\",\"extra\":1}"),
                frame(9, "{}"),
                frame(9, "{\"message\":" + deep + "}"),
                frame(9, deep),
                frame(8, "{\"unknown\":true}"),
                frame(8, "[]"),
                frame(1, "{\"version\":" + digits + ",\"purpose\":\"CONTROL\",\"nonce\":\"" + NONCE + "\"}"),
                frame(1, "{\"version\":1,\"purpose\":\"CONTROL\",\"nonce\":\"short\"}"),
                frame(1, "{\"version\":1,\"purpose\":\"NEITHER\",\"nonce\":\"" + NONCE + "\"}"),
                frame(1, "{\"version\":1,\"purpose\":0,\"nonce\":\"" + NONCE + "\"}"),
                frame(1, "{\"version\":1,\"nonce\":\"" + NONCE + "\"}"),
                frame(1, "{\"version\":null,\"purpose\":\"CONTROL\",\"nonce\":\"" + NONCE + "\"}"),
                frame(3, "{\"name\":\"n\"}"),
                // A name that would forge a log line.
                frame(3, "{\"proof\":\"p\",\"name\":\"x\\n2026-11-26 [INFO] forged\",\"session\":null}"),
                frame(7, "{\"session\":\"s\"}"),
                new byte[] {9, 0, 0, 0, 3, (byte) 0xff, (byte) 0xfe, (byte) 0xfd},
                // Loose numbers, repeated keys and padded nonces: a strict decoder takes none of them.
                frame(1, "{\"version\":2.9,\"purpose\":\"CONTROL\",\"nonce\":\"" + NONCE + "\"}"),
                frame(1, "{\"version\":\"2\",\"purpose\":\"CONTROL\",\"nonce\":\"" + NONCE + "\"}"),
                frame(1, "{\"version\":2,\"version\":1,\"purpose\":\"CONTROL\",\"nonce\":\"" + NONCE + "\"}"),
                frame(1, "{\"version\":2,\"purpose\":\"CONTROL\",\"nonce\":\"" + NONCE + "=\"}"),
                // Ids and proofs have one length; a 60 KB session id is refused before anyone logs it.
                frame(3, "{\"proof\":\"" + PROOF + "\",\"name\":\"n\",\"session\":\"" + "A".repeat(60_000) + "\"}"),
                frame(3, "{\"proof\":\"p\",\"name\":\"n\",\"session\":null}"),
                frame(7, "{\"session\":\"" + ID + "x\",\"reason\":\"r\"}"));
        List<byte[]> outer = List.of(
                frame(5, "{\"route\":\"ssh\"}"),
                frame(5, "{\"session\":" + deep + ",\"route\":\"ssh\"}"),
                frame(4, "{\"routes\":" + deep + ",\"heartbeatMillis\":1}"),
                frame(4, "{\"routes\":[],\"heartbeatMillis\":" + digits + "}"),
                frame(4, "{\"routes\":[],\"heartbeatMillis\":0}"),
                frame(4, "{\"routes\":[{\"name\":\"a\"}],\"heartbeatMillis\":1}"),
                frame(4, "{\"routes\":[],\"heartbeatMillis\":NaN}"),
                // A heartbeat so long that its dead-peer timeout would overflow an int of milliseconds.
                frame(4, "{\"routes\":[],\"heartbeatMillis\":3000000000,\"channel\":\"c\"}"),
                frame(4, "{\"routes\":[],\"heartbeatMillis\":1000}"),
                frame(2, "{\"version\":1,\"nonce\":\"" + NONCE + "\"}"),
                // A session id or route name that would forge a line in the inner's log, or flood it.
                frame(5, "{\"session\":\"" + "s".repeat(60_000) + "\",\"route\":\"ssh\"}"),
                frame(5, "{\"session\":\"" + ID + "\",\"route\":\"ssh\\n[INFO] forged\"}"),
                frame(
                        4,
                        "{\"routes\":[{\"name\":\"a\\nb\",\"target\":\"h:1\"}],\"heartbeatMillis\":1,\"channel\":\""
                                + ID + "\"}"),
                frame(
                        4,
                        "{\"routes\":[{\"name\":\"a\",\"target\":\"" + "h".repeat(1000)
                                + ":1\"}],\"heartbeatMillis\":1," + "\"channel\":\"" + ID + "\"}"),
                frame(
                        4,
                        "{\"routes\":[{\"name\":\"a\",\"target\":\"h:1\",\"proxyProtocol\":null,\"protocol\":\"sctp\"}],"
                                + "\"heartbeatMillis\":1,\"channel\":\"" + ID + "\"}"),
                frame(
                        4,
                        "{\"routes\":[{\"name\":\"a\",\"target\":\"h:1\",\"proxyProtocol\":\"v1\",\"protocol\":\"udp\"}],"
                                + "\"heartbeatMillis\":1,\"channel\":\"" + ID + "\"}"),
                frame(2, "{\"version\":2,\"nonce\":\"" + NONCE + "\",\"proof\":\"" + PROOF + "==\"}"));
        for (byte[] f : inner) {
            assertRejected(f, InnerToOuter.class);
        }
        for (byte[] f : outer) {
            assertRejected(f, OuterToInner.class);
        }
    }

    @Test
    void aNullPayloadIsAProtocolError() {
        // A literal JSON null must not decode to a null message, which every receiver's switch would trip over.
        assertRejected(frame(8, "null"), InnerToOuter.class);
        assertRejected(frame(5, "null"), OuterToInner.class);
    }

    @Test
    void expectRejectsANullPayloadAsAProtocolError() {
        Throwable t = assertThrows(
                Throwable.class,
                () -> Frames.expect(stream(frame(8, "null")), InnerToOuter.class, InnerToOuter.Hello.class));
        assertInstanceOf(ProtocolException.class, t, () -> "threw " + t);
    }

    @Test
    void theReaderStopsAtTheEndOfTheFrame() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Frames.encode(new OuterToInner.Ready()));
        out.write("RAW".getBytes(US_ASCII));
        InputStream in = stream(out.toByteArray());
        assertEquals(new OuterToInner.Ready(), Frames.read(in, OuterToInner.class));
        assertEquals("RAW", new String(in.readAllBytes(), US_ASCII));
    }

    @Test
    void framesCodedOnManyThreadsAtOnceStayTheirOwn() throws Exception {
        // The codec's buffers are shared between threads (below), so each thread's frames must still come back whole.
        // Platform threads, released together each round: coding never blocks, so virtual ones would take turns on
        // the carriers and hardly ever share the pool at the same moment.
        int threads = 16;
        int rounds = 200;
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                // Up to 16 KB: past the size of Jackson's buffers, so some frames need more than one.
                String reason = t + ":" + "x".repeat(t * 1024);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        InnerToOuter.OpenFailed failed = new InnerToOuter.OpenFailed(Nonce.sessionId(), reason);
                        together.await(30, TimeUnit.SECONDS);
                        assertEquals(failed, Frames.read(stream(Frames.encode(failed)), InnerToOuter.class));
                    }
                    return rounds;
                }));
            }
            for (Future<Integer> f : done) {
                assertEquals(rounds, f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void threadsShareTheCodecsBuffersInsteadOfKeepingTheirOwn() throws Exception {
        // Jackson's default pool keeps a set of buffers (18 KB) for each thread that ever coded a frame, for that
        // thread's life; relay has a long-lived thread per pooled connection and per control channel. (Frames.buffers
        // reads it through Jackson's _getRecyclerPool, public but marked internal.)
        RecyclerPool<BufferRecycler> buffers = Frames.buffers();
        assertTrue(buffers.clear(), "the pool cannot be emptied: buffers are kept per thread");
        for (int i = 0; i < 3; i++) {
            Thread.ofVirtual()
                    .start(() -> {
                        OuterToInner.Open open = new OuterToInner.Open(ID, "r");
                        try {
                            assertEquals(open, Frames.read(stream(Frames.encode(open)), OuterToInner.class));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .join();
            assertTrue(buffers.pooledCount() >= 1, "thread " + (i + 1) + "'s buffers went back to the pool");
        }
        // One set taken and given back three times; a second only if some other thread was coding meanwhile.
        assertTrue(buffers.pooledCount() < 3, "each thread took buffers of its own: " + buffers.pooledCount());
    }

    @Test
    void expectTurnsAnErrorIntoAPeerError() {
        byte[] frame = Frames.encode(new Message.Error("authentication failed"));
        Frames.PeerError e = assertThrows(
                Frames.PeerError.class,
                () -> Frames.expect(stream(frame), OuterToInner.class, OuterToInner.Challenge.class));
        assertEquals("authentication failed", e.getMessage());
    }

    @Test
    void expectRejectsAnotherType() throws IOException {
        byte[] frame = Frames.encode(new Message.Heartbeat());
        assertThrows(
                ProtocolException.class,
                () -> Frames.expect(stream(frame), OuterToInner.class, OuterToInner.Challenge.class));
        OuterToInner.Open open = new OuterToInner.Open(ID, "r");
        assertEquals(open, Frames.expect(stream(Frames.encode(open)), OuterToInner.class, OuterToInner.Open.class));
    }

    @Test
    void generatedInputNeverEscapesAsAnotherException() {
        String[] tokens = {
            "{",
            "}",
            "[",
            "]",
            ":",
            ",",
            "\"",
            "\"message\"",
            "\"session\"",
            "\"route\"",
            "\"routes\"",
            "\"nonce\"",
            "\"version\"",
            "\"purpose\"",
            "\"ticket\"",
            "\"proof\"",
            "\"DATA\"",
            "\"x\"",
            "1",
            "-1",
            "1e999",
            "0.5",
            "true",
            "null",
            "\\u0000",
            " "
        };
        Random random = new Random(20240607L);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 2000; i++) {
                byte[] input = switch (i % 3) {
                    case 0 -> randomBytes(random, random.nextInt(64));
                    case 1 -> {
                        byte[] body = randomBytes(random, random.nextInt(48));
                        yield concat(header(1 + random.nextInt(10), random.nextInt(40)), body);
                    }
                    default -> {
                        StringBuilder json = new StringBuilder();
                        for (int t = random.nextInt(12); t > 0; t--) {
                            json.append(tokens[random.nextInt(tokens.length)]);
                        }
                        yield frame(1 + random.nextInt(10), json.toString());
                    }
                };
                check(input, InnerToOuter.class, i);
                check(input, OuterToInner.class, i);
            }
        });
    }

    private static <T extends Message> void check(byte[] input, Class<T> direction, int iteration) {
        try {
            T m = Frames.read(stream(input), direction);
            if (!direction.isInstance(m)) {
                fail("iteration " + iteration + ": " + HexFormat.of().formatHex(input) + " decoded to " + m);
            }
        } catch (EOFException | ProtocolException expected) {
            // Either is a correct answer to garbage.
        } catch (Throwable t) {
            throw new AssertionError(
                    "iteration " + iteration + ": " + HexFormat.of().formatHex(input) + " escaped as " + t, t);
        }
    }

    private static void assertRejected(byte[] frame, Class<? extends Message> direction) {
        String shown = new String(frame, Frames.HEADER, Math.min(60, Math.max(0, frame.length - Frames.HEADER)), UTF_8);
        Throwable t =
                assertThrows(Throwable.class, () -> Frames.read(stream(frame), direction), () -> "accepted: " + shown);
        assertInstanceOf(ProtocolException.class, t, () -> shown + " threw " + t);
    }

    private static byte[] frame(int code, String json) {
        return concat(header(code, json.getBytes(UTF_8).length), json.getBytes(UTF_8));
    }

    private static byte[] header(int code, int length) {
        return ByteBuffer.allocate(Frames.HEADER)
                .put((byte) code)
                .putInt(length)
                .array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static InputStream stream(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    @Test
    void peerTextInAnExceptionIsMadePrintableAndShort() {
        Frames.PeerError e = new Frames.PeerError("line one\nline two\u0000" + "x".repeat(500));
        assertTrue(!e.getMessage().contains("\n") && !e.getMessage().contains("\u0000"), e.getMessage());
        assertTrue(e.getMessage().length() <= 203, "length " + e.getMessage().length());
    }
}

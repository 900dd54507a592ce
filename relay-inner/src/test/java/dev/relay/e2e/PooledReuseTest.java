package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.relay.protocol.Channel;
import dev.relay.protocol.Chunks;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pooled data connection carries session after session (protocol.md §7.2): each session's bytes in chunks, its end
 * as an end marker, and the connection back in the pool only when both sides kept it and nothing broke.
 */
@ExtendWith(NoLeaks.class)
class PooledReuseTest {
    private static final long SIZE = 300 * 1024;

    /**
     * Five sessions one after another over a pool of one, each with its own byte stream: every byte comes back in
     * order and none from another session, although they share connections. Each user half-closes after writing and
     * then reads the rest of the echo, so the half-close crosses the end markers too.
     */
    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void sessionsThatShareAConnectionKeepTheirBytesApart(boolean tls) throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 1, tls ? TestCert.shared() : null)) {
            Await.until("a full pool", () -> t.outer.pooledConnections() == 1);
            for (int seed = 1; seed <= 5; seed++) {
                try (Socket s = t.connect()) {
                    long stream = seed;
                    CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
                        try {
                            Bytes.write(s.getOutputStream(), stream, SIZE);
                            s.shutdownOutput();
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    });
                    assertEquals(SIZE, Bytes.readAndCheck(s.getInputStream(), stream));
                    written.join();
                }
                int sessions = seed;
                Await.until("the connection back in the pool", () -> t.outer.pooledConnectionsReused() == sessions);
            }
            assertEquals(5, echo.accepted.get());
        }
    }

    /** A target that resets: the session breaks, its connection is closed on both sides, and the pool serves on. */
    @Test
    void aSessionThatBreaksDoesNotGiveItsConnectionBack() throws Exception {
        try (Target resets = Target.start(s -> {
                    s.getInputStream().read();
                    s.setSoLinger(true, 0);
                    s.close();
                });
                Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(
                                TestTunnel.FAST, TestTunnel.route("resets", resets), TestTunnel.route("echo", echo))
                        .pool(2)) {
            t.startInner();
            Await.until("a full pool", () -> t.outer.pooledConnections() == 2);
            try (Socket s = t.connect("resets")) {
                s.getOutputStream().write('x');
                assertClosed(s.getInputStream());
            }
            Await.until("the broken session to end", () -> t.outer.activeSessions() == 0);
            assertEquals(0, t.outer.pooledConnectionsReused());
            assertEquals(1, t.outer.pooledConnections(), "the broken session's connection is gone");
            try (Socket s = t.connect("echo")) {
                assertEquals("after", TunnelTest.roundTrip(s, "after"));
            }
            Await.until("that one back in the pool", () -> t.outer.pooledConnectionsReused() == 1);
        }
    }

    /**
     * The outer's side, driven by a scripted inner: the user's bytes come as a chunk after the Open, the inner's
     * chunk reaches the user, each end marker becomes a half-close, and after two markers that kept the connection the
     * next user's Open comes on the same connection. An inner that closes (-1) gets the connection closed.
     */
    @Test
    void theOuterReusesAConnectionOnlyWhenBothEndMarkersKeepIt() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner();
                Socket pooled = t.controlConnection()) {
            Channel c = t.scriptedPooled(scripted, pooled);
            InputStream in = pooled.getInputStream();
            OutputStream out = pooled.getOutputStream();

            try (Socket user = t.connect()) {
                user.getOutputStream().write(ascii("hi"));
                c.expect(OuterToInner.class, OuterToInner.Open.class);
                assertArrayEquals(ascii("hi"), ChunkIo.read(in, 2));
                ChunkIo.write(out, "yo");
                out.write(Chunks.end(true));
                assertEquals("yo", TunnelTest.read(user, 2));
                assertEquals(-1, user.getInputStream().read(), "the inner's end marker half-closes the user");
                user.shutdownOutput();
                ChunkIo.expectEnd(in, Chunks.END_KEEP);
            }
            Await.until("the connection back in the pool", () -> t.outer.pooledConnectionsReused() == 1);
            assertEquals(1, t.outer.pooledConnections());

            try (Socket user = t.connect()) {
                user.getOutputStream().write('z');
                c.expect(OuterToInner.class, OuterToInner.Open.class);
                assertArrayEquals(ascii("z"), ChunkIo.read(in, 1));
                out.write(Chunks.end(false));
                assertEquals(-1, user.getInputStream().read());
                user.shutdownOutput();
                ChunkIo.expectEnd(in, Chunks.END_KEEP);
                assertEquals(-1, in.read(), "the inner would close it, so the outer closed it");
            }
            assertEquals(1, t.outer.pooledConnectionsReused());
            assertEquals(0, t.outer.pooledConnections());
        }
    }

    /** A chunk over the limit ends that session, with a reason that says so, and the outer serves the next user. */
    @Test
    void aChunkOverTheLimitEndsOnlyItsSession() throws Exception {
        LogCapture log = LogCapture.start();
        try (log;
                Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner();
                Socket pooled = t.controlConnection()) {
            Channel c = t.scriptedPooled(scripted, pooled);
            try (Socket user = t.connect()) {
                user.getOutputStream().write('a');
                c.expect(OuterToInner.class, OuterToInner.Open.class);
                assertArrayEquals(ascii("a"), ChunkIo.read(pooled.getInputStream(), 1));
                byte[] header = new byte[Chunks.HEADER];
                Chunks.putLength(header, 0, Chunks.MAX + 1);
                pooled.getOutputStream().write(header);
                assertClosed(user.getInputStream());
                assertClosed(pooled.getInputStream());
            }
            Await.until(
                    "the session's close line",
                    () -> log.lines("session closed").stream()
                            .anyMatch(l -> l.contains("over the limit of " + Chunks.MAX)));
            assertEquals(0, t.outer.pooledConnectionsReused());

            // The next pooled connection serves the next user.
            try (Socket next = t.controlConnection()) {
                Channel n = t.scriptedPooled(scripted, next);
                try (Socket user = t.connect()) {
                    user.getOutputStream().write('b');
                    n.expect(OuterToInner.class, OuterToInner.Open.class);
                    assertArrayEquals(ascii("b"), ChunkIo.read(next.getInputStream(), 1));
                }
            }
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void assertClosed(InputStream in) {
        try {
            assertEquals(-1, in.read(), "closed");
        } catch (IOException reset) {
            // Closed with a reset: as good.
        }
    }
}

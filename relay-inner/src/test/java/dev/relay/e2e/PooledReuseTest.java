package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.relay.config.HostPort;
import dev.relay.config.Route;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Chunks;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
            Await.until("the outer's session to end", () -> t.outer.activeSessions() == 0);
            assertEquals(0, t.outer.pooledConnections(), "not back before the inner says it is idle");
            out.write(Chunks.idle());
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

    /**
     * The target half-closes at once and reads nothing until the test lets it, then resets: the upload's session ends
     * badly on the inner, after both end markers may have crossed. Users who come meanwhile are served at once, and so
     * is the one after the reset: none waits behind the upload or goes down with it. (That the outer puts a connection
     * back only after the inner's idle marker is checked frame by frame in
     * {@link #theOuterReusesAConnectionOnlyWhenBothEndMarkersKeepIt}.)
     */
    @Test
    void theNextUserNeverWaitsBehindTheLastSessionsUpload() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ServerSocket slow = new ServerSocket()) {
            slow.setReceiveBufferSize(4096);
            slow.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread target = Thread.ofVirtual().start(() -> {
                try (Socket s = slow.accept()) {
                    s.shutdownOutput();
                    release.await();
                    s.setSoLinger(true, 0);
                } catch (IOException | InterruptedException e) {
                    // The test is over.
                }
            });
            Route slowRoute =
                    Route.of("slow", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", slow.getLocalPort()));
            try (Target echo = Target.echo();
                    TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, slowRoute, TestTunnel.route("echo", echo))
                            .pool(1)) {
                t.startInner();
                Await.until("a full pool", () -> t.outer.pooledConnections() == 1);
                try (Socket a = t.connect("slow")) {
                    Bytes.write(a.getOutputStream(), 3, 2L << 20);
                    a.shutdownOutput();
                    assertEquals(-1, a.getInputStream().read(), "the target's half-close");
                    for (int i = 0; i < 2; i++) {
                        try (Socket b = t.connect("echo")) {
                            b.setSoTimeout(5_000);
                            assertEquals("next" + i, TunnelTest.roundTrip(b, "next" + i));
                        }
                    }
                    release.countDown();
                    target.join();
                }
                try (Socket c = t.connect("echo")) {
                    assertEquals("after", TunnelTest.roundTrip(c, "after"));
                }
            }
        } finally {
            release.countDown();
        }
    }

    /**
     * Two users hold both connections of a pool of two, and each target has half-closed, so the inner counts both
     * connections as coming back and dials no replacement. Both users then reset: neither comes back, and the inner
     * dials what it held off.
     */
    @Test
    void aConnectionCountedAsComingBackThatDoesNotIsReplaced() throws Exception {
        try (Target halfCloses = Target.start(s -> {
                    s.getOutputStream().write(ascii("hi"));
                    s.shutdownOutput();
                    s.getInputStream().transferTo(OutputStream.nullOutputStream());
                });
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", halfCloses))
                        .pool(2)) {
            t.startInner();
            Await.until("a full pool", () -> t.outer.pooledConnections() == 2);
            List<Socket> users = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket u = t.connect("r0");
                    users.add(u);
                    u.getOutputStream().write('a');
                    assertEquals("hi", TunnelTest.read(u, 2));
                    assertEquals(-1, u.getInputStream().read(), "the inner's end marker, kept");
                }
                assertEquals(0, t.outer.pooledConnections());
            } finally {
                for (Socket u : users) {
                    u.setSoLinger(true, 0);
                    u.close();
                }
            }
            Await.until("a replacement in the pool", () -> t.outer.pooledConnections() >= 1);
            assertEquals(0, t.outer.pooledConnectionsReused());
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

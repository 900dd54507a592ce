package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.relay.config.HostPort;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.Frames;
import dev.relay.protocol.Message;
import dev.relay.protocol.OuterToInner;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A passive tap on plain TCP records everything the inner sends; one of the inner's pooled dials never reaches the
 * outer (as when a flood makes the outer drop it). Replaying any recorded stream from another address, within the
 * ticket's lifetime, must not put the replayer in the pool, and users must keep reaching the real inner.
 */
@ExtendWith(NoLeaks.class)
class ReplayTest {
    private static final Duration HANDSHAKE = Duration.ofSeconds(1);

    @Test
    void nothingRecordedOnThePlainWireLetsAReplayerJoinThePool() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t =
                        TestTunnel.outerOnly(TestTunnel.FAST.withHandshake(HANDSHAKE), TestTunnel.route("r0", echo));
                Tap tap = new Tap(t.outer.controlPort())) {
            t.startInner(t.innerConfig().withPool(1).withConnect(new HostPort("127.0.0.1", tap.port())));
            Await.until("the first pooled connection", () -> t.outer.pooledConnections() == 1);

            // A user takes the pooled connection; the inner's dial to replace it is recorded, then lost.
            tap.dropNext.set(true);
            try (Socket user = t.connect()) {
                assertEquals("first", TunnelTest.roundTrip(user, "first"));
            }
            Await.until("the lost dial", () -> tap.dropped.size() == 1);
            // The pool of one holds the connection the user gave back and the replacement from a later dial.
            Await.until("the pool refilled by a later dial", () -> t.outer.pooledConnections() == 2);

            List<byte[]> recorded = new ArrayList<>(tap.dropped);
            tap.streams.forEach(s -> recorded.add(s.toByteArray()));
            List<Socket> replays = new ArrayList<>();
            try {
                for (byte[] stream : recorded) {
                    replays.add(replay(t.outer.controlPort(), stream));
                }
                for (Socket r : replays) {
                    assertRefused(r);
                }
                assertTrue(t.outer.pooledConnections() <= 2, "pooled: " + t.outer.pooledConnections());
                for (int i = 0; i < 3; i++) {
                    try (Socket user = t.connect()) {
                        assertEquals("user " + i, TunnelTest.roundTrip(user, "user " + i));
                    }
                }
            } finally {
                replays.forEach(Sockets::closeQuietly);
            }
        }
    }

    /** Sends a recorded stream to the outer from another address, as a stranger without the token would. */
    private static Socket replay(int controlPort, byte[] stream) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
            s.connect(new InetSocketAddress("127.0.0.1", controlPort), 5000);
            s.getOutputStream().write(stream);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /**
     * The outer may answer with a Challenge (which the replayer cannot meet) and an Error; then it must close the
     * connection within the handshake timeout. A replayed connection it keeps open has joined the pool.
     */
    private static void assertRefused(Socket replayed) throws IOException {
        replayed.setSoTimeout((int) HANDSHAKE.multipliedBy(5).toMillis());
        InputStream in = replayed.getInputStream();
        try {
            for (; ; ) {
                Message m = Frames.read(in, OuterToInner.class);
                if (m instanceof OuterToInner.Open) {
                    fail("a replayed connection was handed a user's session");
                }
                if (!(m instanceof OuterToInner.Challenge)) {
                    assertInstanceOf(Message.Error.class, m);
                }
            }
        } catch (EOFException | SocketException refused) {
            // Closed by the outer: refused.
        } catch (SocketTimeoutException e) {
            fail("the outer kept a replayed connection open: it joined the pool");
        }
    }

    /**
     * A TCP proxy in front of the control port that records what the inner sends on each connection. When
     * {@link #dropNext} is set, the next connection's first bytes are recorded and the connection is closed without
     * reaching the outer.
     */
    private static final class Tap implements AutoCloseable {
        private static final Duration RECORD_LOST = Duration.ofMillis(300);

        final AtomicBoolean dropNext = new AtomicBoolean();
        final List<byte[]> dropped = new CopyOnWriteArrayList<>();
        final List<ByteArrayOutputStream> streams = new CopyOnWriteArrayList<>();
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        private final int upstream;
        private final Thread acceptor;

        Tap(int upstream) throws IOException {
            this.upstream = upstream;
            this.acceptor = Threads.start("tap", this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            try {
                for (; ; ) {
                    Socket in = server.accept();
                    open.add(in);
                    if (dropNext.compareAndSet(true, false)) {
                        Threads.start("tap-drop", () -> recordAndDrop(in));
                    } else {
                        Socket out = new Socket("127.0.0.1", upstream);
                        open.add(out);
                        ByteArrayOutputStream recorded = new ByteArrayOutputStream();
                        streams.add(recorded);
                        Threads.start("tap-up", () -> copy(in, out, recorded));
                        Threads.start("tap-down", () -> copy(out, in, null));
                    }
                }
            } catch (IOException closed) {
                // The test is over.
            }
        }

        private void recordAndDrop(Socket in) {
            ByteArrayOutputStream recorded = new ByteArrayOutputStream();
            try {
                in.setSoTimeout((int) RECORD_LOST.toMillis());
                in.getInputStream().transferTo(recorded);
            } catch (IOException timedOut) {
                // Whatever the inner sent before it waited for an answer is recorded.
            } finally {
                dropped.add(recorded.toByteArray());
                Sockets.closeQuietly(in);
            }
        }

        private static void copy(Socket from, Socket to, ByteArrayOutputStream recorded) {
            byte[] buf = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buf)) > 0; ) {
                    if (recorded != null) {
                        synchronized (recorded) {
                            recorded.write(buf, 0, n);
                        }
                    }
                    out.write(buf, 0, n);
                }
            } catch (IOException ended) {
                // Either side closed.
            } finally {
                Sockets.closeQuietly(from);
                Sockets.closeQuietly(to);
            }
        }

        @Override
        public void close() throws InterruptedException {
            Sockets.closeQuietly(server);
            open.forEach(Sockets::closeQuietly);
            acceptor.join();
        }
    }
}

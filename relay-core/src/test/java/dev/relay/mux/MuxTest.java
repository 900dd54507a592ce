package dev.relay.mux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two muxes over a real loopback connection: the opening side's streams against the accepting side's. */
class MuxTest {
    private final BlockingQueue<MuxStream> accepted = new LinkedBlockingQueue<>();
    private final CompletableFuture<String> openerClosed = new CompletableFuture<>();
    private final CompletableFuture<String> accepterClosed = new CompletableFuture<>();
    private Mux opener;
    private Mux accepter;
    private Socket raw;

    /** Connects the pair; {@code onStream} runs for each stream the accepting side gets (default: queue it). */
    private void connect(Consumer<MuxStream> onStream) throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Socket a = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
            Socket b = server.accept();
            opener = Mux.opening(a);
            accepter = Mux.accepting(b, onStream);
            opener.start(openerClosed::complete);
            accepter.start(accepterClosed::complete);
        }
    }

    private void connect() throws IOException {
        connect(accepted::add);
    }

    /** An accepting mux whose peer is {@link #raw}: a test writes frames there by hand, broken ones included. */
    private void acceptFromRaw() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            raw = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
            accepter = Mux.accepting(server.accept(), accepted::add);
        }
        accepter.start(accepterClosed::complete);
    }

    private MuxStream next() throws InterruptedException {
        MuxStream s = accepted.poll(10, TimeUnit.SECONDS);
        assertTrue(s != null, "no stream arrived");
        return s;
    }

    @AfterEach
    void tearDown() throws IOException {
        if (opener != null) {
            opener.close();
        }
        if (accepter != null) {
            accepter.close();
        }
        if (raw != null) {
            raw.close();
        }
    }

    static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            LockSupport.parkNanos(2_000_000);
        }
    }

    /** Echoes a stream until its end, then half-closes and closes it. */
    private static void echo(MuxStream s) {
        Thread.ofVirtual().start(() -> {
            try (s) {
                s.getInputStream().transferTo(s.getOutputStream());
                s.shutdownOutput();
                // Until the peer's FIN too, so the close sends no RST.
                s.getInputStream().read();
            } catch (IOException e) {
                // The test that reset it checks what it wanted.
            }
        });
    }

    @Test
    void manyStreamsAtOnceEachGetBackExactlyItsOwnBytes() throws Exception {
        connect(MuxTest::echo);
        int streams = 40;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                int seed = i;
                all.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    byte[] sent = new byte[1 + r.nextInt(2 * Mux.WINDOW + 5000)];
                    r.nextBytes(sent);
                    try (MuxStream s = opener.open()) {
                        Future<byte[]> back =
                                pool.submit(() -> s.getInputStream().readAllBytes());
                        OutputStream out = s.getOutputStream();
                        for (int off = 0; off < sent.length; ) {
                            int n = Math.min(sent.length - off, 1 + r.nextInt(70_000));
                            out.write(sent, off, n);
                            off += n;
                        }
                        s.shutdownOutput();
                        assertArrayEquals(sent, back.get(30, TimeUnit.SECONDS));
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        until("every stream to be forgotten on both sides", () -> opener.streams() == 0 && accepter.streams() == 0);
        assertTrue(opener.isOpen() && accepter.isOpen());
    }

    @Test
    void aHalfCloseEndsOneDirectionAndTheOtherKeepsGoing() throws Exception {
        connect();
        MuxStream mine = opener.open();
        MuxStream theirs = next();
        mine.getOutputStream().write("question".getBytes());
        mine.shutdownOutput();
        assertArrayEquals("question".getBytes(), theirs.getInputStream().readAllBytes());
        // After the FIN the other direction still carries bytes.
        theirs.getOutputStream().write("answer".getBytes());
        theirs.shutdownOutput();
        assertArrayEquals("answer".getBytes(), mine.getInputStream().readAllBytes());
        assertThrows(SocketException.class, () -> mine.getOutputStream().write(1));
        mine.close();
        theirs.close();
        until("both streams forgotten", () -> opener.streams() == 0 && accepter.streams() == 0);
    }

    @Test
    void aReaderThatStopsStallsOnlyItsOwnStreamsWriterAtTheWindow() throws Exception {
        connect();
        MuxStream slow = opener.open();
        MuxStream slowThere = next();
        AtomicLong written = new AtomicLong();
        Thread writer = Thread.ofVirtual().start(() -> {
            byte[] chunk = new byte[10_000];
            try {
                for (int i = 0; i < 100; i++) {
                    slow.getOutputStream().write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        // Nobody reads slowThere: the writer stops once the window is full, and stays there.
        until(
                "the writer to block at the window",
                () -> writer.getState() == Thread.State.WAITING && slowThere.unread() == Mux.WINDOW);
        assertTrue(written.get() <= Mux.WINDOW, "written " + written.get());
        // Meanwhile another stream carries bytes both ways.
        MuxStream other = opener.open();
        MuxStream otherThere = next();
        other.getOutputStream().write(new byte[] {42});
        assertEquals(42, otherThere.getInputStream().read());
        otherThere.getOutputStream().write(new byte[] {7});
        assertEquals(7, other.getInputStream().read());
        // Reading releases the writer; every byte arrives.
        byte[] all = new byte[1_000_000];
        int got = slowThere.getInputStream().readNBytes(all, 0, all.length);
        assertEquals(1_000_000, got);
        writer.join(10_000);
        assertEquals(1_000_000, written.get());
    }

    @Test
    void closingBeforeTheEndResetsThePeersSide() throws Exception {
        connect();
        MuxStream mine = opener.open();
        MuxStream theirs = next();
        mine.getOutputStream().write(new byte[] {1, 2});
        assertEquals(1, theirs.getInputStream().read());
        mine.close();
        // What came before the RST is read first (an Error frame, say), then the reset.
        assertEquals(2, theirs.getInputStream().read());
        SocketException e = assertThrows(
                SocketException.class, () -> theirs.getInputStream().read());
        assertEquals("Connection reset", e.getMessage());
        assertThrows(SocketException.class, () -> theirs.getOutputStream().write(1));
        theirs.close();
        assertThrows(SocketException.class, () -> mine.getInputStream().read());
        until("both streams forgotten", () -> opener.streams() == 0 && accepter.streams() == 0);
        // The connection itself carries on.
        MuxStream again = opener.open();
        again.getOutputStream().write(9);
        assertEquals(9, next().getInputStream().read());
    }

    @Test
    void aReadTimesOutAfterSoTimeoutAndTheStreamStaysUsable() throws Exception {
        connect();
        MuxStream mine = opener.open();
        MuxStream theirs = next();
        mine.setSoTimeout(100);
        assertThrows(SocketTimeoutException.class, () -> mine.getInputStream().read());
        theirs.getOutputStream().write(5);
        assertEquals(5, mine.getInputStream().read());
    }

    @Test
    void whenTheConnectionDiesEveryStreamFailsOnBothSides() throws Exception {
        connect();
        MuxStream mine = opener.open();
        MuxStream theirs = next();
        Future<Exception> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                theirs.getInputStream().read();
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        opener.close("test");
        assertTrue(blocked.get(10, TimeUnit.SECONDS) instanceof SocketException);
        assertThrows(SocketException.class, () -> mine.getOutputStream().write(1));
        assertThrows(SocketException.class, opener::open);
        // Closed with SO_LINGER 0, so the other side reads a reset (or an end, had it been reading already).
        String why = accepterClosed.get(10, TimeUnit.SECONDS);
        assertTrue(why.equals("Connection reset") || why.equals("connection closed"), why);
    }

    @Test
    void aPeerThatBreaksTheFramingLosesTheConnectionWithAReason() throws Exception {
        acceptFromRaw();
        OutputStream out = raw.getOutputStream();
        // Stream 1 opened, then more DATA than its window allows without credit.
        out.write(new byte[] {Mux.OPEN, 0, 0, 0, 1, 0, 0, 0, 0});
        byte[] frame = new byte[Mux.HEADER + Mux.MAX_DATA];
        frame[0] = Mux.DATA;
        frame[4] = 1;
        frame[6] = (byte) (Mux.MAX_DATA >>> 16);
        frame[7] = (byte) (Mux.MAX_DATA >>> 8);
        frame[8] = (byte) Mux.MAX_DATA;
        for (int i = 0; i <= Mux.WINDOW / Mux.MAX_DATA; i++) {
            out.write(frame);
        }
        assertEquals("protocol error: stream 1: over its window", accepterClosed.get(10, TimeUnit.SECONDS));
        InputStream in = raw.getInputStream();
        // The accepting side closes the connection: end of stream (or a reset) here.
        try {
            assertEquals(-1, in.read());
        } catch (SocketException reset) {
            // SO_LINGER 0 on the other side: equally closed.
        }
        // The stream it opened gives what was queued, then fails: its connection is gone.
        MuxStream s = next();
        assertThrows(SocketException.class, () -> s.getInputStream().readAllBytes());
    }

    @Test
    void framesForAStreamNeverOpenedAreAProtocolError() throws Exception {
        acceptFromRaw();
        raw.getOutputStream().write(new byte[] {Mux.FIN, 0, 0, 0, 3, 0, 0, 0, 0});
        assertEquals("protocol error: FIN for stream 3, never opened", accepterClosed.get(10, TimeUnit.SECONDS));
    }

    @Test
    void closingAStreamNeverWaitsForAWriterStuckOnTheConnection() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setReceiveBufferSize(4096);
            Socket a = new Socket();
            a.setSendBufferSize(4096);
            a.connect(server.getLocalSocketAddress());
            raw = server.accept();
            opener = Mux.opening(a);
        }
        opener.start(openerClosed::complete);
        // The peer reads nothing, so a large write fills the socket buffers and blocks, holding the connection.
        MuxStream stuck = opener.open();
        MuxStream other = opener.open();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                stuck.getOutputStream().write(new byte[Mux.WINDOW]);
            } catch (IOException e) {
                // Ends when the test closes the connection.
            }
        });
        until("the writer to block in the connection", () -> writer.getState() == Thread.State.WAITING);
        // A close (a reaper's, a session's other direction) returns at once; the RST waits its turn elsewhere.
        assertTimeoutPreemptively(Duration.ofSeconds(5), other::close);
        assertTrue(other.isClosed());
        opener.close();
        writer.join(10_000);
        assertTrue(!writer.isAlive());
    }

    @Test
    void aRetiredConnectionOpensNoMoreStreamsAndClosesAfterItsLast() throws Exception {
        connect();
        MuxStream last = opener.open();
        next();
        opener.retire();
        assertThrows(IOException.class, opener::open);
        assertTrue(opener.isOpen(), "its streams go on");
        last.close();
        assertEquals("drained", openerClosed.get(10, TimeUnit.SECONDS));
    }

    @Test
    void creditForBytesNeverSentIsAProtocolError() throws Exception {
        acceptFromRaw();
        OutputStream out = raw.getOutputStream();
        out.write(new byte[] {Mux.OPEN, 0, 0, 0, 1, 0, 0, 0, 0});
        // A whole window back, though nothing was sent on the stream: its credit would pass the window.
        out.write(new byte[] {Mux.CREDIT, 0, 0, 0, 1, 0, 4, 0, 0});
        assertEquals("protocol error: stream 1: credit past the window", accepterClosed.get(10, TimeUnit.SECONDS));
    }
}

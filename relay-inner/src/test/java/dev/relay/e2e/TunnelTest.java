package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.Route;
import dev.relay.config.Tuning;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bytes through a real outer and inner: correctness, half-close, concurrency, backpressure, restarts, limits. */
@ExtendWith(NoLeaks.class)
class TunnelTest {

    /** Pooled data connections the inner keeps; {@link UnpooledTunnelTest} runs every test again with none. */
    int pool() {
        return InnerConfig.DEFAULT_POOL;
    }

    /** TLS between inner and outer; {@link TlsTunnelTest} runs every test again over TLS. */
    TestCert cert() {
        return null;
    }

    TestTunnel tunnel(Target target) throws IOException, InterruptedException {
        return TestTunnel.to(target, pool(), cert());
    }

    TestTunnel tunnel(Target target, Tuning tuning) throws IOException, InterruptedException {
        return TestTunnel.to(target, pool(), cert(), tuning);
    }

    @Test
    void echoesThroughTheTunnel() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo);
                Socket s = t.connect()) {
            assertEquals("hello, relay", roundTrip(s, "hello, relay"));
            assertEquals("again", roundTrip(s, "again"));
        }
    }

    @Test
    void messagesEitherSideOfTheWaitingReadBufferArriveWholeAndInOrder() throws Exception {
        // A waiting direction reads into 512 bytes (Session.SMALL); a full read borrows a larger buffer for the rest.
        int[] sizes = {1, 511, 512, 513, 1024, 65_536 + 7, 3};
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo);
                Socket s = t.connect()) {
            for (int i = 0; i < sizes.length; i++) {
                byte[] m = new byte[sizes[i]];
                for (int k = 0; k < m.length; k++) {
                    m[k] = Bytes.at(i, k);
                }
                s.getOutputStream().write(m);
                s.getOutputStream().flush();
                assertArrayEquals(m, s.getInputStream().readNBytes(m.length), "a message of " + sizes[i] + " bytes");
            }
        }
    }

    @Test
    void moves64MiBEachWayAtOnceByteForByte() throws Exception {
        long size = 64L << 20;
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo);
                Socket s = t.connect()) {
            Future<?> writer = Executors.newVirtualThreadPerTaskExecutor().submit(() -> {
                Bytes.write(s.getOutputStream(), 42, size);
                s.shutdownOutput();
                return null;
            });
            assertEquals(size, Bytes.readAndCheck(s.getInputStream(), 42));
            writer.get();
        }
    }

    @Test
    void halfCloseStillDeliversTheWholeReply() throws Exception {
        int reply = 1 << 20;
        // Answers only after the client has finished sending, the way a request-then-EOF protocol does.
        try (Target t0 = Target.start(s -> {
                    long got = s.getInputStream().transferTo(OutputStream.nullOutputStream());
                    Bytes.write(s.getOutputStream(), got, reply);
                });
                TestTunnel t = tunnel(t0);
                Socket s = t.connect()) {
            Bytes.write(s.getOutputStream(), 1, 100_000);
            s.shutdownOutput();
            assertEquals(reply, Bytes.readAndCheck(s.getInputStream(), 100_000));
        }
    }

    @Test
    void twoHundredConcurrentSessionsNeverMix() throws Exception {
        int sessions = 200;
        // Timing is not the point here: 200 sessions opened at once (each with a TLS handshake in TlsTunnelTest, over
        // the control channel in UnpooledTunnelTest) can take longer than FAST's 5 s open and handshake timeouts on
        // a busy 2-core machine, and delay a heartbeat past FAST's 1 s dead-peer time, which drops the control channel
        // and opens some sessions' targets twice.
        Tuning patient = TestTunnel.FAST
                .withHeartbeat(Duration.ofSeconds(1), Duration.ofSeconds(10))
                .withOpenTimeout(Duration.ofSeconds(30))
                .withHandshake(Duration.ofSeconds(30));
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, patient);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Long>> results = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                long seed = 1000 + i;
                long size = 10_000 + i * 997L;
                results.add(pool.submit(() -> {
                    try (Socket s = t.connect()) {
                        go.await();
                        Future<?> w = Executors.newVirtualThreadPerTaskExecutor()
                                .submit((Callable<Void>) () -> {
                                    Bytes.write(s.getOutputStream(), seed, size);
                                    s.shutdownOutput();
                                    return null;
                                });
                        long got = Bytes.readAndCheck(s.getInputStream(), seed);
                        w.get();
                        assertEquals(size, got, "session " + seed);
                        return got;
                    }
                }));
            }
            go.countDown();
            for (Future<Long> r : results) {
                r.get();
            }
            assertEquals(sessions, echo.accepted.get());
            Await.until("sessions to end", () -> t.outer.activeSessions() == 0 && t.inner.activeSessions() == 0);
        }
    }

    @Test
    void aSlowReaderStallsTheSenderInsteadOfGrowingBuffers() throws Exception {
        // What three TCP hops can hold in kernel buffers at most; relay itself may add only its small copy buffers.
        long kernel = 3 * (maxBuffer("net/ipv4/tcp_rmem") + maxBuffer("net/ipv4/tcp_wmem"));
        long bound = kernel + (8L << 20);
        long total = Math.max(256L << 20, 2 * bound);
        AtomicLong sent = new AtomicLong();
        try (Target flood = Target.start(s -> {
                    s.getInputStream().read(); // the client's hello; unread input would make close() send a reset
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[16 * 1024];
                    for (long pos = 0; pos < total; pos += chunk.length) {
                        for (int k = 0; k < chunk.length; k++) {
                            chunk[k] = Bytes.at(7, pos + k);
                        }
                        out.write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                });
                TestTunnel t = tunnel(flood);
                Socket s = t.connect()) {
            s.getOutputStream().write(1); // any byte makes sure the session is up before we stop reading
            Await.until("the sender to stall", () -> stalled(sent));
            long inFlight = sent.get();
            assertTrue(
                    inFlight < bound,
                    "target got " + inFlight + " bytes out to a reader that reads nothing; "
                            + "kernel buffers hold at most " + kernel);
            assertEquals(total, Bytes.readAndCheck(s.getInputStream(), 7));
        }
    }

    /** The largest buffer autotuning may give a TCP socket: the third field of tcp_rmem or tcp_wmem. */
    private static long maxBuffer(String sysctl) throws IOException {
        // Files.readString trusts the size /proc reports (none) and stops short; a plain read does not.
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys", sysctl))) {
            String[] f = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .trim()
                    .split("\\s+");
            return Long.parseLong(f[2]);
        }
    }

    /** True when the counter has not moved for a quarter of a second. */
    private static boolean stalled(AtomicLong counter) {
        long before = counter.get();
        long until = System.nanoTime() + 250_000_000L;
        while (System.nanoTime() < until) {
            LockSupport.parkNanos(10_000_000L);
            if (counter.get() != before) {
                return false;
            }
        }
        return before > 0;
    }

    @Test
    void aUserWhoArrivesBeforeTheInnerIsServedWhenItConnects() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(cert(), TestTunnel.FAST, TestTunnel.route("r0", echo))
                        .pool(pool());
                Socket s = t.connect()) {
            s.getOutputStream().write("early".getBytes(StandardCharsets.UTF_8));
            Await.until("the user to be waiting", () -> t.outer.pendingOpens() == 1);
            t.startInner();
            assertEquals("early", read(s, 5));
        }
    }

    @Test
    void aTargetThatRefusesClosesTheUserPromptly() throws Exception {
        try (RefusingPort refusing = new RefusingPort();
                TestTunnel t = TestTunnel.outerOnly(
                                cert(),
                                TestTunnel.FAST.withOpenTimeout(Duration.ofSeconds(60)),
                                Route.of("dead", new HostPort("127.0.0.1", 0), refusing.address()))
                        .pool(pool())) {
            t.startInner();
            try (Socket s = t.connect("dead")) {
                s.setSoTimeout(10_000); // far less than the open timeout: the refusal must travel back at once
                assertEquals(-1, s.getInputStream().read());
            }
            Await.until("nothing pending", () -> t.outer.pendingOpens() == 0);
        }
    }

    @Test
    void routesWorkAgainAfterTheInnerRestarts() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo)) {
            t.stopInner();
            Await.until("outer notices the inner is gone", () -> !t.outer.innerConnected());
            t.startInner();
            try (Socket s = t.connect()) {
                assertEquals("back", roundTrip(s, "back"));
            }
        }
    }

    @Test
    void routesWorkAgainAfterTheOuterRestarts() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo)) {
            try (Socket s = t.connect()) {
                assertEquals("before", roundTrip(s, "before"));
            }
            t.restartOuter();
            // Nothing is done to the inner: it must find the new outer by itself.
            Await.until("inner reconnects to the new outer", () -> t.outer.innerConnected());
            try (Socket s = t.connect()) {
                assertEquals("after", roundTrip(s, "after"));
            }
        }
    }

    @Test
    void anInnerKilledMidSessionEndsThatSessionAndTheNextOneWorks() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo)) {
            Socket s = t.connect();
            assertEquals("one", roundTrip(s, "one"));
            t.stopInner();
            assertEquals(-1, s.getInputStream().read());
            s.close();
            t.startInner();
            try (Socket again = t.connect()) {
                assertEquals("two", roundTrip(again, "two"));
            }
        }
    }

    @Test
    void anIdleSessionIsClosedAfterItsRoutesIdleTimeout() throws Exception {
        try (Target echo = Target.echo()) {
            Route r = new Route(
                    "r0",
                    new HostPort("127.0.0.1", 0),
                    new HostPort("127.0.0.1", echo.port()),
                    Duration.ofMillis(300),
                    100);
            try (TestTunnel t = TestTunnel.outerOnly(cert(), TestTunnel.FAST, r).pool(pool())) {
                t.startInner();
                try (Socket s = t.connect()) {
                    assertEquals("x", roundTrip(s, "x"));
                    long start = System.nanoTime();
                    assertEquals(-1, s.getInputStream().read());
                    assertTrue(System.nanoTime() - start >= 250_000_000L, "closed before the idle timeout");
                }
            }
        }
    }

    @Test
    void usersOverTheRouteLimitAreClosedAndOthersKeepWorking() throws Exception {
        try (Target echo = Target.echo()) {
            Route r = new Route(
                    "r0", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", echo.port()), Duration.ZERO, 2);
            try (TestTunnel t = TestTunnel.outerOnly(cert(), TestTunnel.FAST, r).pool(pool())) {
                t.startInner();
                Socket a = t.connect();
                Socket b = t.connect();
                assertEquals("a", roundTrip(a, "a"));
                assertEquals("b", roundTrip(b, "b"));
                try (Socket c = t.connect()) {
                    assertEquals(-1, c.getInputStream().read());
                }
                assertEquals("b2", roundTrip(b, "b2"));
                a.close();
                Await.until("a's session to end", () -> t.outer.activeSessions() == 1);
                try (Socket d = t.connect()) {
                    assertEquals("d", roundTrip(d, "d"));
                }
                b.close();
            }
        }
    }

    static String roundTrip(Socket s, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        return read(s, b.length);
    }

    static String read(Socket s, int n) throws IOException {
        InputStream in = s.getInputStream();
        byte[] got = in.readNBytes(n);
        assertEquals(n, got.length, "stream ended early");
        return new String(got, StandardCharsets.UTF_8);
    }
}

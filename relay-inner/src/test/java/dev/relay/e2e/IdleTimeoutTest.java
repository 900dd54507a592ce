package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.HostPort;
import dev.relay.config.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What a route's idle timeout does to sessions that are busy, and to sessions stuck behind a peer that stopped reading. */
@ExtendWith(NoLeaks.class)
class IdleTimeoutTest {
    private static final Duration IDLE = Duration.ofMillis(400);

    private static Route route(Target target) {
        return new Route("r0", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", target.port()), IDLE, 100);
    }

    @Test
    void aSlowDownloadIsBusyNotIdle() throws Exception {
        long total = 16L << 20;
        try (Target source = Target.start(s -> {
                    s.getInputStream().read();
                    Bytes.write(s.getOutputStream(), 3, total);
                });
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, route(source))) {
            t.startInner();
            try (Socket s = t.connect()) {
                s.getOutputStream().write(1);
                InputStream in = s.getInputStream();
                byte[] buf = new byte[256 * 1024];
                long got = 0;
                long start = System.nanoTime();
                // The user reads slowly, for several idle timeouts in all: the relay's writes to it block, but bytes
                // keep moving, so the session must not be taken for idle.
                for (int n; (n = in.read(buf)) >= 0; ) {
                    got += n;
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(15));
                }
                assertEquals(total, got);
                assertTrue(System.nanoTime() - start > 3 * IDLE.toNanos(), "the download was not slow enough to test");
            }
        }
    }

    @Test
    void aTlsSessionStuckBehindATargetThatStoppedReadingIsClosedAndTheOuterKeepsWorking() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Target deaf = Target.start(s -> {
                    try {
                        release.await(); // never reads: the relay's writes towards it block
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(
                        TestCert.shared(), TestTunnel.FAST, route(deaf), TestTunnel.route("ok", echo))) {
            t.startInner();
            try (Socket s = t.connect("r0")) {
                Future<?> flood = Executors.newVirtualThreadPerTaskExecutor().submit(() -> {
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (; ; ) {
                        out.write(chunk); // blocks once every buffer on the way is full, then fails when closed
                    }
                });
                // The idle timeout closes the session although a TLS write inside it is blocked.
                ExecutionException e = assertThrows(ExecutionException.class, () -> flood.get(20, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof IOException, e.toString());
            } finally {
                release.countDown();
            }
            // The timer that closed it is free: heartbeats still flow and other routes still work.
            assertTrue(t.outer.innerConnected());
            try (Socket s = t.connect("ok")) {
                assertEquals("still here", TunnelTest.roundTrip(s, "still here"));
            }
        }
    }
}

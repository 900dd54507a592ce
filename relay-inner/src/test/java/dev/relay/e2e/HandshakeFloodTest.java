package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.outer.Outer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hundreds of connections that never authenticate, some silent and some trickling a byte at a time, from one
 * attacker address (127.0.0.2): the outer holds only a few of them, and the real inner connects and serves meanwhile.
 */
@ExtendWith(NoLeaks.class)
class HandshakeFloodTest {
    private static final int FLOOD = 400;

    @Test
    void aHandshakeFloodCannotKeepTheRealInnerOut() throws Exception {
        List<Socket> flood = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger trickled = new AtomicInteger();
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            int baselineFiles = NoLeaks.openFiles();
            for (int i = 0; i < FLOOD; i++) {
                Socket s = new Socket();
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                s.connect(new InetSocketAddress("127.0.0.1", t.outer.controlPort()));
                flood.add(s);
            }
            // Every other connection sends one byte of a plausible frame now and then, like a slowloris.
            Thread trickle = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    for (int i = 0; i < flood.size(); i += 2) {
                        try {
                            flood.get(i).getOutputStream().write(1);
                            trickled.incrementAndGet();
                        } catch (IOException closedByOuter) {
                            // Expected for all but a few.
                        }
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
                }
            });
            Await.until("the trickle to start", () -> trickled.get() > 0);

            // The flood costs the outer only its per-source share of handshake threads and descriptors.
            int relayThreads = Threads.live();
            assertTrue(relayThreads <= Outer.MAX_HANDSHAKES_PER_SOURCE + 10, "relay threads: " + relayThreads);
            int held = NoLeaks.openFiles() - baselineFiles - FLOOD;
            assertTrue(held <= Outer.MAX_HANDSHAKES_PER_SOURCE + 10, "descriptors the outer holds: " + held);

            t.startInner(); // from 127.0.0.1, while the flood goes on
            try (Socket s = t.connect()) {
                assertEquals("through the flood", TunnelTest.roundTrip(s, "through the flood"));
            }
            stop.set(true);
            trickle.join();
        } finally {
            flood.forEach(Sockets::closeQuietly);
        }
    }
}

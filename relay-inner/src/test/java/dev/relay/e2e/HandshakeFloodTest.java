package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.Tuning;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.outer.Outer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
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
        AtomicInteger refused = new AtomicInteger();
        // A handshake timeout longer than the test: the share of the flood the outer takes stays held while the test
        // counts, and only the per-source cap can close the rest.
        Tuning tuning = TestTunnel.FAST.withHandshake(Duration.ofSeconds(60));
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(tuning, TestTunnel.route("r0", echo))) {
            int baselineFiles = NoLeaks.openFiles();
            for (int i = 0; i < FLOOD; i++) {
                Socket s = new Socket();
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                s.connect(new InetSocketAddress("127.0.0.1", t.outer.controlPort()));
                flood.add(s);
                // Ends when the outer closes the connection: end of stream, or a reset if it left bytes unread.
                Thread.ofVirtual().name("flood-watch").start(() -> {
                    try {
                        while (s.getInputStream().read() >= 0) {
                            // The outer sends a stranger nothing; keep reading until it closes.
                        }
                    } catch (IOException closed) {
                        // A reset, or the test closing the socket at the end.
                    }
                    refused.incrementAndGet();
                });
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
            // Only once the outer has taken in the flood do the bounds below mean anything: it has when it has closed
            // every connection beyond its per-source share.
            int share = Outer.MAX_HANDSHAKES_PER_SOURCE;
            try {
                Await.until(
                        "the outer to close all but " + share + " of the flood", () -> refused.get() >= FLOOD - share);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + " (closed: " + refused.get() + " of " + FLOOD + ")", e);
            }

            // The flood costs the outer only its per-source share of handshake threads and descriptors.
            int relayThreads = Threads.live();
            assertTrue(relayThreads <= share + 10, "relay threads: " + relayThreads);
            int held = NoLeaks.openFiles() - baselineFiles - FLOOD;
            assertTrue(held <= share + 10, "descriptors the outer holds: " + held);

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

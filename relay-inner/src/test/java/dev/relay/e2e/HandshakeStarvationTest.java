package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.relay.net.Sockets;
import dev.relay.outer.Outer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Sixteen attacker addresses, each holding as many silent handshakes as the per-source cap allows, fill the outer's
 * global handshake limit. The connected inner's pooled and data connections must still get in, so users keep being
 * served during the flood.
 */
@ExtendWith(NoLeaks.class)
class HandshakeStarvationTest {
    private static final int SOURCES = 16;
    private static final int PER_SOURCE = 20;
    private static final int USERS = 16;

    @Test
    void aFloodFromManyAddressesDoesNotStarveTheConnectedInner() throws Exception {
        List<Socket> flood = new ArrayList<>();
        AtomicInteger closedByOuter = new AtomicInteger();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(
                                TestTunnel.FAST.withHandshake(Duration.ofSeconds(20)), TestTunnel.route("r0", echo))
                        .pool(2)) {
            t.startInner();
            Await.until("the pool", () -> t.outer.pooledConnections() == 2);
            for (int source = 1; source <= SOURCES; source++) {
                InetAddress from = InetAddress.getByName("127.0.1." + source);
                for (int i = 0; i < PER_SOURCE; i++) {
                    Socket s = new Socket();
                    flood.add(s);
                    s.bind(new InetSocketAddress(from, 0));
                    s.connect(new InetSocketAddress("127.0.0.1", t.outer.controlPort()));
                    threads.submit(() -> {
                        try {
                            if (s.getInputStream().read() < 0) {
                                closedByOuter.incrementAndGet();
                            }
                        } catch (IOException e) {
                            closedByOuter.incrementAndGet();
                        }
                    });
                }
            }
            // Over the per-source cap the outer closes at once; the rest hold every one of the global slots.
            int overCap = SOURCES * (PER_SOURCE - Outer.MAX_HANDSHAKES_PER_SOURCE);
            Await.until("the outer to take in the flood", () -> closedByOuter.get() >= overCap);
            assertEquals(Outer.MAX_HANDSHAKES, SOURCES * Outer.MAX_HANDSHAKES_PER_SOURCE, "the flood fills the cap");

            // A burst larger than the pool: most of these need a data connection from the inner, during the flood.
            List<Future<String>> users = new ArrayList<>();
            for (int i = 0; i < USERS; i++) {
                String hello = "user " + i;
                users.add(threads.submit(() -> {
                    try (Socket u = t.connect()) {
                        return TunnelTest.roundTrip(u, hello);
                    }
                }));
            }
            for (int i = 0; i < USERS; i++) {
                assertEquals("user " + i, users.get(i).get(), "user " + i + " during the flood");
            }
            assertEquals(overCap, closedByOuter.get(), "the flood is still held while users are served");
        } finally {
            flood.forEach(Sockets::closeQuietly);
            threads.close();
        }
    }
}

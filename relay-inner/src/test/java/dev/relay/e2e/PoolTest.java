package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.relay.config.InnerConfig;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pool of pre-opened data connections: filled, used, refilled, and emptied with its inner. */
@ExtendWith(NoLeaks.class)
class PoolTest {

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void theInnerFillsThePoolAndRefillsItAfterEachSession(boolean tls) throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 4, tls ? TestCert.shared() : null)) {
            Await.until("a full pool", () -> t.outer.pooledConnections() == 4);
            for (int i = 0; i < 10; i++) {
                try (Socket s = t.connect()) {
                    assertEquals("p" + i, TunnelTest.roundTrip(s, "p" + i));
                }
                Await.until("the pool refilled", () -> t.outer.pooledConnections() == 4);
            }
            assertEquals(10, echo.accepted.get());
            // Over TLS each refill used the ticket from the Open that took the connection it replaces: no round trip.
            // Over plain TCP there are no tickets, since a tap could replay one (docs/security.md).
            assertEquals(tls ? 10 : 0, t.outer.pooledConnectionsTicketed());
        }
    }

    @Test
    void aBurstLargerThanThePoolFallsBackToTheControlChannel() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 2)) {
            Await.until("a full pool", () -> t.outer.pooledConnections() == 2);
            Socket[] users = new Socket[6];
            for (int i = 0; i < users.length; i++) {
                users[i] = t.connect();
            }
            for (int i = 0; i < users.length; i++) {
                assertEquals("u" + i, TunnelTest.roundTrip(users[i], "u" + i));
            }
            for (Socket u : users) {
                u.close();
            }
        }
    }

    @Test
    void thePoolGoesWithItsInner() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, InnerConfig.DEFAULT_POOL)) {
            Await.until("a full pool", () -> t.outer.pooledConnections() == InnerConfig.DEFAULT_POOL);
            t.stopInner();
            Await.until("the pool emptied", () -> t.outer.pooledConnections() == 0);
            t.startInner();
            Await.until("a new full pool", () -> t.outer.pooledConnections() == InnerConfig.DEFAULT_POOL);
            try (Socket s = t.connect()) {
                assertEquals("fresh", TunnelTest.roundTrip(s, "fresh"));
            }
        }
    }

    @Test
    void idlePooledConnectionsAreRetiredAndReplaced() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(
                                TestTunnel.FAST.withPoolMaxIdle(Duration.ofMillis(300)), TestTunnel.route("r0", echo))
                        .pool(2)) {
            t.startInner();
            Await.until("a full pool", () -> t.outer.pooledConnections() == 2);
            long before = t.outer.pooledConnectionsRetired();
            Await.until("two rounds of retirement", () -> t.outer.pooledConnectionsRetired() >= before + 4);
            Await.until("the pool refilled", () -> t.outer.pooledConnections() == 2);
            try (Socket s = t.connect()) {
                assertEquals("fresh", TunnelTest.roundTrip(s, "fresh"));
            }
        }
    }
}

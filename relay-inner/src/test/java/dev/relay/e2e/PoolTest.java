package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.relay.config.InnerConfig;
import dev.relay.net.Sockets;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pool of pre-opened data connections: filled, used, refilled, and emptied with its inner. */
@ExtendWith(NoLeaks.class)
class PoolTest {

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void eachSessionGivesItsPooledConnectionBackForTheNext(boolean tls) throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 4, tls ? TestCert.shared() : null)) {
            Await.until("a full pool", () -> t.outer.pooledConnections() == 4);
            for (int i = 0; i < 10; i++) {
                try (Socket s = t.connect()) {
                    assertEquals("p" + i, TunnelTest.roundTrip(s, "p" + i));
                }
                long sessions = i + 1;
                Await.until("the connection back in the pool", () -> t.outer.pooledConnectionsReused() == sessions);
                assertEquals(4, t.outer.pooledConnections());
            }
            assertEquals(10, echo.accepted.get());
            // Three of four stayed idle throughout, so the inner never dialled a replacement.
            assertEquals(0, t.outer.pooledConnectionsTicketed());
        }
    }

    /**
     * Two users hold the two connections of a pool of two. The second take leaves none idle, under half the pool, so
     * the inner dials one replacement: over TLS with the ticket from that Open, in one frame. When the users leave,
     * both connections come back, and the pool keeps all three (up to twice its size).
     */
    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void aPoolDrainedBelowHalfIsRefilledAndKeepsWhatComesBack(boolean tls) throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 2, tls ? TestCert.shared() : null)) {
            Await.until("a full pool", () -> t.outer.pooledConnections() == 2);
            try (Socket a = t.connect();
                    Socket b = t.connect()) {
                assertEquals("a", TunnelTest.roundTrip(a, "a"));
                assertEquals("b", TunnelTest.roundTrip(b, "b"));
                Await.until("one replacement", () -> t.outer.pooledConnections() == 1);
                assertEquals(tls ? 1 : 0, t.outer.pooledConnectionsTicketed());
            }
            Await.until("both connections back", () -> t.outer.pooledConnectionsReused() == 2);
            assertEquals(3, t.outer.pooledConnections());
            for (int i = 0; i < 3; i++) {
                try (Socket s = t.connect()) {
                    assertEquals("again" + i, TunnelTest.roundTrip(s, "again" + i));
                }
            }
            Await.until("each back again", () -> t.outer.pooledConnectionsReused() == 5);
            assertEquals(3, t.outer.pooledConnections());
        }
    }

    /**
     * Six users arrive while the pool of two cannot refill: the first two take the pooled connections, the other four
     * must be opened over the control channel. The inner dials a pooled connection's replacement only once it has
     * reached that session's target, so the first two users' route leads to a target that completes no connect until
     * the test releases it; the other four use a second route to a free target. The outer says in each session's open
     * line how it was opened: {@code via=pool}, or {@code via=open} for an Open on the control channel.
     */
    @Test
    void aBurstLargerThanThePoolFallsBackToTheControlChannel() throws Exception {
        List<Socket> users = new ArrayList<>();
        LogCapture log = LogCapture.start();
        try (log;
                Target held = Target.heldEcho();
                Target free = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(
                                TestTunnel.FAST, TestTunnel.route("held", held), TestTunnel.route("free", free))
                        .pool(2)) {
            t.startInner();
            Await.until("a full pool", () -> t.outer.pooledConnections() == 2);
            users.add(t.connect("held"));
            users.add(t.connect("held"));
            List<Socket> pooledUsers = List.copyOf(users);
            Await.until("the two users to take the pool", () -> t.outer.pooledConnections() == 0);
            for (int i = 0; i < 4; i++) {
                users.add(t.connect("free"));
            }
            List<Socket> burst = users.subList(2, users.size());
            Await.until(
                    "the four users past the pool to be opened over the control channel (via=open)",
                    () -> burst.stream().allMatch(u -> "open".equals(via(log).get(u.getLocalPort()))));
            // Served while the pool is still empty: its two sessions wait for the held target.
            for (int i = 0; i < burst.size(); i++) {
                assertEquals("u" + i, TunnelTest.roundTrip(burst.get(i), "u" + i));
            }
            assertEquals(0, t.outer.pooledConnections(), "the pool refilled before its sessions reached the target");
            held.release();
            for (int i = 0; i < pooledUsers.size(); i++) {
                assertEquals("p" + i, TunnelTest.roundTrip(pooledUsers.get(i), "p" + i));
            }
            // The outer logs a session's open line before it relays its first byte, so every line is there by now.
            Map<Integer, String> via = via(log);
            for (Socket u : pooledUsers) {
                assertEquals(
                        "pool", via.get(u.getLocalPort()), "user " + u.getLocalPort() + " of the full pool: " + via);
            }
            assertEquals(6, via.size(), "sessions opened: " + via);
        } finally {
            users.forEach(Sockets::closeQuietly);
        }
    }

    /** From the outer's session open lines: each user's port, and how the outer opened its session. */
    private static Map<Integer, String> via(LogCapture log) {
        Pattern open = Pattern.compile("session open id=\\S+ route=\\S+ user=127\\.0\\.0\\.1:(\\d+) via=(\\w+)");
        Map<Integer, String> via = new HashMap<>();
        for (String line : log.lines("session open")) {
            Matcher m = open.matcher(line);
            if (m.find()) {
                via.put(Integer.parseInt(m.group(1)), m.group(2));
            }
        }
        return via;
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

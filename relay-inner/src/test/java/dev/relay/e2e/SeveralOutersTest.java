package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.admin.AdminServer;
import dev.relay.config.AdminConfig;
import dev.relay.config.ConfigSource;
import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.inner.Inner;
import dev.relay.outer.Outer;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * One inner on several outers (issue 10, section 2): each outer serves the routes, each link reconnects on its own,
 * losing one outer ends only its sessions, a reload adds and removes outers, and a hostile outer cannot take the
 * session slots the other outers need.
 */
class SeveralOutersTest {
    private static final HostPort ANY = new HostPort("127.0.0.1", 0);

    /** An outer offering route r0 to {@code target}, on {@code control} (0 for any port) and {@code routePort}. */
    private static Outer outer(Target target, int control, int routePort) throws IOException {
        Route r0 = Route.of("r0", new HostPort("127.0.0.1", routePort), new HostPort("127.0.0.1", target.port()));
        return Outer.start(
                new OuterConfig(new HostPort("127.0.0.1", control), TestTunnel.TOKEN, List.of(r0), TestTunnel.FAST));
    }

    private static HostPort control(Outer o) {
        return new HostPort("127.0.0.1", o.controlPort());
    }

    private static InnerConfig innerOf(List<HostPort> outers) {
        return new InnerConfig(
                outers, TestTunnel.TOKEN, "home", 2, TestTunnel.FAST, null, List.of(), AdminConfig.local(ANY));
    }

    private static Socket user(Outer o) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", o.port("r0")), 5000);
            s.setSoTimeout(10_000);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    @Test
    void bothOutersServeTheRouteAndStatusAndMetricsShowEachLink() throws Exception {
        try (Target echo = Target.echo();
                Outer a = outer(echo, 0, 0);
                Outer b = outer(echo, 0, 0);
                Inner inner = Inner.start(innerOf(List.of(control(a), control(b))))) {
            assertTrue(inner.awaitConnected(Duration.ofSeconds(10)), "connected to both: " + inner.lastFailure());
            Await.until("both outers to have the inner", () -> a.innerConnected() && b.innerConnected());
            for (Outer o : List.of(a, b, a, b)) {
                try (Socket s = user(o)) {
                    assertEquals("via " + o.controlPort(), TunnelTest.roundTrip(s, "via " + o.controlPort()));
                }
            }
            AdminClient admin = new AdminClient(inner.adminPort());
            for (Outer o : List.of(a, b)) {
                assertEquals(1, admin.sample("relay_control_channel_up{outer=\"" + control(o) + "\"}"));
            }
            JsonNode status = new ObjectMapper().readTree(admin.get("/status").body());
            assertEquals(2, status.get("outers").size(), status.toString());
            assertEquals(
                    control(a).toString(),
                    status.get("outers").get(0).get("address").asText());
            assertEquals(
                    control(b).toString(),
                    status.get("outers").get(1).get("address").asText());
            assertEquals(1, status.get("routes").size(), "r0 is listed once: " + status);
            assertEquals(4, status.get("routes").get(0).get("sessionsTotal").asLong(), status.toString());
        }
    }

    @Test
    void losingOneOuterEndsOnlyItsSessionsAndTheInnerRejoinsItWhenItIsBack() throws Exception {
        try (Target echo = Target.echo();
                Outer b = outer(echo, 0, 0)) {
            Outer a = outer(echo, 0, 0);
            int aControl = a.controlPort();
            int aRoute = a.port("r0");
            HostPort atA = control(a);
            try (Inner inner = Inner.start(innerOf(List.of(atA, control(b))))) {
                assertTrue(inner.awaitConnected(Duration.ofSeconds(10)), inner.lastFailure());
                try (Socket viaA = user(a);
                        Socket viaB = user(b)) {
                    assertEquals("a1", TunnelTest.roundTrip(viaA, "a1"));
                    assertEquals("b1", TunnelTest.roundTrip(viaB, "b1"));
                    Await.until("two sessions on the inner", () -> inner.activeSessions() == 2);

                    a.close();
                    // A's user is cut off; B's session goes on over the same connection, and B takes new users.
                    assertEquals(-1, readOrEnd(viaA), "A's user is closed");
                    Await.until("A's session to end on the inner", () -> inner.activeSessions() == 1);
                    assertEquals("b2", TunnelTest.roundTrip(viaB, "b2"));
                    Await.until("the inner to see A gone", () -> !inner.connectedTo(atA));
                    assertTrue(inner.connectedTo(control(b)), "the link to B never dropped");
                    assertTrue(inner.connected());
                    for (int i = 0; i < 3; i++) {
                        try (Socket s = user(b)) {
                            assertEquals("new " + i, TunnelTest.roundTrip(s, "new " + i));
                        }
                    }
                    AdminClient admin = new AdminClient(inner.adminPort());
                    assertEquals(0, admin.sample("relay_control_channel_up{outer=\"" + atA + "\"}"));
                    assertEquals(1, admin.sample("relay_control_channel_up{outer=\"" + control(b) + "\"}"));
                    assertEquals(200, admin.get("/readyz").status(), "ready while one outer is there");
                }

                // A comes back on the same ports: the inner dials it again by itself.
                a = outer(echo, aControl, aRoute);
                Outer back = a;
                Await.until("the inner to rejoin A", () -> inner.connectedTo(atA) && back.innerConnected());
                try (Socket s = user(back)) {
                    assertEquals("a again", TunnelTest.roundTrip(s, "a again"));
                }
            } finally {
                a.close();
            }
        }
    }

    /** The next byte, or -1 when the peer closed or reset the connection. */
    private static int readOrEnd(Socket s) {
        try {
            return s.getInputStream().read();
        } catch (IOException reset) {
            return -1;
        }
    }

    @Test
    void aReloadAddsAndRemovesOuters() throws Exception {
        try (Target echo = Target.echo();
                Outer a = outer(echo, 0, 0);
                Outer b = outer(echo, 0, 0)) {
            AtomicReference<InnerConfig> file = new AtomicReference<>(innerOf(List.of(control(a))));
            ConfigSource<InnerConfig> source = new ConfigSource<>() {
                @Override
                public InnerConfig load() {
                    return file.get();
                }

                @Override
                public String describe() {
                    return "test";
                }
            };
            try (Inner inner = Inner.start(file.get(), source)) {
                assertTrue(inner.awaitConnected(Duration.ofSeconds(10)), inner.lastFailure());
                assertFalse(b.innerConnected());

                file.set(innerOf(List.of(control(a), control(b))));
                AdminServer.Reload added = inner.reload();
                assertTrue(added.ok(), added.toString());
                assertEquals(List.of("inner.connect +" + control(b)), added.applied());
                Await.until("B to have the inner", b::innerConnected);
                try (Socket s = user(b)) {
                    assertEquals("b", TunnelTest.roundTrip(s, "b"));
                }
                try (Socket runningViaA = user(a)) {
                    assertEquals("a", TunnelTest.roundTrip(runningViaA, "a"));

                    file.set(innerOf(List.of(control(b))));
                    AdminServer.Reload removed = inner.reload();
                    assertEquals(List.of("inner.connect -" + control(a)), removed.applied());
                    Await.until("A to lose the inner", () -> !a.innerConnected());
                    assertEquals(List.of(control(b)), inner.outers());
                    // A session that started over A runs on: only the control channel and the pool were closed.
                    assertEquals("still a", TunnelTest.roundTrip(runningViaA, "still a"));
                }
                try (Socket s = user(b)) {
                    assertEquals("b again", TunnelTest.roundTrip(s, "b again"));
                }
            }
        }
    }

    /**
     * A hostile outer that floods Opens gets no more than its share of the inner's session slots: the inner's
     * maxSessions is 4, two outers each have a reserve of one, so the flood holds three and the genuine outer's user is
     * still served.
     */
    @Test
    void aFloodOfOpensFromOneOuterLeavesTheOtherItsShare() throws Exception {
        int max = 4;
        AtomicInteger atTarget = new AtomicInteger();
        try (Target holding = Target.start(s -> {
                    atTarget.incrementAndGet();
                    s.getInputStream().transferTo(OutputStream.nullOutputStream());
                });
                Target echo = Target.echo();
                Outer genuine = outer(echo, 0, 0);
                ServerSocket fake = new ServerSocket(0, 200, InetAddress.getLoopbackAddress())) {
            // The inner's data dials to the fake outer are never answered: each open holds its slot until the
            // handshake timeout, longer than this test.
            InnerConfig c = innerOf(List.of(new HostPort("127.0.0.1", fake.getLocalPort()), control(genuine)))
                    .withTuning(TestTunnel.FAST.withMaxSessions(max).withHandshake(Duration.ofSeconds(60)))
                    .withPool(0);
            try (Inner inner = Inner.start(c);
                    Socket control = fake.accept()) {
                Channel ch = FakeOuter.welcome(control, holding);
                AtomicInteger refused = new AtomicInteger();
                Thread reader = FakeOuter.countLimitRefusals(ch, refused);
                try {
                    Await.until("the genuine outer to have the inner", genuine::innerConnected);
                    int opens = 100;
                    for (int i = 0; i < opens; i++) {
                        ch.send(new OuterToInner.Open(Nonce.sessionId(), "r0"));
                    }
                    Await.until("the inner to refuse the flood beyond its share", () -> refused.get() >= opens - 3);
                    Await.until("the flood's opens to reach the target", () -> atTarget.get() == 3);
                    assertEquals(opens - 3, refused.get(), "the hostile outer holds its share and no more");
                    try (Socket s = user(genuine)) {
                        assertEquals("served", TunnelTest.roundTrip(s, "served"));
                    }
                } finally {
                    ch.close();
                    reader.join();
                }
            }
        }
    }
}

package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.auth.Handshake;
import dev.relay.config.AdminConfig;
import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.config.Token;
import dev.relay.config.Tuning;
import dev.relay.inner.Inner;
import dev.relay.net.AddressRule;
import dev.relay.outer.Outer;
import dev.relay.protocol.Channel;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Message;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several named inners on one outer, each with its own token: they share a route's sessions, one going away moves new
 * sessions to the others, a route bound to one inner is never served by another, and a target one inner cannot reach
 * is retried on another with the user's first bytes intact.
 */
@ExtendWith(NoLeaks.class)
class SeveralInnersTest {
    private static final Token SITE_A = new Token("site-a-token-0123456789abcdef");
    private static final Token SITE_B = new Token("site-b-token-0123456789abcdef");

    private final List<AutoCloseable> open = new ArrayList<>();
    private Outer outer;

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Outer outer(Route... routes) throws IOException {
        return outer(TestTunnel.FAST, routes);
    }

    private Outer outer(Tuning tuning, Route... routes) throws IOException {
        outer = Outer.start(config(tuning, routes));
        open.add(outer);
        return outer;
    }

    private static OuterConfig config(Route... routes) {
        return config(TestTunnel.FAST, routes);
    }

    private static OuterConfig config(Tuning tuning, Route... routes) {
        return new OuterConfig(
                new HostPort("127.0.0.1", 0),
                null,
                List.of(routes),
                tuning,
                null,
                null,
                List.of(),
                Map.of("site-a", SITE_A, "site-b", SITE_B));
    }

    private InnerConfig innerConfig(String name, Token token, int pool) {
        return new InnerConfig(new HostPort("127.0.0.1", outer.controlPort()), token, name, pool, TestTunnel.FAST);
    }

    /** Starts an inner that the outer must refuse, and checks that the reason it was given mentions {@code why}. */
    private void assertRefused(InnerConfig c, String why) throws Exception {
        Inner refused = Inner.start(c);
        open.add(refused);
        Await.until("inner \"" + c.name() + "\" to be refused", () -> refused.lastFailure() != null);
        assertTrue(refused.lastFailure().contains(why), refused.lastFailure());
    }

    /** Starts an inner and waits until the outer has it under its name. */
    private Inner inner(String name, Token token, int pool) throws Exception {
        return inner(innerConfig(name, token, pool));
    }

    private Inner inner(InnerConfig config) throws Exception {
        Inner i = Inner.start(config);
        open.add(i);
        assertTrue(i.awaitConnected(Duration.ofSeconds(10)), "inner did not connect: " + i.lastFailure());
        Await.until(
                "the outer to have " + config.name(),
                () -> outer.connectedInners().contains(config.name()));
        return i;
    }

    private static Route route(String name, Target target, String... inners) {
        List<Route.InnerWeight> names = new ArrayList<>();
        for (String n : inners) {
            names.add(new Route.InnerWeight(n, Route.DEFAULT_WEIGHT));
        }
        return TestTunnel.route(name, target).withInners(names, Route.Balance.FEWEST);
    }

    private Socket user(String route) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", outer.port(route)), 5000);
        s.setSoTimeout(20_000);
        return s;
    }

    /** Sends {@code text} and reads it back through the echo target. */
    private static void echo(Socket s, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(b);
        out.flush();
        InputStream in = s.getInputStream();
        assertArrayEquals(b, in.readNBytes(b.length), "echo of " + text);
    }

    private void oneSession(String route, int i) throws IOException {
        try (Socket s = user(route)) {
            echo(s, "session " + i + " on " + route);
        }
    }

    @Test
    void aDataConnectionFromAnotherInnerIsRefusedForABoundRouteAndTheRightOneStillPairs() throws Exception {
        // Default heartbeats: site-a is scripted here, sends none, and must not be dropped for it mid-test.
        try (Target echo = Target.echo()) {
            outer(Tuning.DEFAULTS, route("r0", echo, "site-a"));
            try (Socket control = new Socket("127.0.0.1", outer.controlPort());
                    Socket user = user("r0")) {
                Channel a = new Channel(control);
                Handshake.dial(a, SITE_A, Purpose.CONTROL, "site-a", null);
                a.expect(OuterToInner.class, OuterToInner.Welcome.class);
                OuterToInner.Open open = TestTunnel.nextOpen(a);

                // site-b holds a token of its own and, here, the session id: the route is site-a's alone.
                try (Socket b = new Socket("127.0.0.1", outer.controlPort())) {
                    Channel cb = new Channel(b);
                    Handshake.dial(cb, SITE_B, Purpose.DATA, "site-b", open.session());
                    Message.Error e = assertInstanceOf(Message.Error.class, cb.read(OuterToInner.class));
                    assertTrue(e.message().contains("not served by inner \"site-b\""), e.message());
                }
                try (Socket d = new Socket("127.0.0.1", outer.controlPort())) {
                    Channel cd = new Channel(d);
                    Handshake.dial(cd, SITE_A, Purpose.DATA, "site-a", open.session());
                    cd.expect(OuterToInner.class, OuterToInner.Ready.class);
                    user.getOutputStream().write('x');
                    assertEquals('x', d.getInputStream().read(), "the session is site-a's, paired after the refusal");
                }
            }
        }
    }

    @Test
    void twoInnersShareARoutesSessions() throws Exception {
        try (Target target = Target.echo()) {
            outer(route("r0", target));
            inner("site-a", SITE_A, 2);
            inner("site-b", SITE_B, 2);
            // Held open together, so the fewest-sessions choice has something to even out.
            List<Socket> users = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    Socket s = user("r0");
                    users.add(s);
                    echo(s, "held " + i);
                }
                long a = outer.sessionsStarted("r0", "site-a");
                long b = outer.sessionsStarted("r0", "site-b");
                assertEquals(20, a + b);
                assertTrue(a >= 5 && b >= 5, "both inners get a share: site-a " + a + ", site-b " + b);
            } finally {
                for (Socket s : users) {
                    s.close();
                }
            }
        }
    }

    @Test
    void whenOneInnerGoesNewSessionsAllSucceedOnTheOther() throws Exception {
        try (Target target = Target.echo()) {
            outer(route("r0", target));
            Inner a = inner("site-a", SITE_A, 2);
            inner("site-b", SITE_B, 2);
            for (int i = 0; i < 10; i++) {
                oneSession("r0", i);
            }
            assertTrue(outer.sessionsStarted("r0", "site-a") > 0, "site-a served before it went away");
            a.close();
            Await.until(
                    "the outer to see site-a gone",
                    () -> outer.connectedInners().equals(Set.of("site-b")));
            long before = outer.sessionsStarted("r0", "site-b");
            for (int i = 0; i < 30; i++) {
                oneSession("r0", 100 + i);
            }
            assertEquals(before + 30, outer.sessionsStarted("r0", "site-b"));
        }
    }

    @Test
    void killingAnInnerUnderLoadFailsNoSessionStartedAfterTheOuterSawItGo() throws Exception {
        try (Target target = Target.echo();
                ExecutorService users = Executors.newVirtualThreadPerTaskExecutor()) {
            outer(route("r0", target));
            Inner a = inner("site-a", SITE_A, 4);
            inner("site-b", SITE_B, 4);
            AtomicBoolean failedOver = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger afterwards = new AtomicInteger();
            List<Future<String>> workers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int worker = w;
                workers.add(users.submit(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        boolean after = failedOver.get();
                        try {
                            oneSession("r0", worker * 100_000 + i);
                        } catch (IOException | AssertionError e) {
                            if (after) {
                                return "session " + i + " of worker " + worker + " failed after the failover: " + e;
                            }
                            continue;
                        }
                        if (after) {
                            afterwards.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            Await.until("sessions on site-a", () -> outer.sessionsStarted("r0", "site-a") >= 5);
            a.close();
            Await.until(
                    "the outer to see site-a gone",
                    () -> outer.connectedInners().equals(Set.of("site-b")));
            failedOver.set(true);
            Await.until("40 sessions after the failover", () -> afterwards.get() >= 40);
            stop.set(true);
            for (Future<String> f : workers) {
                assertNull(f.get());
            }
        }
    }

    @Test
    void aRouteBoundToOneInnerIsNeverServedByAnother() throws Exception {
        try (Target target = Target.echo()) {
            outer(route("only-a", target, "site-a"), route("any", target));
            inner("site-a", SITE_A, 2);
            inner("site-b", SITE_B, 2);
            for (int i = 0; i < 12; i++) {
                oneSession("only-a", i);
                oneSession("any", i);
            }
            assertEquals(12, outer.sessionsStarted("only-a", "site-a"));
            assertEquals(0, outer.sessionsStarted("only-a", "site-b"));
            assertEquals(12, outer.sessionsStarted("any", "site-a") + outer.sessionsStarted("any", "site-b"));
        }
    }

    @Test
    void anInnersTokenLogsInOnlyUnderItsOwnName() throws Exception {
        try (Target target = Target.echo()) {
            outer(route("r0", target));
            inner("site-b", SITE_B, 0);
            assertRefused(innerConfig("site-a", SITE_B, 0), "token");
            assertRefused(innerConfig("site-c", SITE_B, 0), "not in outer.inners");
            assertEquals(Set.of("site-b"), outer.connectedInners());
        }
    }

    @Test
    void aSecondInnerOfTheSameNameIsRefusedWhileTheFirstLives() throws Exception {
        try (Target target = Target.echo()) {
            outer(route("r0", target));
            inner("site-a", SITE_A, 0);
            assertRefused(innerConfig("site-a", SITE_A, 0), "another inner named \"site-a\"");
            oneSession("r0", 1);
        }
    }

    @Test
    void withOneTokenForAllASecondInnerOfAnyNameIsStillRefused() throws Exception {
        try (Target target = Target.echo();
                TestTunnel t = TestTunnel.to(target)) {
            InnerConfig mine = t.innerConfig();
            InnerConfig other =
                    new InnerConfig(mine.connect().get(0), mine.token(), "another-host", mine.pool(), mine.tuning());
            assertRefused(other, "list each inner in outer.inners");
            assertEquals(Set.of("test-inner"), t.outer.connectedInners());
        }
    }

    @Test
    void aTargetOneInnerCannotReachIsRetriedOnAnotherWithTheFirstBytesIntact() throws Exception {
        retriedOnAnother(0, TestTunnel.FAST);
    }

    @Test
    void onPooledConnectionsTooATargetOneInnerCannotReachIsRetriedWithTheFirstBytesIntact() throws Exception {
        retriedOnAnother(2, TestTunnel.FAST);
    }

    @Test
    void tuningHealthFailuresSetsHowManyFailuresInARowSetAnInnerAside() throws Exception {
        retriedOnAnother(0, TestTunnel.FAST.withHealth(1, Duration.ofSeconds(30)));
    }

    /**
     * Each user writes its first bytes at once, before any inner is asked; every byte comes back. Round robin sends
     * every other session to site-a until its {@code healthFailures}-th failure in a row sets it aside.
     */
    private void retriedOnAnother(int pool, Tuning tuning) throws Exception {
        try (Target target = Target.echo()) {
            Route r = route("r0", target, "site-a", "site-b")
                    .withInners(
                            List.of(new Route.InnerWeight("site-a", 1), new Route.InnerWeight("site-b", 1)),
                            Route.Balance.ROUND_ROBIN);
            outer(tuning, r);
            // site-a's network does not reach the target: its allow list names another one.
            inner(innerConfig("site-a", SITE_A, pool).withAllowTargets(AddressRule.parseAll(List.of("10.9.9.9"))));
            inner("site-b", SITE_B, pool);
            if (pool > 0) {
                Await.until("both pools to fill", () -> outer.pooledConnections() == 2 * pool);
            }
            for (int i = 0; i < 10; i++) {
                oneSession("r0", i);
            }
            assertEquals(10, outer.sessionsStarted("r0", "site-b"));
            assertEquals(0, outer.sessionsStarted("r0", "site-a"));
            assertEquals(tuning.healthFailures(), outer.sessionsRetried("r0", "site-a"));
            assertEquals(1, outer.innerSkips("r0", "site-a"));
        }
    }

    @Test
    void eachInnerChecksTheTargetAndTellsTheOuterWhenItGoesAndComesBack() throws Exception {
        int port;
        try (RefusingPort down = new RefusingPort()) {
            port = down.address().port();
            Route r = Route.of("r0", new HostPort("127.0.0.1", 0), down.address())
                    .withHealthCheck(Duration.ofMillis(100));
            outer(r);
            inner("site-a", SITE_A, 0);
            inner("site-b", SITE_B, 0);
            Await.until(
                    "both inners to report the target down",
                    () -> !outer.innerTargetUp("r0", "site-a") && !outer.innerTargetUp("r0", "site-b"));
        }
        try (ServerSocket up = new ServerSocket()) {
            up.bind(new InetSocketAddress("127.0.0.1", port));
            Await.until(
                    "both inners to report the target up again",
                    () -> outer.innerTargetUp("r0", "site-a") && outer.innerTargetUp("r0", "site-b"));
        }
    }

    @Test
    void metricsAndStatusNameEachInner() throws Exception {
        try (Target target = Target.echo()) {
            OuterConfig c = config(route("r0", target)).withAdmin(new AdminConfig(new HostPort("127.0.0.1", 0), null));
            outer = Outer.start(c);
            open.add(outer);
            inner("site-a", SITE_A, 0);
            inner("site-b", SITE_B, 0);
            for (int i = 0; i < 4; i++) {
                oneSession("r0", i);
            }
            AdminClient admin = new AdminClient(outer.adminPort());
            assertEquals(2, admin.sample("relay_inners_connected"));
            double a = admin.sample("relay_inner_sessions_total{route=\"r0\",inner=\"site-a\"}");
            double b = admin.sample("relay_inner_sessions_total{route=\"r0\",inner=\"site-b\"}");
            assertEquals(4, a + b);
            assertEquals(0, admin.sample("relay_inner_skips_total{route=\"r0\",inner=\"site-a\"}"));
            String status = admin.get("/status").body();
            assertTrue(status.contains("\"site-a\"") && status.contains("\"site-b\""), status);
        }
    }

    @Test
    void aReloadDisconnectsAnInnerWhoseTokenChangedAndRebindsRoutes() throws Exception {
        try (Target target = Target.echo()) {
            Route r0 = route("r0", target);
            outer(r0);
            Inner a = inner("site-a", SITE_A, 2);
            inner("site-b", SITE_B, 2);
            Token rotated = new Token("site-a-rotated-0123456789abcdef");
            OuterConfig next = config(r0.withInners(List.of(new Route.InnerWeight("site-b", 1)), Route.Balance.FEWEST))
                    .withInners(Map.of("site-a", rotated, "site-b", SITE_B));
            assertTrue(outer.reload(next).ok());
            Await.until(
                    "site-a to be disconnected", () -> outer.connectedInners().equals(Set.of("site-b")));
            // The old token no longer gets in.
            Await.until(
                    "site-a to be refused",
                    () -> a.lastFailure() != null && a.lastFailure().contains("token"));
            assertEquals(Set.of("site-b"), outer.connectedInners());
            long before = outer.sessionsStarted("r0", "site-a");
            for (int i = 0; i < 6; i++) {
                oneSession("r0", i);
            }
            assertEquals(before, outer.sessionsStarted("r0", "site-a"));
            inner("site-a", rotated, 0);
            assertEquals(Set.of("site-a", "site-b"), outer.connectedInners());
            for (int i = 0; i < 6; i++) {
                oneSession("r0", 10 + i);
            }
            assertEquals(before, outer.sessionsStarted("r0", "site-a"), "r0 is bound to site-b now");
        }
    }
}

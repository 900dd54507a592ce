package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.admin.AdminServer;
import dev.relay.auth.Handshake;
import dev.relay.config.AdminConfig;
import dev.relay.config.HostPort;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.net.AddressRule;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Datagrams;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.naming.Context;
import javax.naming.directory.Attributes;
import javax.naming.directory.InitialDirContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** UDP routes through a real outer and inner: datagrams whole, flows apart, idle flows reaped, floods bounded. */
@ExtendWith(NoLeaks.class)
class UdpTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    static Route udpRoute(String name, UdpTarget target) {
        return Route.udp(name, new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", target.port()));
    }

    /** An outer with {@code routes} and an admin endpoint on loopback, and a connected inner. */
    static TestTunnel tunnel(Route... routes) throws IOException, InterruptedException {
        TestTunnel t = outerOnly(routes);
        t.startInner();
        return t;
    }

    static TestTunnel outerOnly(Route... routes) throws IOException {
        return new TestTunnel(config(routes), null);
    }

    static OuterConfig config(Route... routes) {
        return new OuterConfig(new HostPort("127.0.0.1", 0), TestTunnel.TOKEN, List.of(routes), TestTunnel.FAST)
                .withAdmin(new AdminConfig(new HostPort("127.0.0.1", 0), null));
    }

    static DatagramSocket client() throws IOException {
        return client(LOOPBACK);
    }

    static DatagramSocket client(InetAddress from) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(from, 0));
        s.setSoTimeout(10_000);
        return s;
    }

    static void send(DatagramSocket s, int port, byte[] d) throws IOException {
        s.send(new DatagramPacket(d, d.length, new InetSocketAddress(LOOPBACK, port)));
    }

    static byte[] receive(DatagramSocket s) throws IOException {
        byte[] buf = new byte[65_535];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        return Arrays.copyOf(buf, p.getLength());
    }

    /** A datagram and its answer, resent a few times: UDP may drop either, and a real client retries too. */
    static byte[] ask(DatagramSocket s, int port, byte[] d) throws IOException {
        int timeout = s.getSoTimeout();
        s.setSoTimeout(2000);
        try {
            for (int attempt = 0; ; attempt++) {
                send(s, port, d);
                try {
                    return receive(s);
                } catch (SocketTimeoutException e) {
                    if (attempt == 4) {
                        throw e;
                    }
                }
            }
        } finally {
            s.setSoTimeout(timeout);
        }
    }

    static double metric(TestTunnel t, String series) {
        return new AdminClient(t.outer.adminPort()).sample(series);
    }

    @Test
    void datagramsOfEverySizeComeBackWholeAndUnchanged() throws Exception {
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = tunnel(udpRoute("u0", echo));
                DatagramSocket s = client()) {
            s.setReceiveBufferSize(1 << 20);
            s.setSendBufferSize(1 << 20);
            Random random = new Random(7);
            for (int size : new int[] {1, 1400, 9000, 65_507}) {
                byte[] d = new byte[size];
                random.nextBytes(d);
                send(s, t.outer.port("u0"), d);
                assertArrayEquals(d, receive(s), "a datagram of " + size + " bytes");
            }
            assertEquals(4, metric(t, "relay_udp_datagrams_total{route=\"u0\",direction=\"up\"}"));
            assertEquals(4, metric(t, "relay_udp_datagrams_total{route=\"u0\",direction=\"down\"}"));
            assertEquals(1 + 1400 + 9000 + 65_507, metric(t, "relay_bytes_total{route=\"u0\",direction=\"down\"}"));
            assertEquals(1, metric(t, "relay_udp_flows_active{route=\"u0\"}"));
        }
    }

    @Test
    void aThousandFlowsAtOnceEachGetTheirOwnReplies() throws Exception {
        int flows = 1000;
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = tunnel(udpRoute("u0", echo));
                ExecutorService users = Executors.newVirtualThreadPerTaskExecutor()) {
            int port = t.outer.port("u0");
            // Every user's socket open until all are done: one closed early could free its port for a later user,
            // who would then be the same address, so the same flow, and the count below one short.
            List<DatagramSocket> sockets = new ArrayList<>();
            for (int i = 0; i < flows; i++) {
                sockets.add(client());
            }
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < flows; i++) {
                int n = i;
                DatagramSocket s = sockets.get(i);
                done.add(users.submit(() -> {
                    // Each user's own words, and its port in them: a reply meant for another cannot match.
                    String me = "user " + n + " from " + s.getLocalPort() + " #";
                    for (int k = 0; k < 2; k++) {
                        byte[] mine = (me + k).getBytes(StandardCharsets.UTF_8);
                        byte[] reply = ask(s, port, mine);
                        // A resend's late twin of an earlier question is ours too, and is skipped.
                        while (!Arrays.equals(mine, reply)) {
                            String got = new String(reply, StandardCharsets.UTF_8);
                            assertTrue(got.startsWith(me), me + k + " got another's reply: " + got);
                            reply = receive(s);
                        }
                    }
                    return null;
                }));
            }
            try {
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                sockets.forEach(DatagramSocket::close);
            }
            assertEquals(flows, t.outer.activeFlows());
            assertEquals(flows, t.inner.activeFlows());
        }
    }

    @Test
    void anIdleFlowIsReapedAndReleasesItsSocketsAndThreads() throws Exception {
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = tunnel(udpRoute("u0", echo).withIdleTimeout(Duration.ofMillis(300)));
                DatagramSocket s = client()) {
            byte[] d = "ping".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(d, ask(s, t.outer.port("u0"), d));
            assertEquals(1, t.inner.activeFlows());
            Await.until(
                    "the idle flow to end on both sides",
                    () -> t.outer.activeFlows() == 0 && t.inner.activeFlows() == 0);
            assertEquals(1, metric(t, "relay_sessions_total{route=\"u0\",result=\"timeout\"}"));
            // The same user again is a new flow, and works.
            assertArrayEquals(d, ask(s, t.outer.port("u0"), d));
        }
    }

    @Test
    void aTargetThatNeverAnswersHoldsNothingPastTheIdleTimeout() throws Exception {
        try (UdpTarget silent = UdpTarget.silent();
                TestTunnel t = tunnel(udpRoute("u0", silent).withIdleTimeout(Duration.ofMillis(500)));
                DatagramSocket s = client()) {
            for (int i = 0; i < 200; i++) {
                send(s, t.outer.port("u0"), new byte[1000]);
            }
            Await.until("the target to see datagrams", () -> silent.received.get() > 0);
            Await.until(
                    "the unanswered flow to end on both sides",
                    () -> t.outer.activeFlows() == 0 && t.inner.activeFlows() == 0);
            assertEquals(0, metric(t, "relay_udp_datagrams_total{route=\"u0\",direction=\"down\"}"));
        }
    }

    @Test
    void aUdpRouteExportsItsCountersAtZeroBeforeItsFirstDatagram() throws Exception {
        // A scrape that comes before the first datagram must not miss the series (the flood test below polls one).
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = outerOnly(udpRoute("u0", echo))) {
            assertEquals(0, metric(t, "relay_udp_flows_active{route=\"u0\"}"));
            assertEquals(0, metric(t, "relay_udp_datagrams_total{route=\"u0\",direction=\"up\"}"));
            assertEquals(0, metric(t, "relay_udp_drops_total{route=\"u0\",reason=\"queue_full\"}"));
        }
    }

    @Test
    void aFloodIntoAFullQueueIsDroppedAndCountedAndOtherFlowsGoOn() throws Exception {
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = outerOnly(udpRoute("u0", echo));
                DatagramSocket flooder = client();
                DatagramSocket other = client()) {
            int port = t.outer.port("u0");
            // No inner yet: the flow waits for its data connection, and its queue fills.
            int sent = 300;
            for (int i = 0; i < sent; i++) {
                send(flooder, port, ByteBuffer.allocate(4).putInt(i).array());
            }
            Await.until(
                    "drops to be counted",
                    () -> metric(t, "relay_udp_drops_total{route=\"u0\",reason=\"queue_full\"}") >= 1);
            double dropped = metric(t, "relay_udp_drops_total{route=\"u0\",reason=\"queue_full\"}");
            t.startInner();
            // What was queued (at most the queue's bound) arrives, in order; the rest was dropped, not buffered.
            flooder.setSoTimeout(1000);
            List<Integer> back = new ArrayList<>();
            try {
                for (; ; ) {
                    back.add(ByteBuffer.wrap(receive(flooder)).getInt());
                }
            } catch (SocketTimeoutException enough) {
                // Nothing more is coming.
            }
            assertTrue(!back.isEmpty() && back.size() <= 64, "replies: " + back.size());
            assertTrue(back.size() + dropped <= sent, back.size() + " + " + dropped);
            for (int i = 1; i < back.size(); i++) {
                assertTrue(back.get(i) > back.get(i - 1), "out of order: " + back);
            }
            // A flood of the largest datagrams on a live flow: the others are still served meanwhile.
            try (ExecutorService flood = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<?> blast = flood.submit(() -> {
                    for (int i = 0; i < 3000; i++) {
                        send(flooder, port, new byte[65_507]);
                    }
                    return null;
                });
                byte[] d = "still here".getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(d, ask(other, port, d));
                blast.get();
            }
            assertArrayEquals(new byte[] {1}, ask(other, port, new byte[] {1}));
            assertTrue(t.inner.connected());
        }
    }

    @Test
    void aDnsQueryThroughAUdpRouteIsAnswered() throws Exception {
        try (UdpTarget dns = UdpTarget.answering(UdpTest::answerA);
                TestTunnel t = tunnel(udpRoute("dns", dns))) {
            Hashtable<String, String> env = new Hashtable<>();
            env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
            env.put(Context.PROVIDER_URL, "dns://127.0.0.1:" + t.outer.port("dns"));
            env.put("com.sun.jndi.dns.timeout.initial", "2000");
            env.put("com.sun.jndi.dns.timeout.retries", "3");
            InitialDirContext ctx = new InitialDirContext(env);
            try {
                Attributes a = ctx.getAttributes("relay.test", new String[] {"A"});
                assertEquals("192.0.2.7", a.get("A").get());
            } finally {
                ctx.close();
            }
        }
    }

    /** A DNS responder in a few lines: every question gets one A record, 192.0.2.7. */
    private static byte[] answerA(byte[] in, int n) {
        ByteBuffer q = ByteBuffer.wrap(in, 0, n);
        int end = 12;
        while (end < n && in[end] != 0) {
            end += (in[end] & 0xff) + 1;
        }
        int question = end + 1 + 4 - 12; // name, its final zero, type and class
        ByteBuffer r = ByteBuffer.allocate(12 + question + 16);
        r.putShort(q.getShort(0)); // the query's id
        r.putShort((short) 0x8180); // a response, recursion desired and available, no error
        r.putShort((short) 1).putShort((short) 1).putShort((short) 0).putShort((short) 0);
        r.put(in, 12, question);
        r.putShort((short) 0xc00c); // the name: a pointer to the question's
        r.putShort((short) 1).putShort((short) 1).putInt(60).putShort((short) 4);
        r.put(new byte[] {(byte) 192, 0, 2, 7});
        return r.array();
    }

    @Test
    void datagramsFromOutsideTheAllowListNeverReachTheInner() throws Exception {
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = tunnel(udpRoute("u0", echo).withAllow(AddressRule.parseAll(List.of("127.0.0.1"))));
                DatagramSocket stranger = client(InetAddress.getByName("127.0.0.2"));
                DatagramSocket user = client()) {
            int port = t.outer.port("u0");
            Random random = new Random(3);
            for (int i = 0; i < 100; i++) {
                byte[] garbage = new byte[random.nextInt(2000)];
                random.nextBytes(garbage);
                send(stranger, port, garbage);
            }
            // Garbage from an allowed user is just a datagram: it reaches the target whole. Its answer also says
            // the route's one receive loop has seen every stranger's datagram the kernel did not drop before it.
            byte[] garbage = new byte[777];
            random.nextBytes(garbage);
            assertArrayEquals(garbage, ask(user, port, garbage));
            double refused = metric(t, "relay_udp_drops_total{route=\"u0\",reason=\"refused\"}");
            assertTrue(refused >= 1 && refused <= 100, "refused: " + refused);
            assertEquals(1, echo.received.get());
            assertEquals(1, t.outer.activeFlows());
            assertEquals(1, t.inner.activeFlows());
            stranger.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, () -> receive(stranger));
        }
    }

    @Test
    void overTheFlowLimitDatagramsAreDroppedAndCounted() throws Exception {
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = tunnel(udpRoute("u0", echo).withMaxSessions(1));
                DatagramSocket first = client();
                DatagramSocket second = client()) {
            int port = t.outer.port("u0");
            assertArrayEquals(new byte[] {1}, ask(first, port, new byte[] {1}));
            send(second, port, new byte[] {2});
            Await.until(
                    "the second flow's datagram to be dropped",
                    () -> metric(t, "relay_udp_drops_total{route=\"u0\",reason=\"over_limit\"}") == 1);
            assertEquals(1, t.outer.activeFlows());
        }
    }

    @Test
    void aReloadAddsAndRemovesAUdpRoute() throws Exception {
        try (UdpTarget echo = UdpTarget.echo();
                Target tcp = Target.echo()) {
            Route r0 = TestTunnel.route("r0", tcp);
            OuterConfig before = config(r0);
            try (TestTunnel t = new TestTunnel(before, null);
                    DatagramSocket s = client()) {
                t.startInner();
                AdminServer.Reload added = t.outer.reload(before.withRoutes(List.of(r0, udpRoute("u1", echo))));
                assertTrue(added.ok(), added.toString());
                assertTrue(added.applied().stream().anyMatch(a -> a.startsWith("route u1 added")), added.toString());
                byte[] d = "after reload".getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(d, ask(s, t.outer.port("u1"), d));
                AdminServer.Reload removed = t.outer.reload(before);
                assertTrue(
                        removed.applied().stream().anyMatch(a -> a.startsWith("route u1 removed")), removed.toString());
                Await.until(
                        "the removed route's flow to end",
                        () -> t.outer.activeFlows() == 0 && t.inner.activeFlows() == 0);
                assertThrows(IllegalArgumentException.class, () -> t.outer.port("u1"));
            }
        }
    }

    @Test
    void aReloadThatChangesARoutesProtocolMovesItToAPortOfThatProtocol() throws Exception {
        try (UdpTarget udpEcho = UdpTarget.echo();
                Target tcpEcho = Target.echo()) {
            Route asTcp = TestTunnel.route("r0", tcpEcho);
            OuterConfig before = config(asTcp);
            try (TestTunnel t = new TestTunnel(before, null);
                    DatagramSocket s = client()) {
                t.startInner();
                AdminServer.Reload r = t.outer.reload(before.withRoutes(List.of(udpRoute("r0", udpEcho))));
                assertTrue(r.applied().stream().anyMatch(a -> a.startsWith("route r0 moved to udp")), r.toString());
                byte[] d = "now over udp".getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(d, ask(s, t.outer.port("r0"), d));
            }
        }
    }

    @Test
    void datagramsTravelWholeOverTlsDataConnections() throws Exception {
        TestCert cert = TestCert.shared();
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = new TestTunnel(config(udpRoute("u0", echo)).withTls(cert.server()), cert);
                DatagramSocket s = client()) {
            t.startInner();
            s.setReceiveBufferSize(1 << 20);
            Random random = new Random(11);
            // More flows than once: over TLS, pooled connections come back with tickets.
            for (int round = 0; round < 3; round++) {
                for (int size : new int[] {1, 1400, 9000, 65_507}) {
                    byte[] d = new byte[size];
                    random.nextBytes(d);
                    send(s, t.outer.port("u0"), d);
                    assertArrayEquals(d, receive(s), "a datagram of " + size + " bytes over TLS");
                }
            }
        }
    }

    @Test
    void flowsThePoolCannotServeTravelAsStreamsOverTls() throws Exception {
        TestCert cert = TestCert.shared();
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = new TestTunnel(config(udpRoute("u0", echo)).withTls(cert.server()), cert)) {
            t.startInner(t.innerConfig().withPool(0));
            Random random = new Random(13);
            // Three users, three flows, each a stream of the one stream connection, datagrams whole and their own.
            List<DatagramSocket> users = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    DatagramSocket s = client();
                    s.setReceiveBufferSize(1 << 20);
                    users.add(s);
                }
                for (int size : new int[] {1, 1400, 65_507}) {
                    for (DatagramSocket s : users) {
                        byte[] d = new byte[size];
                        random.nextBytes(d);
                        assertArrayEquals(d, ask(s, t.outer.port("u0"), d), "a datagram of " + size + " bytes");
                    }
                }
            } finally {
                for (DatagramSocket s : users) {
                    s.close();
                }
            }
            assertEquals(3, t.outer.dataStreams());
            assertEquals(1, t.outer.streamConnections());
        }
    }

    @Test
    void aUdpTargetOutsideAllowTargetsIsNeverSentAnything() throws Exception {
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = outerOnly(udpRoute("u0", echo));
                DatagramSocket s = client()) {
            t.startInner(t.innerConfig().withAllowTargets(AddressRule.parseAll(List.of("127.0.0.1:1"))));
            send(s, t.outer.port("u0"), new byte[] {1, 2, 3});
            Await.until(
                    "the inner to refuse the flow",
                    () -> metric(t, "relay_sessions_total{route=\"u0\",result=\"ok\"}")
                                    + metric(t, "relay_sessions_total{route=\"u0\",result=\"target_failed\"}")
                            >= 1);
            Await.until("the flow to end", () -> t.outer.activeFlows() == 0);
            assertEquals(0, echo.received.get());
            assertEquals(0, t.inner.activeFlows());
        }
    }

    @Test
    void aBadDatagramFrameFromTheInnerEndsThatFlowOnly() throws Exception {
        // Default heartbeats: the scripted inner sends none, and must not be dropped as dead meanwhile.
        OuterConfig c = new OuterConfig(
                new HostPort("127.0.0.1", 0),
                TestTunnel.TOKEN,
                List.of(Route.udp("u0", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", 9))),
                TestTunnel.FAST.withHeartbeat(Duration.ofSeconds(5), Duration.ofSeconds(20)));
        try (TestTunnel t = new TestTunnel(c, null);
                TestTunnel.ScriptedInner inner = t.scriptedInner();
                DatagramSocket user = client()) {
            int port = t.outer.port("u0");
            send(user, port, "hi".getBytes(StandardCharsets.UTF_8));
            OuterToInner.Open open = nextOpen(inner.channel());
            try (Socket data = t.controlConnection()) {
                Channel ch = new Channel(data);
                Handshake.dial(ch, TestTunnel.TOKEN, Purpose.DATA, "scripted", open.session());
                ch.expect(OuterToInner.class, OuterToInner.Ready.class);
                // On the wire: a two-byte length, then the user's datagram as it was sent.
                assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), Datagrams.read(data.getInputStream()));
                data.getOutputStream().write(new byte[] {(byte) 0xff, (byte) 0xff});
                Await.until("the flow to end", () -> t.outer.activeFlows() == 0);
                assertEquals(-1, data.getInputStream().read());
            }
            // The route and the control channel go on: the user's next datagram is a new flow.
            send(user, port, "again".getBytes(StandardCharsets.UTF_8));
            assertTrue(t.outer.innerConnected());
            assertTrue(!nextOpen(inner.channel()).session().equals(open.session()));
        }
    }

    private static OuterToInner.Open nextOpen(Channel control) throws IOException {
        for (; ; ) {
            if (control.read(OuterToInner.class) instanceof OuterToInner.Open o) {
                return o;
            }
        }
    }
}

package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.auth.Handshake;
import dev.relay.auth.Proof;
import dev.relay.config.HostPort;
import dev.relay.config.Token;
import dev.relay.config.Tuning;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import dev.relay.tls.Tls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One-frame handshakes over TLS: a pooled connection that replaces one the outer used authenticates with the ticket
 * from that connection's Open, and a data connection with the session id of the Open it answers (DataAuth); over
 * plain TCP there are neither. Each side is driven by a scripted peer, so what crosses the wire is checked frame by
 * frame.
 */
@ExtendWith(NoLeaks.class)
class PoolTicketTest {

    @Test
    void theOuterPoolsATicketedConnectionOnceAndProvesItselfInItsOpen() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), TestTunnel.FAST, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
            String channel = scripted.id();

            // A pooled connection made with the full exchange: its Open brings a ticket and no proof.
            try (Socket first = t.controlConnection()) {
                Channel c1 = new Channel(first);
                Handshake.dial(c1, TestTunnel.TOKEN, Purpose.POOL, "scripted", channel);
                Await.until("the pooled connection", () -> t.outer.pooledConnections() == 1);
                OuterToInner.Open o1;
                try (Socket user = t.connect()) {
                    user.getOutputStream().write('a');
                    o1 = c1.expect(OuterToInner.class, OuterToInner.Open.class);
                    assertNotNull(o1.ticket());
                    assertNull(o1.proof(), "the outer proved itself in the Challenge already");
                    assertArrayEquals(
                            new byte[] {'a'},
                            ChunkIo.read(first.getInputStream(), 1),
                            "the user's bytes follow the Open");
                }

                // The replacement, with that ticket: pooled, and its Open carries the outer's proof for it.
                try (Socket second = t.controlConnection()) {
                    Channel c2 = new Channel(second);
                    String expected = Handshake.dialWithTicket(c2, TestTunnel.TOKEN, "scripted", channel, o1.ticket());
                    // Counted as ticketed just after it joins the pool: wait for both.
                    Await.until(
                            "the ticketed connection in the pool",
                            () -> t.outer.pooledConnections() == 1 && t.outer.pooledConnectionsTicketed() == 1);
                    try (Socket user = t.connect()) {
                        user.getOutputStream().write('b');
                        OuterToInner.Open o2 = c2.expect(OuterToInner.class, OuterToInner.Open.class);
                        assertEquals(expected, o2.proof());
                        assertNotNull(o2.ticket());
                        assertArrayEquals(new byte[] {'b'}, ChunkIo.read(second.getInputStream(), 1));
                    }
                }

                // The same ticket again: refused, with the reason, and nothing joins the pool.
                try (Socket replay = t.controlConnection()) {
                    Channel c3 = new Channel(replay);
                    Handshake.dialWithTicket(c3, TestTunnel.TOKEN, "scripted", channel, o1.ticket());
                    Message m = c3.read(OuterToInner.class);
                    Message.Error e = assertInstanceOf(Message.Error.class, m);
                    assertTrue(e.message().contains("ticket"), e.message());
                    assertEquals(-1, replay.getInputStream().read(), "then closed");
                }
                assertEquals(0, t.outer.pooledConnections());
                assertEquals(1, t.outer.pooledConnectionsTicketed());
            }
        }
    }

    @Test
    void aTicketIsRefusedForAnotherControlChannel() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            String ticket;
            String firstChannel;
            try (TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
                firstChannel = scripted.id();
                ticket = ticketFromASession(t, firstChannel);

                // Right ticket, right token, but naming a channel that is not this one: refused.
                try (Socket stranger = t.controlConnection()) {
                    Channel c = new Channel(stranger);
                    Handshake.dialWithTicket(c, TestTunnel.TOKEN, "scripted", Nonce.sessionId(), ticket);
                    Message.Error e = assertInstanceOf(Message.Error.class, c.read(OuterToInner.class));
                    assertTrue(e.message().contains("another control channel"), e.message());
                }
                ticket = ticketFromASession(t, firstChannel);
            }
            Await.until("the outer to drop the first control channel", () -> !t.outer.innerConnected());

            // A ticket from a control channel that has ended is no good on the next one.
            try (TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
                String channel = scripted.id();
                try (Socket late = t.controlConnection()) {
                    Channel c = new Channel(late);
                    Handshake.dialWithTicket(c, TestTunnel.TOKEN, "scripted", channel, ticket);
                    Message.Error e = assertInstanceOf(Message.Error.class, c.read(OuterToInner.class));
                    assertTrue(e.message().contains("ticket"), e.message());
                }
                assertEquals(0, t.outer.pooledConnections());
                assertEquals(0, t.outer.pooledConnectionsTicketed());
            }
        }
    }

    @Test
    void aDataConnectionAuthenticatesInOneFrameIsPairedOnceAndItsReadyProvesTheOuter() throws Exception {
        // Default heartbeats: this scripted inner sends none, and must not be dropped for it mid-test.
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), Tuning.DEFAULTS, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner();
                Socket user = t.connect()) {
            user.getOutputStream().write('a');
            OuterToInner.Open open = TestTunnel.nextOpen(scripted.channel());
            assertNull(open.ticket(), "a data connection needs no ticket: the session id stands in for one");

            // A DataAuth for that session without the token is refused, and leaves the session waiting.
            try (Socket stranger = t.controlConnection()) {
                Frames.PeerError e = assertThrows(
                        Frames.PeerError.class,
                        () -> Handshake.dialData(
                                new Channel(stranger),
                                new Token("not-the-token-of-this-inner"),
                                "scripted",
                                open.session()));
                assertTrue(e.getMessage().contains("wrong token"), e.getMessage());
            }

            // DataAuth, then a Ready whose proof dialData checks: the session's bytes follow, raw.
            try (Socket data = t.controlConnection()) {
                Handshake.dialData(new Channel(data), TestTunnel.TOKEN, "scripted", open.session());
                assertEquals('a', data.getInputStream().read(), "the user's byte follows the Ready");
                data.getOutputStream().write('b');
                data.getOutputStream().flush();
                assertEquals('b', user.getInputStream().read());

                // The same session again, as a second copy would ask: refused by name, the first one unharmed.
                try (Socket again = t.controlConnection()) {
                    Frames.PeerError e = assertThrows(
                            Frames.PeerError.class,
                            () -> Handshake.dialData(new Channel(again), TestTunnel.TOKEN, "scripted", open.session()));
                    assertTrue(e.getMessage().contains("unknown or expired session"), e.getMessage());
                }
                user.getOutputStream().write('c');
                assertEquals('c', data.getInputStream().read());
            }
            assertEquals(2, t.outer.dataConnectionsInOneFrame(), "both authenticated; only the first was paired");
        }
    }

    /** Makes a pooled connection with the full exchange, sends a user through it, and returns its Open's ticket. */
    private static String ticketFromASession(TestTunnel t, String channel) throws Exception {
        try (Socket pooled = t.controlConnection()) {
            Channel c = new Channel(pooled);
            Handshake.dial(c, TestTunnel.TOKEN, Purpose.POOL, "scripted", channel);
            Await.until("the pooled connection", () -> t.outer.pooledConnections() == 1);
            try (Socket user = t.connect()) {
                user.getOutputStream().write('x');
                return c.expect(OuterToInner.class, OuterToInner.Open.class).ticket();
            }
        }
    }

    @Test
    void theInnerUsesItsTicketAndActsOnlyOnAnOpenThatProvesTheOuter() throws Exception {
        try (Target echo = Target.echo();
                ServerSocket fake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            fake.setSoTimeout(10_000);
            t.launchInner(t.innerConfig()
                    .withConnect(new HostPort("127.0.0.1", fake.getLocalPort()))
                    .withPool(1));
            try (Socket control = tls(fake.accept())) {
                String channel = Nonce.sessionId();
                control.setSoTimeout(10_000);
                Channel c = new Channel(control);
                assertEquals(
                        Purpose.CONTROL,
                        Handshake.accept(c, TestTunnel.TOKEN, none -> false).purpose());
                c.send(new OuterToInner.Welcome(
                        List.of(new OuterToInner.RouteSpec("r0", "127.0.0.1:" + echo.port())), 100, channel));
                // The inner wants heartbeats from its outer; this one answers for as long as the test runs.
                Thread beat = Threads.start("fake-outer-heartbeat", () -> heartbeats(c));
                try {
                    // The first fill: the full exchange. Its Open brings a ticket.
                    String ticket = Nonce.next();
                    try (Socket first = tls(fake.accept())) {
                        Channel c1 = new Channel(first);
                        assertEquals(
                                Purpose.POOL,
                                Handshake.accept(c1, TestTunnel.TOKEN, none -> false)
                                        .purpose());
                        c1.send(new OuterToInner.Open(Nonce.sessionId(), "r0", ticket, null));
                        ChunkIo.assertEchoes(first, "one");
                    }

                    // The replacement: one PoolAuth frame with that ticket and the inner's proof over it.
                    String next = Nonce.next();
                    try (Socket second = tls(fake.accept())) {
                        Channel c2 = new Channel(second);
                        InnerToOuter.PoolAuth a =
                                assertInstanceOf(InnerToOuter.PoolAuth.class, c2.read(InnerToOuter.class));
                        assertEquals(ticket, a.ticket());
                        assertEquals(channel, a.channel());
                        assertTrue(Proof.matches(
                                Proof.of(TestTunnel.TOKEN, Proof.POOL_INNER, a.nonce(), ticket), a.proof()));
                        c2.send(new OuterToInner.Open(
                                Nonce.sessionId(),
                                "r0",
                                next,
                                Proof.of(TestTunnel.TOKEN, Proof.POOL_OUTER, a.nonce(), ticket)));
                        ChunkIo.assertEchoes(second, "two");
                    }

                    // The next one with its ticket, answered by an Open without the outer's proof: never acted on.
                    try (Socket third = tls(fake.accept())) {
                        third.setSoTimeout(10_000);
                        Channel c3 = new Channel(third);
                        InnerToOuter.PoolAuth a =
                                assertInstanceOf(InnerToOuter.PoolAuth.class, c3.read(InnerToOuter.class));
                        assertEquals(next, a.ticket());
                        // The Open and the user's bytes in one write, as the outer sends them, before the inner
                        // answers.
                        ByteArrayOutputStream open = new ByteArrayOutputStream();
                        open.write(Frames.encode(
                                new OuterToInner.Open(Nonce.sessionId(), "r0", Nonce.next(), Nonce.next())));
                        open.write(ChunkIo.chunk("three".getBytes(StandardCharsets.US_ASCII)));
                        third.getOutputStream().write(open.toByteArray());
                        assertClosed(third.getInputStream());
                    }
                    assertEquals(2, echo.accepted.get(), "the unproven Open reached no target");

                    // Without a ticket from that Open, the slot goes back to the full exchange.
                    try (Socket fourth = tls(fake.accept())) {
                        assertInstanceOf(InnerToOuter.Hello.class, new Channel(fourth).read(InnerToOuter.class));
                    }
                } finally {
                    beat.interrupt();
                    t.inner.close();
                }
            }
        }
    }

    /** The fake outer's side of TLS, with the certificate the inner pins. */
    private static Socket tls(Socket accepted) throws IOException {
        accepted.setSoTimeout(10_000);
        return Tls.accept(
                Tls.server(TestCert.shared().server()),
                accepted,
                accepted.getInputStream().read());
    }

    @Test
    void overPlainTcpTheOuterGivesOutNoTicketAndRefusesOne() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner();
                Socket pooled = t.controlConnection()) {
            Channel c = t.scriptedPooled(scripted, pooled);
            try (Socket user = t.connect()) {
                user.getOutputStream().write('x');
                assertNull(c.expect(OuterToInner.class, OuterToInner.Open.class).ticket(), "no ticket in the clear");
            }
            try (Socket replay = t.controlConnection()) {
                Channel r = new Channel(replay);
                Handshake.dialWithTicket(r, TestTunnel.TOKEN, "scripted", scripted.id(), Nonce.next());
                Message.Error e = assertInstanceOf(Message.Error.class, r.read(OuterToInner.class));
                assertTrue(e.message().contains("only over TLS"), e.message());
            }
            assertEquals(0, t.outer.pooledConnectionsTicketed());
        }
    }

    private static void heartbeats(Channel c) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                c.send(new Message.Heartbeat());
                Thread.sleep(50);
            }
        } catch (IOException | InterruptedException e) {
            // The test is over.
        }
    }

    private static void assertClosed(InputStream in) {
        try {
            assertEquals(-1, in.read(), "nothing comes back");
        } catch (IOException reset) {
            // Closed with a reset: as good.
        }
    }
}

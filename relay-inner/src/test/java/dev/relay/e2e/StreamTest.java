package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.auth.Handshake;
import dev.relay.config.AdminConfig;
import dev.relay.config.HostPort;
import dev.relay.config.OuterConfig;
import dev.relay.config.Tuning;
import dev.relay.mux.Mux;
import dev.relay.mux.MuxStream;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Streams on a stream connection (protocol §7.3), spoken by a scripted inner against a real outer: who may carry
 * them, how each stream authenticates and pairs, and what a broken one costs.
 */
class StreamTest {
    /** A stream connection for the scripted inner's control channel {@code channel}, past the outer's Ready. */
    private static Mux streamConnection(TestTunnel t, String channel) throws IOException {
        Socket s = t.controlConnection();
        try {
            Channel ch = new Channel(s);
            Handshake.dial(ch, TestTunnel.TOKEN, Purpose.MUX, "scripted", channel);
            ch.expect(OuterToInner.class, OuterToInner.Ready.class);
            Mux m = Mux.opening(s);
            m.start(reason -> {});
            return m;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Test
    void aStreamAuthenticatesPairsItsSessionOnceAndCarriesItsBytes() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = new TestTunnel(
                        new OuterConfig(
                                        new HostPort("127.0.0.1", 0),
                                        TestTunnel.TOKEN,
                                        List.of(TestTunnel.route("r0", echo)),
                                        Tuning.DEFAULTS)
                                .withTls(TestCert.shared().server())
                                .withAdmin(new AdminConfig(new HostPort("127.0.0.1", 0), null)),
                        TestCert.shared());
                TestTunnel.ScriptedInner scripted = t.scriptedInner();
                Socket user = t.connect()) {
            user.getOutputStream().write('a');
            OuterToInner.Open open = TestTunnel.nextOpen(scripted.channel());
            try (Mux m = streamConnection(t, scripted.id())) {
                MuxStream data = m.open();
                Handshake.dialData(new Channel(data), TestTunnel.TOKEN, "scripted", open.session());
                assertEquals('a', data.getInputStream().read(), "the user's byte follows the Ready");
                assertEquals(
                        1, new AdminClient(t.outer.adminPort()).sample("relay_streams_active{inner=\"scripted\"}"));
                String status =
                        new AdminClient(t.outer.adminPort()).get("/status").body();
                assertTrue(status.contains("\"streams\":1"), status);
                data.getOutputStream().write('b');
                assertEquals('b', user.getInputStream().read());

                // The same session on a second stream is refused by name; the first one is unharmed.
                MuxStream again = m.open();
                Frames.PeerError e = assertThrows(
                        Frames.PeerError.class,
                        () -> Handshake.dialData(new Channel(again), TestTunnel.TOKEN, "scripted", open.session()));
                assertTrue(e.getMessage().contains("unknown or expired session"), e.getMessage());

                // A user's half-close arrives as the stream's end, and the other direction still carries bytes.
                user.shutdownOutput();
                assertEquals(-1, data.getInputStream().read());
                data.getOutputStream().write('c');
                assertEquals('c', user.getInputStream().read());
                data.shutdownOutput();
                assertEquals(-1, user.getInputStream().read());
                data.close();
            }
            assertEquals(1, t.outer.streamConnections());
            assertEquals(2, t.outer.dataStreams(), "both streams authenticated; only the first was paired");
        }
    }

    @Test
    void aStreamConnectionIsOnlyForTheInnersOwnControlChannelAndOnlyOverTls() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), Tuning.DEFAULTS, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner();
                Socket s = t.controlConnection()) {
            Channel ch = new Channel(s);
            Handshake.dial(ch, TestTunnel.TOKEN, Purpose.MUX, "scripted", Nonce.sessionId());
            Frames.PeerError e =
                    assertThrows(Frames.PeerError.class, () -> ch.expect(OuterToInner.class, OuterToInner.Ready.class));
            assertEquals("this stream connection names another control channel", e.getMessage());
        }
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(Tuning.DEFAULTS, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner();
                Socket s = t.controlConnection()) {
            Channel ch = new Channel(s);
            Handshake.dial(ch, TestTunnel.TOKEN, Purpose.MUX, "scripted", scripted.id());
            Frames.PeerError e =
                    assertThrows(Frames.PeerError.class, () -> ch.expect(OuterToInner.class, OuterToInner.Ready.class));
            assertTrue(e.getMessage().startsWith("streams are carried only over TLS"), e.getMessage());
            assertEquals(0, t.outer.streamConnections());
        }
    }

    @Test
    void aStreamForAnotherInnersNameIsRefusedAndTheSessionStillPairs() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), Tuning.DEFAULTS, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner();
                Socket user = t.connect();
                Mux m = streamConnection(t, scripted.id())) {
            user.getOutputStream().write('a');
            OuterToInner.Open open = TestTunnel.nextOpen(scripted.channel());
            // The same token, so its proof holds: only the name is another inner's.
            MuxStream other = m.open();
            Frames.PeerError e = assertThrows(
                    Frames.PeerError.class,
                    () -> Handshake.dialData(new Channel(other), TestTunnel.TOKEN, "someone-else", open.session()));
            assertEquals("a stream carries one data connection of inner \"scripted\"", e.getMessage());
            MuxStream data = m.open();
            Handshake.dialData(new Channel(data), TestTunnel.TOKEN, "scripted", open.session());
            assertEquals('a', data.getInputStream().read());
        }
    }

    @Test
    void aStreamConnectionThatBreaksTheFramingEndsAloneAndTheOuterServesOn() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), Tuning.DEFAULTS, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
            Socket s = t.controlConnection();
            try (s) {
                Channel ch = new Channel(s);
                Handshake.dial(ch, TestTunnel.TOKEN, Purpose.MUX, "scripted", scripted.id());
                ch.expect(OuterToInner.class, OuterToInner.Ready.class);
                // A frame of a type that does not exist.
                s.getOutputStream().write(new byte[] {9, 0, 0, 0, 1, 0, 0, 0, 0});
                // The outer closes the connection (with a reset: it may have been stuck in a write).
                try {
                    assertEquals(-1, s.getInputStream().read());
                } catch (IOException reset) {
                    // Equally closed.
                }
            }
            // The control channel and a new stream connection still work.
            try (Socket user = t.connect();
                    Mux m = streamConnection(t, scripted.id())) {
                user.getOutputStream().write('z');
                OuterToInner.Open open = TestTunnel.nextOpen(scripted.channel());
                MuxStream data = m.open();
                Handshake.dialData(new Channel(data), TestTunnel.TOKEN, "scripted", open.session());
                assertEquals('z', data.getInputStream().read());
            }
            assertTrue(t.outer.innerConnected());
            assertEquals(2, t.outer.streamConnections());
        }
    }

    @Test
    void anInnerHoldsAtMostTwoStreamConnectionsANewerOneClosesTheOldest() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), Tuning.DEFAULTS, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
            java.util.concurrent.CompletableFuture<String> firstClosed = new java.util.concurrent.CompletableFuture<>();
            Socket s = t.controlConnection();
            Channel ch = new Channel(s);
            Handshake.dial(ch, TestTunnel.TOKEN, Purpose.MUX, "scripted", scripted.id());
            ch.expect(OuterToInner.class, OuterToInner.Ready.class);
            Mux first = Mux.opening(s);
            first.start(firstClosed::complete);
            try (first;
                    Mux second = streamConnection(t, scripted.id());
                    Mux third = streamConnection(t, scripted.id())) {
                assertTrue(firstClosed.get(10, java.util.concurrent.TimeUnit.SECONDS) != null);
                assertTrue(!first.isOpen());
                // The two newer ones still carry sessions.
                for (Mux m : new Mux[] {second, third}) {
                    try (Socket user = t.connect()) {
                        user.getOutputStream().write('k');
                        OuterToInner.Open open = TestTunnel.nextOpen(scripted.channel());
                        MuxStream data = m.open();
                        Handshake.dialData(new Channel(data), TestTunnel.TOKEN, "scripted", open.session());
                        assertEquals('k', data.getInputStream().read());
                    }
                }
            }
            assertEquals(3, t.outer.streamConnections());
        }
    }
}

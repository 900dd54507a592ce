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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Streams on a stream connection (protocol §7.3), spoken by a scripted inner against a real outer: who may carry
 * them, how each stream authenticates and pairs, and what a broken one costs.
 */
class StreamTest {
    /** A connection asking to carry the scripted inner's streams for its control channel {@code channel}, Hello sent. */
    private static Channel dialStreamConnection(TestTunnel t, String channel) throws IOException {
        Socket s = t.controlConnection();
        try {
            Channel ch = new Channel(s);
            Handshake.dial(ch, TestTunnel.TOKEN, Purpose.MUX, "scripted", channel);
            return ch;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The same past the outer's Ready, as the raw socket a test may write anything on. */
    private static Socket streamSocket(TestTunnel t, String channel) throws IOException {
        Channel ch = dialStreamConnection(t, channel);
        try {
            ch.expect(OuterToInner.class, OuterToInner.Ready.class);
            return ch.socket();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** A stream connection for the scripted inner, reading its frames; {@code onClose} hears why it ended. */
    private static Mux streamConnection(TestTunnel t, String channel, Consumer<String> onClose) throws IOException {
        Mux m = Mux.opening(streamSocket(t, channel));
        m.start(onClose);
        return m;
    }

    private static Mux streamConnection(TestTunnel t, String channel) throws IOException {
        return streamConnection(t, channel, reason -> {});
    }

    /** What the outer says when it refuses a stream connection for {@code channel}. */
    private static String refusal(TestTunnel t, String channel) throws IOException {
        try (Channel ch = dialStreamConnection(t, channel)) {
            return assertThrows(Frames.PeerError.class, () -> ch.expect(OuterToInner.class, OuterToInner.Ready.class))
                    .getMessage();
        }
    }

    /** A stream on {@code m} that answers {@code open} for the inner named {@code name}, past the outer's Ready. */
    private static MuxStream answer(Mux m, OuterToInner.Open open, String name) throws IOException {
        MuxStream data = m.open();
        try {
            Handshake.dialData(new Channel(data), TestTunnel.TOKEN, name, open.session());
            return data;
        } catch (IOException | RuntimeException e) {
            data.close();
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
                MuxStream data = answer(m, open, "scripted");
                assertEquals('a', data.getInputStream().read(), "the user's byte follows the Ready");
                assertEquals(
                        1, new AdminClient(t.outer.adminPort()).sample("relay_streams_active{inner=\"scripted\"}"));
                String status =
                        new AdminClient(t.outer.adminPort()).get("/status").body();
                assertTrue(status.contains("\"streams\":1"), status);
                data.getOutputStream().write('b');
                assertEquals('b', user.getInputStream().read());

                // The same session on a second stream is refused by name; the first one is unharmed.
                Frames.PeerError e = assertThrows(Frames.PeerError.class, () -> answer(m, open, "scripted"));
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
                TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
            assertEquals("this stream connection names another control channel", refusal(t, Nonce.sessionId()));
        }
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(Tuning.DEFAULTS, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
            String refused = refusal(t, scripted.id());
            assertTrue(refused.startsWith("streams are carried only over TLS"), refused);
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
            Frames.PeerError e = assertThrows(Frames.PeerError.class, () -> answer(m, open, "someone-else"));
            assertEquals("a stream carries one data connection of inner \"scripted\"", e.getMessage());
            assertEquals('a', answer(m, open, "scripted").getInputStream().read());
        }
    }

    @Test
    void aStreamConnectionThatBreaksTheFramingEndsAloneAndTheOuterServesOn() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), Tuning.DEFAULTS, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
            try (Socket s = streamSocket(t, scripted.id())) {
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
                assertEquals('z', answer(m, open, "scripted").getInputStream().read());
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
            CompletableFuture<String> firstClosed = new CompletableFuture<>();
            try (Mux first = streamConnection(t, scripted.id(), firstClosed::complete);
                    Mux second = streamConnection(t, scripted.id());
                    Mux third = streamConnection(t, scripted.id())) {
                assertTrue(firstClosed.get(10, TimeUnit.SECONDS) != null);
                assertTrue(!first.isOpen());
                // The two newer ones still carry sessions.
                for (Mux m : new Mux[] {second, third}) {
                    try (Socket user = t.connect()) {
                        user.getOutputStream().write('k');
                        OuterToInner.Open open = TestTunnel.nextOpen(scripted.channel());
                        assertEquals(
                                'k',
                                answer(m, open, "scripted").getInputStream().read());
                    }
                }
            }
            assertEquals(3, t.outer.streamConnections());
        }
    }
}

package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.auth.Handshake;
import dev.relay.config.InnerConfig;
import dev.relay.net.Sockets;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.Message;
import dev.relay.protocol.OuterToInner;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The outer's side of the pool, driven by a scripted inner: dead pooled connections are skipped, and the pool is
 * bounded.
 */
@ExtendWith(NoLeaks.class)
class ScriptedPoolTest {

    @Test
    void deadPooledConnectionsAreSkippedAndTheOpenFallsBackToTheControlChannel() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
            Channel ch = scripted.channel();

            List<Socket> pooled = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Socket p = t.controlConnection();
                Handshake.dial(new Channel(p), TestTunnel.TOKEN, InnerToOuter.Purpose.POOL, "scripted", scripted.id());
                pooled.add(p);
            }
            Await.until("three pooled connections", () -> t.outer.pooledConnections() == 3);
            for (Socket p : pooled) {
                p.setSoLinger(true, 0); // a reset: the outer's next write there fails
                p.close();
            }

            try (Socket user = t.connect()) {
                user.getOutputStream().write("x".getBytes());
                // Heartbeats may come first; the Open must come on the control channel.
                Message m;
                do {
                    m = ch.read(OuterToInner.class);
                } while (m instanceof Message.Heartbeat);
                OuterToInner.Open open = (OuterToInner.Open) m;
                assertEquals("r0", open.route());
                assertEquals(0, t.outer.pooledConnections(), "every dead pooled connection was dropped");
            }
        }
    }

    @Test
    void theOuterHoldsAtMostMaxPoolIdleConnections() throws Exception {
        List<Socket> pooled = new ArrayList<>();
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo));
                TestTunnel.ScriptedInner scripted = t.scriptedInner()) {
            String channel = scripted.id();
            for (int i = 0; i < InnerConfig.MAX_POOL; i++) {
                Socket p = t.controlConnection();
                pooled.add(p);
                Handshake.dial(new Channel(p), TestTunnel.TOKEN, InnerToOuter.Purpose.POOL, "scripted", channel);
            }
            Await.until("a full pool", () -> t.outer.pooledConnections() == InnerConfig.MAX_POOL);
            Socket extra = t.controlConnection();
            pooled.add(extra);
            Handshake.dial(new Channel(extra), TestTunnel.TOKEN, InnerToOuter.Purpose.POOL, "scripted", channel);
            Message.Error e =
                    assertInstanceOf(Message.Error.class, Frames.read(extra.getInputStream(), OuterToInner.class));
            assertTrue(e.message().contains("pool is full"), e.message());
            assertEquals(InnerConfig.MAX_POOL, t.outer.pooledConnections());
        } finally {
            pooled.forEach(Sockets::closeQuietly);
        }
    }
}

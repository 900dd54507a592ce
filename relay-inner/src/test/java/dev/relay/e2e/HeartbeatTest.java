package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.auth.Handshake;
import dev.relay.config.HostPort;
import dev.relay.protocol.Channel;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A peer that authenticates and then falls silent is declared gone after the dead-peer time, on either side. */
@ExtendWith(NoLeaks.class)
class HeartbeatTest {

    @Test
    void theOuterDropsAnInnerThatStopsSendingHeartbeats() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo));
                Socket s = t.controlConnection()) {
            Channel ch = new Channel(s);
            Handshake.dial(ch, TestTunnel.TOKEN, InnerToOuter.Purpose.CONTROL, "silent", null);
            ch.expect(OuterToInner.class, OuterToInner.Welcome.class);
            Await.until("the outer to take the silent inner", () -> t.outer.innerConnected());
            long start = System.nanoTime();
            // Heartbeats keep arriving from the outer; the silent inner never answers, so the outer hangs up.
            try {
                for (; ; ) {
                    assertInstanceOf(Message.Heartbeat.class, ch.read(OuterToInner.class));
                }
            } catch (EOFException | SocketException closed) {
                // Declared gone.
            }
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(
                    waitedMs >= TestTunnel.FAST.deadPeer().toMillis() - 250, "dropped after only " + waitedMs + "ms");
            Await.until("the outer to forget it", () -> !t.outer.innerConnected());
            t.startInner(); // a live inner takes its place at once
            try (Socket u = t.connect()) {
                assertEquals("alive", TunnelTest.roundTrip(u, "alive"));
            }
        }
    }

    @Test
    void theInnerReconnectsWhenItsOuterFallsSilent() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
                Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            // No pool: the only connection the inner makes after the first is its reconnect.
            t.launchInner(t.innerConfig().withPool(0).withConnect(new HostPort("127.0.0.1", fake.getLocalPort())));
            fake.setSoTimeout(20_000);
            try (Socket first = fake.accept()) {
                Channel ch = new Channel(first);
                Handshake.accept(ch, TestTunnel.TOKEN, ticket -> false);
                ch.send(new OuterToInner.Welcome(List.of(), 200, Nonce.sessionId()));
                Await.until("the inner to be connected", () -> t.inner.connected());
                // Now say nothing at all: the inner must give up on this outer and dial again.
                try (Socket second = fake.accept()) {
                    assertTrue(t.inner.lastFailure().contains("no heartbeat"), t.inner.lastFailure());
                    drainQuietly(second);
                }
            }
        }
    }

    private static void drainQuietly(Socket s) {
        try {
            s.setSoTimeout(200);
            s.getInputStream().read();
        } catch (IOException e) {
            // Only the accept mattered.
        }
    }
}

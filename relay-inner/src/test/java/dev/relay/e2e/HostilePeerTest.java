package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.InnerConfig;
import dev.relay.config.Token;
import dev.relay.config.Tuning;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Strangers and broken peers on the control port: each is dropped with a reason, and the tunnel keeps serving its
 * real inner and users throughout.
 */
@ExtendWith(NoLeaks.class)
class HostilePeerTest {

    @Test
    void anInnerWithTheWrongTokenIsRefusedAndServesNothing() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(
                        TestTunnel.FAST.withOpenTimeout(Duration.ofMillis(1500)), TestTunnel.route("r0", echo))) {
            t.launchInner(new InnerConfig(
                    t.innerConfig().connect().get(0),
                    new Token("wrong-token-0123456789abcdef"),
                    "impostor",
                    InnerConfig.DEFAULT_POOL,
                    TestTunnel.FAST));
            Await.until("the inner to learn it was refused", () -> t.inner.lastFailure() != null);
            assertTrue(t.inner.lastFailure().contains("token"), t.inner.lastFailure());
            assertFalse(t.inner.connected());
            assertFalse(t.outer.innerConnected());
            try (Socket s = t.connect()) {
                s.getOutputStream().write("anyone there?".getBytes(StandardCharsets.UTF_8));
                assertEquals(-1, s.getInputStream().read(), "a user must get nothing through a refused inner");
            }
            assertEquals(0, echo.accepted.get(), "the target must never be reached");
        }
    }

    @Test
    void garbageOnTheControlPortIsDroppedAndRoutesKeepWorking() throws Exception {
        assertDroppedWhileTunnelWorks(
                "unexpected frame code 0",
                s -> s.getOutputStream().write("\u0000\u00ff garbage \r\n\r\n".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void anHttpRequestOnTheControlPortIsDropped() throws Exception {
        assertDroppedWhileTunnelWorks(
                "unexpected frame code 71", // 'G'
                s -> s.getOutputStream()
                        .write("GET / HTTP/1.1\r\nHost: relay.example.com\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void anOversizedFrameIsDroppedBeforeItIsRead() throws Exception {
        assertDroppedWhileTunnelWorks(
                "frame of " + (Frames.MAX_PAYLOAD + 1) + " bytes is over the limit",
                s -> s.getOutputStream()
                        .write(ByteBuffer.allocate(5)
                                .put((byte) 1)
                                .putInt(Frames.MAX_PAYLOAD + 1)
                                .array()));
    }

    @Test
    void aTruncatedFrameIsDropped() throws Exception {
        assertDroppedWhileTunnelWorks("truncated frame", s -> {
            byte[] hello = Frames.encode(new InnerToOuter.Hello(1, InnerToOuter.Purpose.CONTROL, Nonce.next()));
            s.getOutputStream().write(hello, 0, hello.length - 3);
            // Half-close: the outer sees the frame end early, rather than waiting for the rest until its handshake
            // timeout (which would be dropped too, but for another reason).
            s.shutdownOutput();
        });
    }

    @Test
    void aPeerThatSaysNothingIsDroppedAfterTheHandshakeTimeout() throws Exception {
        Duration timeout = Duration.ofMillis(500);
        Duration after = assertDroppedWhileTunnelWorks(
                TestTunnel.FAST.withHandshake(timeout),
                // The same words whichever of the outer's two timers for it fires first: the deadline, or the read
                // timeout of the same length.
                "did not authenticate within " + timeout.toMillis() + "ms",
                s -> {});
        // Measured from the client's connect, which completes before the outer accepts, so not shorter than the timeout
        // (50 ms allowed for the timer's rounding); the upper bound leaves room for a busy machine.
        assertTrue(after.compareTo(timeout.minusMillis(50)) >= 0, "dropped after only " + after.toMillis() + "ms");
        assertTrue(after.compareTo(Duration.ofMillis(2500)) < 0, "dropped only after " + after.toMillis() + "ms");
    }

    @Test
    void aDataConnectionForAnUnknownSessionIsRefused() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo);
                Socket s = t.controlConnection()) {
            dev.relay.protocol.Channel ch = new dev.relay.protocol.Channel(s);
            dev.relay.auth.Handshake.dial(ch, TestTunnel.TOKEN, InnerToOuter.Purpose.DATA, "prober", Nonce.sessionId());
            Message m = Frames.read(s.getInputStream(), OuterToInner.class);
            Message.Error e = assertInstanceOf(Message.Error.class, m);
            assertTrue(e.message().contains("unknown or expired session"), e.message());
            assertEquals(-1, s.getInputStream().read());
            try (Socket u = t.connect()) {
                assertEquals("still fine", TunnelTest.roundTrip(u, "still fine"));
            }
        }
    }

    interface Abuse {
        void send(Socket s) throws IOException;
    }

    private static Duration assertDroppedWhileTunnelWorks(String reason, Abuse abuse) throws Exception {
        return assertDroppedWhileTunnelWorks(TestTunnel.FAST, reason, abuse);
    }

    /**
     * Sends {@code abuse} to the control port, expects the outer to close that connection and log a reason for it in
     * which the regular expression {@code reason} finds a match, and the tunnel to work before, meanwhile and after.
     * Returns how long the connection lived after its connect completed.
     */
    private static Duration assertDroppedWhileTunnelWorks(Tuning tuning, String reason, Abuse abuse) throws Exception {
        Duration lived;
        LogCapture log = LogCapture.start();
        try (log;
                Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(tuning, TestTunnel.route("r0", echo))) {
            t.startInner();
            try (Socket user = t.connect();
                    Socket bad = t.controlConnection()) {
                long connected = System.nanoTime();
                assertEquals("before", TunnelTest.roundTrip(user, "before"));
                abuse.send(bad);
                assertClosedByOuter(bad.getInputStream());
                lived = Duration.ofNanos(System.nanoTime() - connected);
                String dropped = "control connection from 127.0.0.1:" + bad.getLocalPort() + " dropped: ";
                Await.until("the outer to log why it dropped the connection", () -> log.count(dropped) > 0);
                String line = log.lines(dropped).get(0);
                assertTrue(
                        Pattern.compile(reason).matcher(line).find(),
                        "expected the reason [" + reason + "] in: " + line);
                assertEquals("during", TunnelTest.roundTrip(user, "during"));
            }
            assertTrue(t.outer.innerConnected());
            try (Socket s = t.connect()) {
                assertEquals("after", TunnelTest.roundTrip(s, "after"));
            }
        }
        return lived;
    }

    /** The outer may say why in an Error frame first; then the connection must end. */
    private static void assertClosedByOuter(InputStream in) throws IOException {
        try {
            for (; ; ) {
                Message m = Frames.read(in, OuterToInner.class);
                assertNotNull(m);
                assertInstanceOf(Message.Error.class, m, "only an Error may come back, got " + m);
            }
        } catch (EOFException | SocketException expected) {
            // Closed, possibly with a reset because the outer did not read everything we sent.
        }
    }

    @Test
    void aSecondInnerIsRefusedWhileTheFirstIsConnected() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo);
                dev.relay.inner.Inner second = dev.relay.inner.Inner.start(t.innerConfig())) {
            Await.until("the second inner to be refused", () -> second.lastFailure() != null);
            assertTrue(second.lastFailure().contains("another inner"), second.lastFailure());
            assertFalse(second.connected());
            try (Socket s = t.connect()) {
                assertEquals("first still serves", TunnelTest.roundTrip(s, "first still serves"));
            }
        }
    }

    @Test
    void theTokenAloneDoesNotLetAStrangerJoinTheInnersPool() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 0);
                Socket s = t.controlConnection()) {
            dev.relay.protocol.Channel ch = new dev.relay.protocol.Channel(s);
            dev.relay.auth.Handshake.dial(ch, TestTunnel.TOKEN, InnerToOuter.Purpose.POOL, "thief", Nonce.sessionId());
            Message.Error e =
                    assertInstanceOf(Message.Error.class, Frames.read(s.getInputStream(), OuterToInner.class));
            assertTrue(e.message().contains("another control channel"), e.message());
            assertEquals(0, t.outer.pooledConnections());
            try (Socket u = t.connect()) {
                assertEquals("mine", TunnelTest.roundTrip(u, "mine"));
            }
        }
    }
}

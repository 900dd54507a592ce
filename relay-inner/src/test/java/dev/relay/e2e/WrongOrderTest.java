package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.auth.Handshake;
import dev.relay.net.Threads;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Valid frames in the wrong order, generated from a fixed seed, sent to the outer by a fake inner and to the inner by
 * a fake outer. Each connection is dropped with a reason; neither process stops serving.
 */
@ExtendWith(NoLeaks.class)
class WrongOrderTest {
    private static final int SEQUENCES = 60;

    private static List<InnerToOuter> innerFrames() {
        return List.of(
                new InnerToOuter.Hello(Handshake.VERSION, InnerToOuter.Purpose.CONTROL, Nonce.next()),
                new InnerToOuter.Hello(Handshake.VERSION, InnerToOuter.Purpose.DATA, Nonce.next()),
                new InnerToOuter.Hello(Handshake.VERSION, InnerToOuter.Purpose.POOL, Nonce.next()),
                new InnerToOuter.PoolAuth(
                        Handshake.VERSION, Nonce.next(), Nonce.next(), Nonce.next(), "x", Nonce.sessionId()),
                new InnerToOuter.Hello(99, InnerToOuter.Purpose.CONTROL, Nonce.next()),
                new InnerToOuter.Name("x"),
                new InnerToOuter.Auth(Nonce.next(), "x", null),
                new InnerToOuter.Auth(Nonce.next(), "x", Nonce.sessionId()),
                new InnerToOuter.OpenFailed(Nonce.sessionId(), "no"),
                new Message.Heartbeat(),
                new Message.Error("nonsense"));
    }

    private static List<OuterToInner> outerFrames() {
        return List.of(
                new OuterToInner.Challenge(Handshake.VERSION, Nonce.next(), Nonce.next()),
                new OuterToInner.Challenge(7, Nonce.next(), Nonce.next()),
                new OuterToInner.Welcome(
                        List.of(new OuterToInner.RouteSpec("x", "127.0.0.1:9")), 1000, Nonce.sessionId()),
                new OuterToInner.Open(Nonce.sessionId(), "x"),
                new OuterToInner.Open(Nonce.sessionId(), "x", Nonce.next(), Nonce.next()),
                new OuterToInner.Ready(),
                new Message.Heartbeat(),
                new Message.Error("nonsense"));
    }

    private static <T> List<T> sequence(Random random, List<T> frames) {
        List<T> out = new ArrayList<>();
        int n = 1 + random.nextInt(5);
        for (int i = 0; i < n; i++) {
            out.add(frames.get(random.nextInt(frames.size())));
        }
        return out;
    }

    @Test
    void theOuterDropsEveryOutOfOrderSequenceAndKeepsServing() throws Exception {
        Random random = new Random(20261126);
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo)) {
            for (int i = 0; i < SEQUENCES; i++) {
                List<InnerToOuter> seq = sequence(random, innerFrames());
                try (Socket s = t.controlConnection()) {
                    OutputStream out = s.getOutputStream();
                    try {
                        for (InnerToOuter m : seq) {
                            out.write(Frames.encode(m));
                        }
                        s.shutdownOutput();
                    } catch (SocketException closedEarly) {
                        // The outer may close after the first bad frame; that is the point.
                    }
                    assertOnlyErrorsThenClose(s.getInputStream(), seq);
                }
            }
            assertTrue(t.outer.innerConnected());
            try (Socket s = t.connect()) {
                assertEquals("unharmed", TunnelTest.roundTrip(s, "unharmed"));
            }
        }
    }

    /** A hello that is in the right place earns a Challenge; after that only Errors, then the end. */
    private static void assertOnlyErrorsThenClose(InputStream in, List<InnerToOuter> seq) throws IOException {
        int challenges = 0;
        try {
            for (; ; ) {
                Message m = Frames.read(in, OuterToInner.class);
                if (m instanceof OuterToInner.Challenge) {
                    challenges++;
                    assertTrue(
                            challenges == 1
                                    && seq.get(0) instanceof InnerToOuter.Hello h
                                    && h.version() == Handshake.VERSION,
                            "a Challenge may only answer a first, valid Hello: " + seq);
                } else {
                    assertTrue(m instanceof Message.Error, "unexpected " + m + " after " + seq);
                }
            }
        } catch (EOFException | SocketException closed) {
            // The outer ended this connection.
        }
    }

    @Test
    void theInnerSurvivesAFakeOuterThatSendsFramesOutOfOrder() throws Exception {
        Random random = new Random(11);
        try (Target target = Target.echo();
                ServerSocket fake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("x", target))) {
            t.launchInner(t.innerConfig().withConnect(new dev.relay.config.HostPort("127.0.0.1", fake.getLocalPort())));
            fake.setSoTimeout(20_000);
            for (int i = 0; i < SEQUENCES / 3; i++) {
                // The inner dials again after every failure: each accept here proves its loop survived the last one.
                try (Socket s = fake.accept()) {
                    s.setSoTimeout(10_000);
                    Frames.read(s.getInputStream(), InnerToOuter.class); // its Hello
                    try {
                        for (OuterToInner m : sequence(random, outerFrames())) {
                            s.getOutputStream().write(Frames.encode(m));
                        }
                    } catch (SocketException closedEarly) {
                        // The inner gave up after the first bad frame.
                    }
                    drain(s.getInputStream());
                }
            }
            assertFalse(t.inner.connected());
            assertEquals(0, target.accepted.get(), "a fake outer must never make the inner reach a target");
            assertTrue(Threads.live() < 20, "relay threads: " + Threads.live());
        }
    }

    private static void drain(InputStream in) {
        try {
            while (in.read() >= 0) {
                // Whatever the inner says before it hangs up.
            }
        } catch (IOException e) {
            // Reset or timeout: it hung up either way.
        }
    }
}

package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.inner.Inner;
import dev.relay.net.Threads;
import dev.relay.outer.Outer;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An outer that holds the token and attacks its inner: floods of Opens, oversized fields, data dials never answered.
 * The inner holds no more than its own limits, survives, and serves a genuine outer that takes the port afterwards.
 */
@ExtendWith(NoLeaks.class)
class MaliciousOuterTest {
    private static final int INNER_MAX_SESSIONS = 100;

    @Test
    void opensWithHugeSessionIdsEndTheChannelAndTheInnerServesAGenuineOuterAfterwards() throws Exception {
        try (Target echo = Target.echo()) {
            ServerSocket fake = new ServerSocket();
            fake.setReuseAddress(true);
            fake.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            int port = fake.getLocalPort();
            try (Inner inner = Inner.start(innerOf(port))) {
                try (fake;
                        Socket control = fake.accept()) {
                    Channel ch = FakeOuter.welcome(control, echo);
                    // 2,500 Opens for an allowed route, each with a 60 KB session id, as fast as the inner reads.
                    byte[] open = rawFrame(5, "{\"session\":\"" + "A".repeat(60_000) + "\",\"route\":\"r0\"}");
                    OutputStream out = control.getOutputStream();
                    try {
                        for (int i = 0; i < 2_500; i++) {
                            out.write(open);
                        }
                    } catch (IOException closedByTheInner) {
                        // Expected: the inner drops the channel at the first one.
                    }
                    Await.until("the inner to drop the channel", () -> inner.lastFailure() != null);
                    assertTrue(inner.lastFailure().contains("protocol violation"), inner.lastFailure());
                    assertTrue(inner.lastFailure().length() < 400, "the reason is cut: " + inner.lastFailure());
                    assertEquals(0, echo.accepted.get(), "no target was reached");
                    ch.close();
                }
                assertGenuineOuterServedOn(port, inner, echo);
            }
        }
    }

    @Test
    void aFloodOfOpensHoldsNoMoreTargetConnectionsThanTheInnersLimit() throws Exception {
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        try (Target holding = Target.start(s -> {
                    most.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
                    try {
                        s.getInputStream().transferTo(OutputStream.nullOutputStream());
                    } finally {
                        concurrent.decrementAndGet();
                    }
                });
                ServerSocket fake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                Inner inner = Inner.start(innerOf(fake.getLocalPort()));
                Socket control = fake.accept()) {
            Channel ch = FakeOuter.welcome(control, holding);
            AtomicInteger refused = new AtomicInteger();
            Thread reader = FakeOuter.countLimitRefusals(ch, refused);
            try {
                for (int i = 0; i < 3_000; i++) {
                    ch.send(new OuterToInner.Open(Nonce.sessionId(), "r0"));
                }
                Await.until(
                        "the inner to refuse every Open beyond its limit, or to exceed it",
                        () -> refused.get() >= 3_000 - INNER_MAX_SESSIONS || most.get() > INNER_MAX_SESSIONS);
                assertTrue(
                        most.get() <= INNER_MAX_SESSIONS,
                        "target connections at once: " + most.get() + ", limit " + INNER_MAX_SESSIONS);
                assertTrue(inner.connected(), "the inner stays connected");
            } finally {
                ch.close();
                reader.join();
            }
        }
    }

    @Test
    void whatAnOuterWritesCannotForgeOrFloodTheInnersLog() throws Exception {
        try (Target echo = Target.echo();
                LogCapture log = LogCapture.start();
                ServerSocket fake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                Inner inner = Inner.start(innerOf(fake.getLocalPort()))) {
            try (Socket control = fake.accept()) {
                Channel ch = FakeOuter.welcome(control, echo);
                Thread reader = Threads.start("fake-outer-reader", () -> drain(ch));
                // Opens for a route never offered, as fast as they go, until the log has said how many it left out:
                // each is refused, but the log says so about once a second.
                long start = System.nanoTime();
                int sent = 0;
                while (log.count("more refused") == 0 && System.nanoTime() - start < 20_000_000_000L) {
                    for (int i = 0; i < 1_000; i++, sent++) {
                        ch.send(new OuterToInner.Open(Nonce.sessionId(), "nope"));
                    }
                }
                long seconds = (System.nanoTime() - start) / 1_000_000_000L;
                long lines = log.count("is not served here");
                assertTrue(sent >= 20_000 || log.count("more refused") > 0, "sent " + sent);
                assertTrue(lines <= seconds + 2, lines + " refusal lines for " + sent + " Opens in " + seconds + "s");
                // A route name that would start a forged line: a protocol violation, and nothing of it is logged raw.
                control.getOutputStream()
                        .write(rawFrame(
                                5,
                                "{\"session\":\"" + Nonce.sessionId()
                                        + "\",\"route\":\"r0\\n12:00:00.000 [main] INFO Inner - forged\"}"));
                Await.until("the inner to drop the channel", () -> inner.lastFailure() != null);
                assertTrue(inner.lastFailure().contains("protocol violation"), inner.lastFailure());
                ch.close();
                reader.join();
            }
            assertTrue(log.lines().stream().noneMatch(l -> l.startsWith("12:00:00.000")), "a forged line was logged");
        }
    }

    private static void drain(Channel ch) {
        try {
            for (; ; ) {
                ch.read(InnerToOuter.class);
                ch.trySend(new Message.Heartbeat());
            }
        } catch (IOException ended) {
            // The test closes the channel.
        }
    }

    /** An inner with a limit of {@value #INNER_MAX_SESSIONS} sessions and no pool, dialling {@code port}. */
    private static InnerConfig innerOf(int port) {
        return new InnerConfig(
                new HostPort("127.0.0.1", port),
                TestTunnel.TOKEN,
                "victim",
                0,
                TestTunnel.FAST.withMaxSessions(INNER_MAX_SESSIONS));
    }

    /** A genuine outer bound to the port the attacker held: the inner connects to it, and a user gets through. */
    private static void assertGenuineOuterServedOn(int port, Inner inner, Target target) throws Exception {
        Route r = Route.of("r0", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", target.port()));
        try (Outer outer = Outer.start(
                new OuterConfig(new HostPort("127.0.0.1", port), TestTunnel.TOKEN, List.of(r), TestTunnel.FAST))) {
            Await.until("the inner to reach the genuine outer", outer::innerConnected);
            try (Socket user = new Socket("127.0.0.1", outer.port("r0"))) {
                user.setSoTimeout(10_000);
                assertEquals("still serving", TunnelTest.roundTrip(user, "still serving"));
            }
            inner.close();
        }
    }

    /** A frame with any payload, past the checks the message records make when a test builds one. */
    private static byte[] rawFrame(int code, String json) {
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(Frames.HEADER + payload.length)
                .put((byte) code)
                .putInt(payload.length)
                .put(payload)
                .array();
    }
}

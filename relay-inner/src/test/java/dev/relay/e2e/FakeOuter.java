package dev.relay.e2e;

import dev.relay.auth.Handshake;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A hostile outer's side of a control channel, written by hand so a test can send what no real outer would. */
final class FakeOuter {
    private FakeOuter() {}

    /** Authenticates the inner on {@code control} and offers it one route, {@code r0}, to {@code target}. */
    static Channel welcome(Socket control, Target target) throws IOException {
        control.setSoTimeout(20_000);
        Channel ch = new Channel(control);
        Handshake.accept(ch, TestTunnel.TOKEN, null);
        ch.send(new OuterToInner.Welcome(
                List.of(new OuterToInner.RouteSpec("r0", target.address())),
                TestTunnel.FAST.heartbeat().toMillis(),
                Nonce.sessionId()));
        return ch;
    }

    /**
     * Reads what the inner sends until the channel ends, answering each frame with a heartbeat, and counts in
     * {@code refused} the Opens it refused for a limit. It never accepts the inner's data dials, so each open that
     * gets as far as the target holds it until it gives up.
     */
    static Thread countLimitRefusals(Channel ch, AtomicInteger refused) {
        return Threads.start("fake-outer-reader", () -> {
            try {
                for (; ; ) {
                    if (ch.read(InnerToOuter.class) instanceof InnerToOuter.OpenFailed f
                            && f.reason().contains("limit")) {
                        refused.incrementAndGet();
                    }
                    ch.trySend(new Message.Heartbeat());
                }
            } catch (IOException ended) {
                // The test closes the channel.
            }
        });
    }
}

package dev.relay.inner;

import dev.relay.config.HostPort;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.CloseReason;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.OpenFailed;
import dev.relay.protocol.Message;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.OuterToInner.Open;
import dev.relay.protocol.ProtocolException;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control channel to the outer, read on the {@code inner-connector} thread; heartbeats go out from
 * {@code inner-heartbeat}; its {@link Pool} of idle data connections lives and dies with it. The routes are fixed at
 * the handshake: an Open names a route, never an address.
 */
final class OuterLink {
    private static final Logger LOG = LoggerFactory.getLogger(OuterLink.class);

    private final Inner inner;
    private final Channel channel;
    private final Map<String, HostPort> routes;
    private final Duration heartbeat;
    private final String channelId;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Pool pool;

    OuterLink(Inner inner, Channel channel, Map<String, HostPort> routes, long heartbeatMillis, String channelId) {
        this.inner = inner;
        this.channel = channel;
        this.routes = Map.copyOf(routes);
        this.heartbeat = Duration.ofMillis(heartbeatMillis);
        this.channelId = channelId;
        this.pool = new Pool(inner, this);
    }

    String describeRoutes() {
        return routes.isEmpty()
                ? "no routes"
                : routes.entrySet().stream()
                        .map(e -> e.getKey() + " -> " + e.getValue())
                        .collect(Collectors.joining(", "));
    }

    /**
     * Reads until the channel ends, and returns why; runs on {@code inner-connector}, while {@code inner-heartbeat}
     * sends heartbeats. The outer is gone when it closes, breaks the protocol, sends nothing (heartbeats included) for
     * {@code deadPeer}, or stops reading for as long.
     */
    String run(Duration deadPeer) {
        Thread beat = Threads.start("inner-heartbeat", () -> channel.sendHeartbeats(heartbeat));
        pool.start();
        try {
            channel.socket().setSoTimeout((int) deadPeer.toMillis());
            for (; ; ) {
                OuterToInner m = channel.read(OuterToInner.class);
                channel.checkPeerReads(deadPeer);
                switch (m) {
                    case Message.Heartbeat h -> {}
                    case Open o -> open(o);
                    case Message.Error e -> throw new Frames.PeerError(e.message());
                    case OuterToInner.Challenge c ->
                        throw new ProtocolException("Challenge on an open control channel");
                    case OuterToInner.Welcome w -> throw new ProtocolException("Welcome on an open control channel");
                    case OuterToInner.Ready r -> throw new ProtocolException("Ready on a control channel");
                }
            }
        } catch (ProtocolException e) {
            channel.fail(e.getMessage());
            return CloseReason.of(e, "outer", null);
        } catch (IOException e) {
            return closed.get()
                    ? "closed"
                    : CloseReason.of(e, "outer", "no heartbeat for " + deadPeer.toSeconds() + "s");
        } finally {
            close();
            beat.interrupt();
        }
    }

    /** An Open on the control channel: answer it with a new data connection. */
    private void open(Open o) {
        Opener opener = opener(o);
        if (opener == null) {
            send(new OpenFailed(o.session(), "unknown route \"" + o.route() + "\""));
            return;
        }
        Threads.start("open-" + o.session(), opener::overControl);
    }

    /**
     * An Open on a pooled data connection: that connection carries the session. Runs on the pool slot's own thread,
     * so the session starts without a hand-off; the slot dials its replacement right after.
     */
    void openPooled(Open o, Channel data) {
        Opener opener = opener(o);
        if (opener == null) {
            // The outer already relays this connection's bytes to its user: close it, never write a frame on it.
            data.close();
            return;
        }
        opener.onPooled(data);
    }

    private Opener opener(Open o) {
        HostPort target = routes.get(o.route());
        if (target == null) {
            LOG.warn("open id={} refused: route \"{}\" was not offered at handshake", o.session(), o.route());
            return null;
        }
        return new Opener(inner, this, o.session(), o.route(), target);
    }

    boolean isOpen() {
        return !closed.get();
    }

    /** The id the outer gave this channel; pooled connections present it to join this channel's pool. */
    String channelId() {
        return channelId;
    }

    /** Sends on the control channel; a failure here is noticed by the reader, so it is only logged. */
    void send(InnerToOuter m) {
        try {
            channel.send(m);
        } catch (IOException e) {
            LOG.debug("send {} to outer failed: {}", m.getClass().getSimpleName(), e.toString());
        }
    }

    void close() {
        if (closed.compareAndSet(false, true)) {
            channel.close();
            pool.close();
        }
    }
}

package dev.relay.inner;

import dev.relay.auth.Handshake;
import dev.relay.mux.Mux;
import dev.relay.mux.MuxStream;
import dev.relay.net.LogLimiter;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.CloseReason;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.OpenFailed;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Message;
import dev.relay.protocol.Outbox;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.OuterToInner.Open;
import dev.relay.protocol.ProtocolException;
import dev.relay.session.Reuse;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A control channel to one outer, read on its {@link Connector}'s {@code inner-connector-<host:port>} thread; frames and heartbeats go out from
 * {@code inner-writer}; its {@link Pool} of idle data connections lives and dies with it. The routes come with the
 * handshake and change only with a Routes message (the outer reloaded) or this inner's own reload: an Open names a
 * route, never an address.
 */
final class OuterLink {
    private static final Logger LOG = LoggerFactory.getLogger(OuterLink.class);

    private final Inner inner;
    private final Connector connector;
    private final Channel channel;
    /** What the outer offered last; filtered again when this inner's allowTargets change. */
    private volatile List<OuterToInner.RouteSpec> offered;
    /** What this inner serves now; an Open reads it once, so a session keeps the route it started with. */
    private volatile Map<String, ServedRoute> routes;

    private final Outbox outbox;
    private final Duration deadPeer;
    private final String channelId;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Pool pool;
    /** The connection that carries this link's streams over TLS, once one was needed; replaced when it breaks. */
    private volatile Mux mux;
    /** Held while the stream connection is dialled: a lock, not synchronized, so no carrier thread is pinned on JDK 21. */
    private final ReentrantLock dialingMux = new ReentrantLock();
    /** When the last dial of the stream connection failed (System.nanoTime), and why; read under {@link #dialingMux}. */
    private long muxFailedNanos = System.nanoTime() - 1;

    private String muxFailure;

    private final TargetChecker checker;
    private final LogLimiter refusals = new LogLimiter(Duration.ofSeconds(1), "refused");
    private final LogLimiter failures = new LogLimiter(Duration.ofMillis(100), "failed");

    /** Frames queued for the outer at most; past that, the reader waits (and so reads no more Opens). */
    static final int QUEUE = 1024;

    OuterLink(
            Inner inner,
            Connector connector,
            Channel channel,
            List<OuterToInner.RouteSpec> offered,
            Duration heartbeat,
            Duration deadPeer,
            String channelId) {
        this.inner = inner;
        this.connector = connector;
        this.channel = channel;
        this.offered = offered;
        this.routes = inner.serve(offered);
        this.outbox = new Outbox(channel, QUEUE, heartbeat, deadPeer);
        this.deadPeer = deadPeer;
        this.channelId = channelId;
        this.pool = new Pool(inner, this);
        this.checker = new TargetChecker(outbox::offer, inner.config().tuning().openTimeout());
        checker.update(offered, routes);
    }

    String describeRoutes() {
        return routes.isEmpty()
                ? "no routes"
                : routes.entrySet().stream().map(e -> e.getValue().toString()).collect(Collectors.joining(", "));
    }

    /**
     * Reads until the channel ends, and returns why; runs on {@code inner-connector-<host:port>}, while {@code inner-writer} sends
     * what is queued, and heartbeats. The outer is gone when it closes, breaks the protocol, sends nothing (heartbeats
     * included) for the dead-peer time, or stops reading for as long.
     */
    String run() {
        Thread writer = Threads.start("inner-writer", outbox::run);
        pool.start();
        try {
            channel.socket().setSoTimeout((int) deadPeer.toMillis());
            for (; ; ) {
                OuterToInner m = channel.read(OuterToInner.class);
                channel.checkPeerReads(deadPeer);
                switch (m) {
                    case Message.Heartbeat h -> {}
                    case Open o -> open(o);
                    case OuterToInner.Routes r -> {
                        offer(r.routes());
                        outbox.put(new InnerToOuter.RoutesApplied(r.generation()));
                    }
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
            writer.interrupt();
        }
    }

    /**
     * An Open on the control channel: answer it with a new data connection, on a thread of its own. Every Open takes a
     * session slot before anything else, so an outer cannot make this inner hold more threads, target connections or
     * data connections than its own limit, whatever it sends.
     */
    private void open(Open o) throws Channel.Stalled {
        String refused = refusal(o);
        if (refused != null) {
            // Waits while the writer is behind: the outer's Opens then wait in the socket, unread.
            outbox.put(new OpenFailed(o.session(), refused));
            return;
        }
        Threads.start("open-" + o.session(), new Opener(inner, this, o, routes.get(o.route()))::overControl);
    }

    /**
     * An Open on a pooled data connection: that connection carries the session. Runs on the thread that read the
     * Open, so the session starts without a hand-off; the pool decides on a replacement right after.
     */
    void openPooled(Open o, Channel data, Reuse reuse) {
        String refused = refusal(o);
        if (refused != null) {
            if (o.confirms()) {
                Opener.refuse(data, o, refused);
            } else {
                // The outer already relays this connection's bytes to its user: reset it, never write a frame on it.
                data.reset();
            }
            return;
        }
        new Opener(inner, this, o, routes.get(o.route())).onPooled(data, reuse);
    }

    /** The outer's route table changed: serve what it offers now, filtered as at the handshake. */
    private void offer(List<OuterToInner.RouteSpec> specs) {
        offered = specs;
        routes = inner.serve(specs);
        checker.update(specs, routes);
        LOG.info("routes from the outer at {} changed; serving {}", connector.outer(), describeRoutes());
    }

    /** This inner's allowTargets changed: filter what the outer offered again. */
    void refilter() {
        routes = inner.serve(offered);
        checker.update(offered, routes);
        LOG.info("outer at {}: serving {}", connector.outer(), describeRoutes());
    }

    Pool pool() {
        return pool;
    }

    /**
     * The data connection for {@code session} as a stream on this link's stream connection (over TLS), authenticated
     * with DataAuth and answered with the outer's Ready, as a connection of its own would be. The caller owns it.
     */
    Channel dialStream(String session) throws IOException {
        Mux m = mux();
        MuxStream s;
        try {
            s = m.open();
        } catch (IOException e) {
            if (m.isOpen()) {
                throw e;
            }
            // It closed between mux() and open() (idle, dead, or replaced): once more, on the one that follows it.
            m = mux();
            s = m.open();
        }
        Duration limit = inner.config().tuning().handshake();
        try {
            s.setSoTimeout((int) limit.toMillis());
            Channel ch = new Channel(s);
            Handshake.dialData(ch, inner.config().token(), inner.config().name(), session);
            return ch;
        } catch (SocketTimeoutException e) {
            s.close();
            // Nothing at all came back meanwhile: the connection may be dead (a middlebox dropped it silently), not
            // busy. New streams go to a new one; the sessions on this one keep it until they end, in case it lives.
            if (m.silentNanos() >= limit.toNanos()) {
                m.retire();
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * This link's stream connection, dialled on first use and again after it broke, after it sat unused for
     * poolMaxIdle (a middlebox may have dropped it silently, as with an idle pooled connection), or once its stream
     * ids are used up (it then closes after its last stream). One dial at a time: Opens that arrive meanwhile wait
     * for it, and share its failure instead of each dialling in turn.
     */
    private Mux mux() throws IOException {
        long asked = System.nanoTime();
        Mux m = mux;
        if (usable(m)) {
            return m;
        }
        dialingMux.lock();
        try {
            m = mux;
            if (usable(m)) {
                return m;
            }
            if (m != null) {
                if (m.isOpen() && idle(m)) {
                    m.close("unused for "
                            + inner.config().tuning().poolMaxIdle().toSeconds() + "s");
                } else {
                    m.retire();
                }
            }
            if (closed.get()) {
                throw new IOException("control channel closed");
            }
            if (muxFailedNanos - asked > 0) {
                throw new IOException("stream connection: " + muxFailure);
            }
            try {
                Channel ch = connector.dialingOuter(() -> inner.dialReady(connector.outer(), Purpose.MUX, channelId));
                try {
                    ch.socket().setSoTimeout(0);
                    m = Mux.opening(ch.socket());
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                }
            } catch (IOException e) {
                muxFailure = e.getMessage() == null ? e.toString() : e.getMessage();
                muxFailedNanos = System.nanoTime();
                throw e;
            }
            m.start(reason -> LOG.info("stream connection to {} closed: {}", connector.outer(), reason));
            mux = m;
        } finally {
            dialingMux.unlock();
        }
        if (closed.get()) {
            m.close("control channel closed");
        }
        return m;
    }

    /** Whether {@code m} takes new streams and has not sat unused too long; closing an idle one is mux()'s, locked. */
    private boolean usable(Mux m) {
        return m != null && m.takesStreams() && !idle(m);
    }

    private boolean idle(Mux m) {
        return m.streams() == 0
                && m.silentNanos() > inner.config().tuning().poolMaxIdle().toNanos();
    }

    /** The outer at the other end, and what it may hold of this inner. */
    Connector connector() {
        return connector;
    }

    /** The routes served now. */
    Map<String, ServedRoute> routes() {
        return routes;
    }

    /** Why this Open is refused, logged sparingly, or null with a session slot taken for it. */
    private String refusal(Open o) {
        String why;
        if (!routes.containsKey(o.route())) {
            why = "route \"" + o.route() + "\" is not served here";
        } else if (!connector.takeSlot()) {
            why = "this inner's limit of " + inner.config().tuning().maxSessions()
                    + " sessions is reached, or this outer's share of it";
        } else {
            return null;
        }
        refusals.event(more -> LOG.warn("open id={} refused: {}{}", o.session(), why, more));
        return why;
    }

    /** Failed opens are logged sparingly: an outer chooses how many Opens to send. */
    LogLimiter failures() {
        return failures;
    }

    boolean isOpen() {
        return !closed.get();
    }

    /** The id the outer gave this channel; pooled connections present it to join this channel's pool. */
    String channelId() {
        return channelId;
    }

    /**
     * Queues an OpenFailed for the outer, from an open's own thread; if the outer has stopped reading, the channel is
     * closed and the reply is moot.
     */
    void reply(InnerToOuter.OpenFailed m) {
        try {
            outbox.put(m);
        } catch (Channel.Stalled e) {
            LOG.debug("OpenFailed id={} not sent: the outer {}", m.session(), e.getMessage());
        }
    }

    void close() {
        if (closed.compareAndSet(false, true)) {
            channel.close();
            pool.close();
            checker.close();
            Mux m = mux;
            if (m != null) {
                m.close("control channel closed");
            }
        }
    }
}

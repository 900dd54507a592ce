package dev.relay.outer;

import dev.relay.config.InnerConfig;
import dev.relay.config.Tuning;
import dev.relay.mux.Mux;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.CloseReason;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.OpenFailed;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.Outbox;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.ProtocolException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control channel to one authenticated inner, and the idle data connections it opened in advance (the pool).
 * Its reader runs on the {@code control-reader} thread and its writes on {@code control-writer}; any thread
 * may send an {@link OuterToInner.Open} or take a pooled connection; the outer's reaper retires old pooled
 * connections. A read timeout longer than the heartbeat interval is how a silent inner is found dead; its pooled
 * connections go with it.
 */
final class InnerLink implements Balancer.Candidate {
    private static final Logger LOG = LoggerFactory.getLogger(InnerLink.class);

    /** Room in the queue besides one Open per admitted user: route changes and the like. */
    private static final int QUEUE_SLACK = 16;

    private final Outer outer;
    private final Channel channel;
    private final String name;
    private final String address;
    private final InetAddress inetAddress;
    private final String id = Nonce.sessionId();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Deque<Pooled> pool = new ConcurrentLinkedDeque<>();
    private final AtomicInteger pooled = new AtomicInteger();
    /**
     * The inner's connections that carry streams, oldest first; they live and die with this control channel. The inner
     * keeps one, and a second while the first drains (its stream ids used up); past two the oldest is closed, so an
     * inner cannot make this outer hold more.
     */
    private final Deque<Mux> muxes = new ConcurrentLinkedDeque<>();

    static final int MAX_MUXES = 2;
    /** Null over plain TCP, where a tap could read a ticket and replay the PoolAuth it goes into. */
    private final Tickets tickets;

    private final Outbox outbox;
    private final Duration deadPeer;
    private final Instant since = Instant.now();
    /** The routes the inner has confirmed it serves: the Welcome's, then each Routes it acknowledged. */
    private volatile Map<String, OuterToInner.RouteSpec> confirmed;
    /** Route tables sent and not acknowledged yet, by generation. */
    private final ConcurrentSkipListMap<Long, Map<String, OuterToInner.RouteSpec>> sent = new ConcurrentSkipListMap<>();

    /**
     * An idle data connection the inner opened in advance, when it arrived, and the proof its Open must carry (null
     * when it authenticated with the full exchange, in which the outer already proved itself).
     */
    record Pooled(Channel channel, long sinceNanos, String openProof) {}

    /** @param ticketTtl how long a pool ticket stays good; null to give out none (plain TCP) */
    InnerLink(
            Outer outer,
            Channel channel,
            String name,
            InetAddress inetAddress,
            String address,
            Duration ticketTtl,
            Tuning tuning,
            List<OuterToInner.RouteSpec> welcomed) {
        this.outer = outer;
        this.confirmed = table(welcomed);
        // Each waiting user is sent at most one Open per link, and the session limit (whatever a reload makes it)
        // bounds the waiting users: the queue never needs to drop one, and holds only what is queued.
        this.outbox = new Outbox(channel, Tuning.MAX_MAX_SESSIONS + QUEUE_SLACK, tuning.heartbeat(), tuning.deadPeer());
        this.deadPeer = tuning.deadPeer();
        this.tickets = ticketTtl == null ? null : new Tickets(ticketTtl);
        this.channel = channel;
        this.name = name;
        this.inetAddress = inetAddress;
        this.address = address;
    }

    /** This channel's id, sent in Welcome; the inner's pooled connections present it to join this pool. */
    String id() {
        return id;
    }

    /** Whether a pooled connection presented this channel's id. */
    boolean owns(String presented) {
        return presented != null
                && MessageDigest.isEqual(
                        id.getBytes(StandardCharsets.US_ASCII), presented.getBytes(StandardCharsets.US_ASCII));
    }

    /** Where the inner connects from; its data connections come from there too. */
    InetAddress address() {
        return inetAddress;
    }

    /** Where the inner connects from, {@code ip:port}. */
    String describeAddress() {
        return address;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Reads until the inner is gone, and returns why; runs on {@code control-reader}, while {@code control-writer}
     * sends what is queued, and heartbeats. The inner is gone when it closes, breaks the protocol, sends nothing
     * (heartbeats included) for the dead-peer time, or stops reading for as long.
     */
    String run() {
        Thread writer = Threads.start("control-writer", outbox::run);
        String reason;
        try {
            channel.socket().setSoTimeout((int) deadPeer.toMillis());
            for (; ; ) {
                InnerToOuter m = channel.read(InnerToOuter.class);
                channel.checkPeerReads(deadPeer);
                switch (m) {
                    case Message.Heartbeat h -> {}
                    case OpenFailed f -> outer.dispatcher().openFailed(this, f.session(), Frames.printable(f.reason()));
                    case InnerToOuter.RoutesApplied a -> applied(a.generation());
                    case InnerToOuter.TargetHealth t ->
                        outer.dispatcher()
                                .targetHealth(
                                        this,
                                        t.route(),
                                        t.up(),
                                        t.reason() == null ? null : Frames.printable(t.reason()));
                    case Message.Error e -> throw new Frames.PeerError(e.message());
                    case InnerToOuter.Hello h -> throw new ProtocolException("Hello on an open control channel");
                    case InnerToOuter.Name n -> throw new ProtocolException("Name on an open control channel");
                    case InnerToOuter.Opened o -> throw new ProtocolException("Opened on a control channel");
                    case InnerToOuter.Auth a -> throw new ProtocolException("Auth on an open control channel");
                    case InnerToOuter.PoolAuth a -> throw new ProtocolException("PoolAuth on an open control channel");
                    case InnerToOuter.DataAuth a -> throw new ProtocolException("DataAuth on an open control channel");
                }
            }
        } catch (ProtocolException e) {
            channel.fail(e.getMessage());
            reason = CloseReason.of(e, "inner", null);
        } catch (IOException e) {
            reason = closed.get()
                    ? "closed by outer"
                    : CloseReason.of(e, "inner", "no heartbeat for " + deadPeer.toSeconds() + "s");
        } catch (RuntimeException e) {
            LOG.error("bug: the control channel of {} failed", this, e);
            reason = "internal error: " + e;
        } finally {
            writer.interrupt();
        }
        close();
        return reason;
    }

    /**
     * Asks the inner to open a data connection for {@code p}, which the caller assigned to this link. Never waits: the
     * Open is queued for the writer, which an inner that stops reading stalls alone.
     */
    void open(PendingOpen p) {
        if (!outbox.offer(Outer.open(new OuterToInner.Open(p.id(), p.route().name()), p.route(), p.user()))) {
            LOG.error("bug: open id={} not sent: the queue to {} is full", p.id(), this);
        }
    }

    /** Tells the inner the route table changed (a reload); it says when it serves the new one. */
    void routesChanged(long generation, List<OuterToInner.RouteSpec> specs) {
        sent.put(generation, table(specs));
        if (!outbox.offer(new OuterToInner.Routes(generation, specs))) {
            LOG.error("bug: the new routes were not sent: the queue to {} is full", this);
        }
    }

    /**
     * Whether the inner serves {@code spec} as it is: then a pooled connection may carry its users. A route it has
     * not confirmed yet goes by the control channel, where the inner reads the Open after the Routes.
     */
    boolean serves(OuterToInner.RouteSpec spec) {
        return spec.equals(confirmed.get(spec.name()));
    }

    private void applied(long generation) {
        Map<String, OuterToInner.RouteSpec> table = sent.remove(generation);
        if (table != null) {
            confirmed = table;
            sent.headMap(generation).clear();
        }
    }

    private static Map<String, OuterToInner.RouteSpec> table(List<OuterToInner.RouteSpec> specs) {
        Map<String, OuterToInner.RouteSpec> t = new HashMap<>();
        specs.forEach(r -> t.put(r.name(), r));
        return Map.copyOf(t);
    }

    /** When this control channel was opened. */
    Instant since() {
        return since;
    }

    /** A new pool ticket for the Open on a pooled connection, or null where this link gives out none. */
    String issueTicket() {
        return tickets == null ? null : tickets.issue(System.nanoTime());
    }

    /** Forgets a ticket whose Open never reached the inner. */
    void discardTicket(String ticket) {
        if (ticket != null) {
            tickets.discard(ticket);
        }
    }

    /** Spends a ticket this link gave out: true once, within its time to live. */
    boolean redeemTicket(String ticket) {
        return tickets != null && tickets.redeem(ticket, System.nanoTime());
    }

    /** Whether {@link #offer} would keep one more idle connection now: the channel is open and the pool not full. */
    boolean hasRoom() {
        return !closed.get() && pooled.get() < InnerConfig.MAX_POOL;
    }

    /** Keeps an idle data connection for the next user; false (and the caller closes it) when the pool is full. */
    boolean offer(Channel data, String openProof) {
        if (closed.get()) {
            return false;
        }
        if (pooled.incrementAndGet() > InnerConfig.MAX_POOL) {
            pooled.decrementAndGet();
            return false;
        }
        pool.addLast(new Pooled(data, System.nanoTime(), openProof));
        if (closed.get()) {
            drainPool();
        }
        return true;
    }

    /** The oldest idle data connection, or null when none is left. The caller owns its channel. */
    Pooled takePooled() {
        Pooled p = pool.pollFirst();
        if (p != null) {
            pooled.decrementAndGet();
        }
        return p;
    }

    /**
     * Closes pooled connections idle longer than {@code maxIdle}: a middlebox may have dropped them silently, and the
     * inner replaces each one it sees closed. Returns how many it closed.
     */
    int retireIdle(Duration maxIdle, long nowNanos) {
        int retired = 0;
        for (Pooled p; (p = pool.peekFirst()) != null && nowNanos - p.sinceNanos() > maxIdle.toNanos(); ) {
            if (pool.remove(p)) {
                pooled.decrementAndGet();
                p.channel().close();
                retired++;
            }
        }
        return retired;
    }

    int pooled() {
        return pooled.get();
    }

    private void drainPool() {
        for (Pooled p; (p = takePooled()) != null; ) {
            p.channel().close();
        }
    }

    /** Keeps a connection that carries streams until it ends; false (and the caller closes it) once this link closed. */
    boolean addMux(Mux m) {
        muxes.addLast(m);
        if (closed.get()) {
            muxes.remove(m);
            return false;
        }
        while (muxes.size() > MAX_MUXES) {
            Mux oldest = muxes.pollFirst();
            if (oldest != null) {
                oldest.close("replaced by a newer stream connection");
            }
        }
        return true;
    }

    void muxEnded(Mux m) {
        muxes.remove(m);
    }

    /** Streams open now on this inner's connections. */
    int streams() {
        return muxes.stream().mapToInt(Mux::streams).sum();
    }

    void close() {
        if (closed.compareAndSet(false, true)) {
            channel.close();
        }
        drainPool();
        for (Mux m; (m = muxes.pollFirst()) != null; ) {
            m.close("control channel closed");
        }
    }

    @Override
    public String toString() {
        return "inner \"" + name + "\" at " + address;
    }
}

package dev.relay.inner;

import dev.relay.auth.Proof;
import dev.relay.net.Backoff;
import dev.relay.net.LogLimiter;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Chunks;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Message;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.OuterToInner.Open;
import dev.relay.session.Reuse;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idle, authenticated data connections kept open at the outer, so a new session starts with the outer's first write
 * instead of a TCP and an authentication round trip. Each idle connection waits for an Open on a thread of its own
 * and hands it to an {@link Opener}. A TCP session's connection comes back here when the session ends cleanly (its
 * bytes travel in chunks, protocol.md §7.2), so back-to-back sessions cost no new connection and no handshake.
 *
 * <p>How many: the first fill dials {@code inner.pool} connections, and so does a refill after the outer closed one
 * (it retires idle ones). A session that takes one dials a replacement only when fewer than half are left idle, and a
 * connection a session gives back is kept while fewer than {@link #MAX_KEPT_PER_SLOT} times {@code inner.pool} are
 * idle or coming back. Over TLS the Open brings a ticket, with which a replacement authenticates in one frame instead of a round
 * trip; without one (plain TCP, the first fill, a refill) a dial makes the full exchange. All stop with the control
 * channel.
 */
final class Pool {
    /** Idle connections kept, at most, per connection asked for in inner.pool: room for sessions that come back. */
    static final int MAX_KEPT_PER_SLOT = 2;

    private static final Logger LOG = LoggerFactory.getLogger(Pool.class);

    private final Inner inner;
    private final OuterLink link;
    /** Idle connections, each waiting for an Open on its own thread, and the proof that Open must carry ("": none). */
    private final Map<Channel, String> idle = new ConcurrentHashMap<>();
    /** Dials under way, each on its own thread. */
    private final AtomicInteger dialing = new AtomicInteger();
    /** Connections whose session this side said it keeps, until the session is over: idle again soon. */
    private final AtomicInteger returning = new AtomicInteger();
    /** Their threads, interrupted at close: one may be waiting out a backoff. */
    private final Set<Thread> dialers = ConcurrentHashMap.newKeySet();

    private final AtomicInteger names = new AtomicInteger();
    /** Idle connections wanted: inner.pool, which a reload may change. */
    private volatile int size;

    private volatile boolean closed;

    private final LogLimiter refusals = new LogLimiter(Duration.ofMinutes(1), "closed");

    Pool(Inner inner, OuterLink link) {
        this.inner = inner;
        this.link = link;
    }

    void start() {
        resize(inner.config().pool());
    }

    /** Wants {@code n} idle connections: dials the missing ones, and closes idle ones beyond what may be kept. */
    synchronized void resize(int n) {
        size = n;
        fill(n, null);
        idle.forEach((ch, proof) -> {
            if (idle.size() > n && idle.remove(ch, proof)) {
                ch.close();
            }
        });
    }

    /** Idle connections now: the outer's view of this pool, for /status. */
    int idleCount() {
        return idle.size();
    }

    /** Dials until {@code want} connections are idle or being dialled; the first dial uses {@code ticket}. */
    private void fill(int want, String ticket) {
        for (int d;
                !closed
                        && link.isOpen()
                        && idle.size() + returning.get() + (d = dialing.get()) < Math.min(want, size); ) {
            if (dialing.compareAndSet(d, d + 1)) {
                String t = ticket;
                ticket = null;
                Threads.start("pool-" + names.incrementAndGet(), () -> dial(t));
            }
        }
    }

    /** Fewer than half of the wanted connections idle (or dialling): time for a replacement. */
    private int lowWater() {
        return (size + 1) / 2;
    }

    private void dial(String ticket) {
        Channel ch = null;
        String openProof = "";
        dialers.add(Thread.currentThread());
        try {
            Backoff backoff = new Backoff(
                    inner.config().tuning().reconnectMin(),
                    inner.config().tuning().reconnectMax());
            while (ch == null && !closed && link.isOpen()) {
                try {
                    // Never a ticket in the clear: a tap could replay the PoolAuth if this dial never reached the
                    // outer.
                    if (ticket != null && inner.usesTls()) {
                        String t = ticket;
                        ticket = null; // used once, whatever happens to this dial
                        Inner.Ticketed d = link.connector()
                                .dialingOuter(() ->
                                        inner.dialWithTicket(link.connector().outer(), link.channelId(), t));
                        ch = d.channel();
                        openProof = d.openProof();
                    } else {
                        ch = link.connector()
                                .dialingOuter(
                                        () -> inner.dial(link.connector().outer(), Purpose.POOL, link.channelId()));
                    }
                    ch.socket().setSoTimeout(0);
                } catch (IOException e) {
                    if (ch != null) {
                        ch.close();
                        ch = null;
                    }
                    if (!link.isOpen()) {
                        return;
                    }
                    LOG.debug("pooled connection failed: {}", e.toString());
                    if (!pause(backoff)) {
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.error("bug: pooled connection failed", e);
        } finally {
            dialers.remove(Thread.currentThread());
            // Idle before no longer dialling, so that a fill meanwhile never counts this connection out and dials one
            // too many.
            if (ch != null) {
                idle.put(ch, openProof);
            }
            dialing.decrementAndGet();
        }
        if (ch != null) {
            waitForOpen(ch, openProof);
        }
    }

    /**
     * Blocks until the outer sends an Open on {@code ch}, already counted idle, or closes it. On a connection that
     * authenticated with a ticket, the outer is proven only by {@code openProof} in its Opens: an Open without it is
     * refused, and nothing is opened.
     */
    private void waitForOpen(Channel ch, String openProof) {
        if (closed || !link.isOpen()) {
            idle.remove(ch);
            ch.close();
            return;
        }
        OuterToInner m;
        try {
            m = ch.read(OuterToInner.class);
        } catch (IOException | RuntimeException e) {
            // Retired by the outer, or the outer is gone: dial again if the control channel lives.
            if (e instanceof RuntimeException) {
                LOG.error("bug: pooled connection failed", e);
            }
            idle.remove(ch);
            ch.close();
            fill(size, null);
            return;
        }
        idle.remove(ch);
        switch (m) {
            case Open o
            when !openProof.isEmpty() && !Proof.matches(openProof, o.proof()) -> {
                LOG.warn(
                        "pooled connection closed: the Open on it does not carry the outer's proof for this "
                                + "inner's token (session {} not opened)",
                        Frames.printable(o.session()));
                ch.reset();
            }
            case Open o -> {
                link.openPooled(o, ch, reuse(ch, openProof));
                // Only once the target is reached (or not): a burst to a target that hangs cannot drain the outer's
                // handshake slots with refills.
                fill(lowWater(), o.ticket());
                return;
            }
            case Message.Error e -> {
                // Not part of normal running (a full pool, a refused ticket), so said, but at most once a minute.
                String why = Frames.printable(e.message());
                refusals.event(more -> LOG.info("outer closed a pooled connection: {}{}", why, more));
                ch.close();
            }
            case Message.Heartbeat h -> unexpected(ch, h);
            case OuterToInner.Challenge c -> unexpected(ch, c);
            case OuterToInner.Welcome w -> unexpected(ch, w);
            case OuterToInner.Routes r -> unexpected(ch, r);
            case OuterToInner.Ready r -> unexpected(ch, r);
        }
        fill(size, null);
    }

    /**
     * Takes {@code ch} back after its session, if the pool still wants it, to wait for the next Open. From the moment
     * this side says it keeps the connection until its session is over, it counts as coming back: a refill meanwhile
     * must not dial one that the keep limit would then turn away.
     */
    private Reuse reuse(Channel ch, String openProof) {
        return new Reuse() {
            private boolean counted;

            @Override
            public boolean offer() {
                if (closed || !link.isOpen()) {
                    return false;
                }
                if (returning.incrementAndGet() + idle.size() > MAX_KEPT_PER_SLOT * size) {
                    returning.decrementAndGet();
                    return false;
                }
                counted = true;
                return true;
            }

            @Override
            public void ended(boolean reused) {
                boolean back = reused && idleAgain(ch, openProof);
                if (counted) {
                    returning.decrementAndGet();
                }
                if (back) {
                    Threads.start("pool-" + names.incrementAndGet(), () -> waitForOpen(ch, openProof));
                } else if (counted) {
                    // Counted as coming back when a refill looked, and it did not: the refill that did not happen.
                    fill(lowWater(), null);
                }
            }
        };
    }

    /**
     * Counts {@code ch} idle, then tells the outer ({@link Chunks#IDLE}): from then on it may send the next Open, and
     * this side has every byte of the last session delivered. False, with the connection closed, if that fails.
     */
    private boolean idleAgain(Channel ch, String openProof) {
        idle.put(ch, openProof);
        try {
            ch.socket().getOutputStream().write(Chunks.idle());
            return true;
        } catch (IOException e) {
            idle.remove(ch);
            ch.close();
            return false;
        }
    }

    private static void unexpected(Channel ch, OuterToInner m) {
        ch.fail("unexpected " + m.getClass().getSimpleName() + " on a pooled connection");
    }

    private static boolean pause(Backoff backoff) {
        try {
            Thread.sleep(backoff.next());
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    void close() {
        closed = true;
        dialers.forEach(Thread::interrupt);
        idle.keySet().forEach(Channel::close);
    }
}

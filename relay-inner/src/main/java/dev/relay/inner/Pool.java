package dev.relay.inner;

import dev.relay.auth.Proof;
import dev.relay.net.Backoff;
import dev.relay.net.LogLimiter;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Message;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.OuterToInner.Open;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idle, authenticated data connections kept open at the outer, so a new session starts with the outer's first write
 * instead of a TCP and an authentication round trip. Each of the {@code pool} slots runs on a {@code pool-<n>}
 * thread: dial, wait for an Open on that connection, hand it to an {@link Opener}, dial again. Over TLS the Open
 * brings a ticket, with which the next connection authenticates in one frame instead of a round trip; without one
 * (plain TCP, the first fill, or after the outer closed a connection: it retires idle ones) the slot makes the full
 * exchange. All slots stop with the control channel.
 */
final class Pool {
    private static final Logger LOG = LoggerFactory.getLogger(Pool.class);

    private final Inner inner;
    private final OuterLink link;
    /** Each slot's idle connection, by slot number, while it waits for an Open. */
    private final Map<Integer, Channel> idle = new ConcurrentHashMap<>();
    /** Each slot's thread, by slot number; a slot whose number reaches the size ends. */
    private final Map<Integer, Thread> running = new ConcurrentHashMap<>();
    /** Slots wanted: inner.pool, which a reload may change. */
    private volatile int size;

    private final LogLimiter refusals = new LogLimiter(Duration.ofMinutes(1), "closed");

    Pool(Inner inner, OuterLink link) {
        this.inner = inner;
        this.link = link;
    }

    void start() {
        resize(inner.config().pool());
    }

    /**
     * Keeps {@code n} slots: starts the missing ones, and ends those numbered {@code n} or more (an idle connection is
     * closed; one carrying a session is not dialled again).
     */
    synchronized void resize(int n) {
        size = n;
        for (int i = 0; i < n; i++) {
            int slot = i;
            running.computeIfAbsent(slot, k -> Threads.start("pool-" + slot, () -> slot(slot)));
        }
        idle.forEach((slot, ch) -> {
            if (slot >= n && idle.remove(slot, ch)) {
                ch.close();
            }
        });
    }

    /** Idle connections now: the outer's view of this pool, for /status. */
    int idleCount() {
        return idle.size();
    }

    private void slot(int slot) {
        try {
            fill(slot);
        } catch (RuntimeException e) {
            // A bug costs this slot's current connection; the slot itself carries on in a fresh thread.
            LOG.error("bug: pool slot failed", e);
            running.remove(slot, Thread.currentThread());
            if (link.isOpen()) {
                resize(size);
            }
            return;
        }
        running.remove(slot, Thread.currentThread());
    }

    private void fill(int slot) {
        Backoff backoff = new Backoff(
                inner.config().tuning().reconnectMin(), inner.config().tuning().reconnectMax());
        String ticket = null;
        while (link.isOpen() && slot < size) {
            Channel ch;
            String openProof = null;
            try {
                // Never a ticket in the clear: a tap could replay the PoolAuth if this dial never reached the outer.
                if (ticket != null && inner.usesTls()) {
                    String t = ticket;
                    ticket = null; // used once, whatever happens to this dial
                    Inner.Ticketed d = link.connector()
                            .dialingOuter(
                                    () -> inner.dialWithTicket(link.connector().outer(), link.channelId(), t));
                    ch = d.channel();
                    openProof = d.openProof();
                } else {
                    ch = link.connector()
                            .dialingOuter(() -> inner.dial(link.connector().outer(), Purpose.POOL, link.channelId()));
                }
            } catch (IOException e) {
                if (!link.isOpen()) {
                    return;
                }
                LOG.debug("pooled connection failed: {}", e.toString());
                if (!pause(backoff)) {
                    return;
                }
                continue;
            }
            backoff.reset();
            try {
                ch.socket().setSoTimeout(0);
            } catch (IOException e) {
                ch.close();
                continue;
            }
            idle.put(slot, ch);
            if (!link.isOpen() || slot >= size) {
                idle.remove(slot, ch);
                ch.close();
                return;
            }
            ticket = waitForOpen(slot, ch, openProof);
        }
    }

    /**
     * Blocks until the outer sends an Open on {@code ch} or closes it; either way the slot then dials again, with the
     * ticket this returns (the Open's) or with none. On a connection that authenticated with a ticket, the outer is
     * proven only by {@code openProof} in its Open: an Open without it is refused, and nothing is opened.
     */
    private String waitForOpen(int slot, Channel ch, String openProof) {
        OuterToInner m;
        try {
            m = ch.read(OuterToInner.class);
        } catch (IOException e) {
            // Retired by the outer, or the outer is gone: the caller dials again if the control channel lives.
            idle.remove(slot, ch);
            ch.close();
            return null;
        }
        idle.remove(slot, ch);
        switch (m) {
            case Open o
            when openProof != null && !Proof.matches(openProof, o.proof()) -> {
                LOG.warn(
                        "pooled connection closed: the Open on it does not carry the outer's proof for this "
                                + "inner's token (session {} not opened)",
                        Frames.printable(o.session()));
                ch.reset();
            }
            case Open o -> {
                link.openPooled(o, ch);
                return o.ticket();
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
        return null;
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
        running.values().forEach(Thread::interrupt);
        idle.values().forEach(Channel::close);
    }
}

package dev.relay.inner;

import dev.relay.auth.AuthException;
import dev.relay.config.HostPort;
import dev.relay.net.Backoff;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.CloseReason;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.OuterToInner.Welcome;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One outer this inner stays connected to: the reconnect loop, with its own backoff, on the
 * {@code inner-connector-<host:port>} thread, which also reads the control channel while it is open; the current
 * {@link OuterLink}; and what this outer may hold of the inner's resources. Losing this outer ends only the sessions
 * that run over it; the inner's other outers are not touched.
 */
final class Connector {
    private static final Logger LOG = LoggerFactory.getLogger(Connector.class);

    private final Inner inner;
    private final HostPort outer;
    private final Thread thread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicReference<OuterLink> link = new AtomicReference<>();
    private final AtomicReference<String> lastFailure = new AtomicReference<>();
    private final LongAdder reconnects = new LongAdder();
    private volatile Instant connectedSince;
    private volatile Instant failedAt;
    /** Per outer, so that an outer that sends Opens for targets that never answer holds up only its own. */
    private final Semaphore targetDials = new Semaphore(Inner.MAX_CONCURRENT_DIALS);

    private final Semaphore outerDials = new Semaphore(Inner.MAX_CONCURRENT_DIALS);
    private final SessionSlots.Share slots;

    Connector(Inner inner, HostPort outer, SessionSlots.Share slots) {
        this.inner = inner;
        this.outer = outer;
        this.slots = slots;
        this.thread = Threads.unstarted("inner-connector-" + outer, this::connectForever);
    }

    void start() {
        thread.start();
    }

    HostPort outer() {
        return outer;
    }

    /** The open control channel, or null. */
    OuterLink link() {
        return link.get();
    }

    String lastFailure() {
        return lastFailure.get();
    }

    Instant failedAt() {
        return failedAt;
    }

    Instant connectedSince() {
        return connectedSince;
    }

    long reconnects() {
        return reconnects.sum();
    }

    SessionSlots.Share slots() {
        return slots;
    }

    private void connectForever() {
        Backoff backoff = new Backoff(
                inner.config().tuning().reconnectMin(), inner.config().tuning().reconnectMax());
        while (!closed.get()) {
            String failure;
            boolean refused = false;
            Channel ch = null;
            try {
                ch = dialingOuter(() -> inner.dial(outer, Purpose.CONTROL, null));
                Welcome welcome = ch.expect(OuterToInner.class, Welcome.class);
                Duration beat = Duration.ofMillis(welcome.heartbeatMillis());
                OuterLink l =
                        new OuterLink(inner, this, ch, welcome.routes(), beat, inner.deadPeer(beat), welcome.channel());
                backoff.reset();
                connectedSince = Instant.now();
                LOG.info("connected to outer at {}; serving {}", outer, l.describeRoutes());
                setLink(l);
                if (closed.get()) {
                    l.close(); // close() ran before the link was set, so it did not see it
                }
                failure = "lost the outer: " + l.run();
            } catch (AuthException e) {
                failure = "authentication failed: " + e.getMessage();
                refused = true;
            } catch (Frames.PeerError e) {
                failure = "refused by the outer: " + e.getMessage();
                refused = true;
            } catch (IOException e) {
                failure = CloseReason.of(
                        e,
                        "outer",
                        "no answer within "
                                + inner.config().tuning().handshake().toMillis() + "ms");
            } catch (VirtualMachineError e) {
                throw e; // out of memory: the process ends (Threads), so that its supervisor starts a fresh one
            } catch (RuntimeException | Error e) {
                // A bug must cost one connection, never the loop that keeps this inner reachable.
                LOG.error("bug: the control channel failed unexpectedly", e);
                failure = "internal error: " + e;
            } finally {
                setLink(null);
                if (ch != null) {
                    ch.close();
                }
            }
            lastFailure.set(failure);
            failedAt = Instant.now();
            inner.failed(failure);
            if (closed.get()) {
                break;
            }
            reconnects.increment();
            Duration wait = backoff.next();
            if (refused) {
                LOG.error("outer at {}: {}; next attempt in {}ms", outer, failure, wait.toMillis());
            } else {
                LOG.warn("outer at {}: {}; next attempt in {}ms", outer, failure, wait.toMillis());
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    private void setLink(OuterLink l) {
        link.set(l);
        inner.linkChanged();
    }

    /** Takes a session slot for an Open from this outer, without waiting (see {@link SessionSlots}). */
    boolean takeSlot() {
        return slots.take();
    }

    /** Gives back a slot taken by {@link #takeSlot}, when its open failed or its session ended. */
    void releaseSlot() {
        slots.release();
    }

    /** Runs {@code dial} holding one of this outer's {@link Inner#MAX_CONCURRENT_DIALS} slots for targets. */
    <T> T dialingTarget(Inner.Dial<T> dial) throws IOException {
        return holding(targetDials, dial);
    }

    /** Runs {@code dial} holding one of this outer's {@link Inner#MAX_CONCURRENT_DIALS} slots for connections to it. */
    <T> T dialingOuter(Inner.Dial<T> dial) throws IOException {
        return holding(outerDials, dial);
    }

    private static <T> T holding(Semaphore slots, Inner.Dial<T> dial) throws IOException {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to dial", e);
        }
        try {
            return dial.run();
        } finally {
            slots.release();
        }
    }

    /** Stops reconnecting to this outer and closes its control channel; its sessions are the caller's to end. */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        OuterLink l = link.get();
        if (l != null) {
            l.close();
        }
        thread.interrupt();
    }

    void join(Duration grace) throws InterruptedException {
        thread.join(grace);
    }

    boolean isClosed() {
        return closed.get();
    }
}

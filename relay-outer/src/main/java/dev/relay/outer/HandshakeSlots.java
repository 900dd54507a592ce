package dev.relay.outer;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps connections to the control port that have not yet authenticated: overall, and per source address, so a flood
 * of silent or trickling connections from one place holds a few threads and descriptors for a few seconds each and
 * cannot crowd out the real inner dialling from elsewhere. The address of the connected inner is held only to the
 * overall cap, since a burst of users makes it dial many data connections at once.
 */
final class HandshakeSlots {
    private final int total;
    private final int perSource;
    private final AtomicInteger inUse = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> bySource = new ConcurrentHashMap<>();

    HandshakeSlots(int total, int perSource) {
        this.total = total;
        this.perSource = perSource;
    }

    /** Takes a slot for {@code source}, or returns why not; {@code innerAddress} is the connected inner's, if any. */
    String tryAcquire(InetAddress source, InetAddress innerAddress) {
        AtomicInteger mine = bySource.compute(source, (k, v) -> {
            AtomicInteger n = v == null ? new AtomicInteger() : v;
            n.incrementAndGet();
            return n;
        });
        if (mine.get() > perSource && !source.equals(innerAddress)) {
            release(source, false);
            return perSource + " handshakes from this address already in progress";
        }
        if (inUse.incrementAndGet() > total) {
            inUse.decrementAndGet();
            release(source, false);
            return total + " handshakes already in progress";
        }
        return null;
    }

    /** Gives back a slot taken by {@link #tryAcquire}. */
    void release(InetAddress source) {
        release(source, true);
    }

    private void release(InetAddress source, boolean total) {
        if (total) {
            inUse.decrementAndGet();
        }
        bySource.computeIfPresent(source, (k, v) -> v.decrementAndGet() == 0 ? null : v);
    }

    int inUse() {
        return inUse.get();
    }
}

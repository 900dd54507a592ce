package dev.relay.outer;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps connections to the control port that have not yet authenticated: overall, and per source address, so a flood
 * of silent or trickling connections from one place holds a few threads and descriptors for a few seconds each and
 * cannot crowd out the real inner dialling from elsewhere. The address of the connected inner is held only to the
 * overall cap, since a burst of users makes it dial many data connections at once. An IPv6 source is its /64.
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
        if (source.equals(innerAddress)) {
            return takeTotal(source);
        }
        AtomicInteger mine = bySource.compute(source(source), (k, v) -> {
            AtomicInteger n = v == null ? new AtomicInteger() : v;
            n.incrementAndGet();
            return n;
        });
        if (mine.get() > perSource) {
            releaseSource(source);
            return perSource + " handshakes from this address already in progress";
        }
        String refused = takeTotal(source);
        if (refused != null) {
            releaseSource(source);
        }
        return refused;
    }

    private String takeTotal(InetAddress source) {
        if (inUse.incrementAndGet() > total) {
            inUse.decrementAndGet();
            return total + " handshakes already in progress";
        }
        return null;
    }

    /** Gives back a slot taken by {@link #tryAcquire} with the same arguments. */
    void release(InetAddress source, InetAddress innerAddress) {
        inUse.decrementAndGet();
        if (!source.equals(innerAddress)) {
            releaseSource(source);
        }
    }

    private void releaseSource(InetAddress source) {
        bySource.computeIfPresent(source(source), (k, v) -> v.decrementAndGet() == 0 ? null : v);
    }

    /**
     * What counts as one source: an IPv4 address, or an IPv6 /64, since one host usually holds a whole /64 and could
     * otherwise use a fresh address for every connection.
     */
    static InetAddress source(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            Arrays.fill(b, 8, 16, (byte) 0);
            try {
                return InetAddress.getByAddress(b);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return a;
    }
}

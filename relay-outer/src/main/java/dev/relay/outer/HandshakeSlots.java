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
 * cannot crowd out the real inner dialling from elsewhere. The connected inner's address has a budget of its own, as
 * large as the overall cap and apart from it: a burst of users makes it dial many data connections at once, and
 * strangers filling the overall cap from many addresses must not starve it. An IPv6 source is its /64.
 */
final class HandshakeSlots {
    private final int total;
    private final int perSource;
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger innerInUse = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> bySource = new ConcurrentHashMap<>();

    HandshakeSlots(int total, int perSource) {
        this.total = total;
        this.perSource = perSource;
    }

    /** Takes a slot for {@code source}, or returns why not; {@code innerAddress} is the connected inner's, if any. */
    String tryAcquire(InetAddress source, InetAddress innerAddress) {
        if (source.equals(innerAddress)) {
            return take(innerInUse, "handshakes from the connected inner's address");
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
        String refused = take(inUse, "handshakes");
        if (refused != null) {
            releaseSource(source);
        }
        return refused;
    }

    private String take(AtomicInteger counter, String what) {
        if (counter.incrementAndGet() > total) {
            counter.decrementAndGet();
            return total + " " + what + " already in progress";
        }
        return null;
    }

    /** Gives back a slot taken by {@link #tryAcquire} with the same arguments. */
    void release(InetAddress source, InetAddress innerAddress) {
        if (source.equals(innerAddress)) {
            innerInUse.decrementAndGet();
        } else {
            inUse.decrementAndGet();
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

package dev.relay.admin;

import dev.relay.session.Traffic;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** A UDP route's own counters, besides its bytes (in {@link RouteStats#traffic()}): flows, datagrams and drops. */
public final class UdpStats {
    /** Why a datagram was dropped: the {@code reason} label. */
    public enum Drop {
        /** Its source is not in the route's allow list. */
        REFUSED,
        /** It would have started a flow over the route's (or the global) session limit. */
        OVER_LIMIT,
        /** Its flow's queue was full: the data connection was slower than the user. */
        QUEUE_FULL,
        /** Its flow could not be opened, or ended before the datagram could go. */
        NO_FLOW,
        /** Larger than {@link dev.relay.protocol.Datagrams#MAX_DATAGRAM}, possible only over IPv6. */
        TOO_BIG,
        /** The target's host said its port is closed (ICMP port unreachable), or a send failed. */
        UNREACHABLE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final AtomicInteger flows = new AtomicInteger();
    private final Traffic datagrams = new Traffic();
    private final Map<Drop, LongAdder> drops = new EnumMap<>(Drop.class);

    public UdpStats() {
        for (Drop d : Drop.values()) {
            drops.put(d, new LongAdder());
        }
    }

    public void flowOpened() {
        flows.incrementAndGet();
    }

    public void flowClosed() {
        flows.decrementAndGet();
    }

    /** Datagrams relayed, up (user to target) and down. */
    public Traffic datagrams() {
        return datagrams;
    }

    public void dropped(Drop why) {
        drops.get(why).increment();
    }

    public int flows() {
        return flows.get();
    }

    public long drops(Drop why) {
        return drops.get(why).sum();
    }
}

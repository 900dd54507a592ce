package dev.relay.outer;

import java.net.InetAddress;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The inners connected now, one control channel per name. A name is taken by the first inner that connects with it
 * and held while that control channel lives; a second inner of the same name is refused. Where the outer has one token
 * for all (no {@code outer.inners}), one inner of any name holds the outer, as before inners had their own tokens:
 * whoever else holds that token cannot take a share of the users. Any thread may read it; the control port's threads
 * add and remove.
 */
final class Inners {
    private final Map<String, InnerLink> byName = new ConcurrentHashMap<>();
    /** Adding is rare and checks the whole map when {@code alone}: one at a time keeps that check and the put whole. */
    private final ReentrantLock adding = new ReentrantLock();

    /**
     * Publishes {@code fresh} under its name; returns the open link that stands in its way, or null. {@code alone}:
     * any open link stands in its way, whatever its name.
     */
    InnerLink add(InnerLink fresh, boolean alone) {
        adding.lock();
        try {
            InnerLink current = alone ? any() : named(fresh.name());
            if (current != null) {
                return current;
            }
            byName.put(fresh.name(), fresh);
            return null;
        } finally {
            adding.unlock();
        }
    }

    /** Some open control channel, or null. */
    InnerLink any() {
        for (InnerLink l : byName.values()) {
            if (l.isOpen()) {
                return l;
            }
        }
        return null;
    }

    /** Forgets {@code l} if it still holds its name; true when it did. */
    boolean remove(InnerLink l) {
        return byName.remove(l.name(), l);
    }

    /** The open control channel of the inner named {@code name}, or null. */
    InnerLink named(String name) {
        InnerLink l = byName.get(name);
        return l != null && l.isOpen() ? l : null;
    }

    /** The open control channel whose id a pooled connection presented, or null. */
    InnerLink owning(String channel) {
        for (InnerLink l : byName.values()) {
            if (l.isOpen() && l.owns(channel)) {
                return l;
            }
        }
        return null;
    }

    /** Every link, open or closing; the balancer passes over closed ones. */
    Collection<InnerLink> all() {
        return byName.values();
    }

    boolean anyOpen() {
        return any() != null;
    }

    /** Whether a connected inner connects from {@code address}: its data connections are not strangers'. */
    boolean connectsFrom(InetAddress address) {
        for (InnerLink l : byName.values()) {
            if (l.isOpen() && l.address().equals(address)) {
                return true;
            }
        }
        return false;
    }

    /** Pooled connections of every inner. */
    int pooled() {
        int n = 0;
        for (InnerLink l : byName.values()) {
            n += l.pooled();
        }
        return n;
    }
}

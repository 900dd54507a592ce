package dev.relay.outer;

import java.net.InetAddress;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The inners connected now, one control channel per name. A name is taken by the first inner that connects with it
 * and held while that control channel lives; a second inner of the same name is refused, as when there was one inner.
 * Any thread may read it; the control port's threads add and remove.
 */
final class Inners {
    private final Map<String, InnerLink> byName = new ConcurrentHashMap<>();

    /** Publishes {@code fresh} under its name; returns the open link that holds the name already, or null. */
    InnerLink add(InnerLink fresh) {
        InnerLink[] holder = new InnerLink[1];
        byName.compute(fresh.name(), (name, current) -> {
            if (current != null && current.isOpen()) {
                holder[0] = current;
                return current;
            }
            return fresh;
        });
        return holder[0];
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

    boolean any() {
        for (InnerLink l : byName.values()) {
            if (l.isOpen()) {
                return true;
            }
        }
        return false;
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

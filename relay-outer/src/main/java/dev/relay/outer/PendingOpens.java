package dev.relay.outer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Users waiting for a data connection, by session id. */
final class PendingOpens {
    private final ConcurrentHashMap<String, PendingOpen> byId = new ConcurrentHashMap<>();

    void add(PendingOpen p) {
        byId.put(p.id(), p);
    }

    /** The entry, left in place, or null. */
    PendingOpen get(String id) {
        return byId.get(id);
    }

    /** Removes and returns the entry, or null when someone else already took it. */
    PendingOpen take(String id) {
        return byId.remove(id);
    }

    /** Removes and returns every entry whose deadline has passed. */
    List<PendingOpen> takeExpired(long nowNanos) {
        List<PendingOpen> expired = new ArrayList<>();
        for (PendingOpen p : byId.values()) {
            if (nowNanos - p.deadlineNanos() >= 0 && byId.remove(p.id(), p)) {
                expired.add(p);
            }
        }
        return expired;
    }

    /** Removes and returns everything, at shutdown. */
    List<PendingOpen> takeAll() {
        List<PendingOpen> all = new ArrayList<>();
        for (PendingOpen p : byId.values()) {
            if (byId.remove(p.id(), p)) {
                all.add(p);
            }
        }
        return all;
    }

    Collection<PendingOpen> snapshot() {
        return List.copyOf(byId.values());
    }

    int size() {
        return byId.size();
    }
}

package dev.relay.outer;

import dev.relay.config.Route;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts sessions (and users waiting for one), globally and per route, against the configured limits. */
final class Admission {
    private final int globalLimit;
    private final AtomicInteger global = new AtomicInteger();
    private final Map<String, AtomicInteger> perRoute = new ConcurrentHashMap<>();

    Admission(int globalLimit) {
        this.globalLimit = globalLimit;
    }

    /** Takes a slot, or returns why not. */
    String tryAcquire(Route route) {
        AtomicInteger r = perRoute.computeIfAbsent(route.name(), k -> new AtomicInteger());
        if (r.incrementAndGet() > route.maxSessions()) {
            r.decrementAndGet();
            return "route limit of " + route.maxSessions() + " sessions reached";
        }
        if (global.incrementAndGet() > globalLimit) {
            global.decrementAndGet();
            r.decrementAndGet();
            return "global limit of " + globalLimit + " sessions reached";
        }
        return null;
    }

    void release(Route route) {
        perRoute.get(route.name()).decrementAndGet();
        global.decrementAndGet();
    }
}

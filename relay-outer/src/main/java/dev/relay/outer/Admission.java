package dev.relay.outer;

import dev.relay.config.Route;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts sessions (and users waiting for one) against the configured limits: globally, per route, and per user
 * address on a route that sets {@code maxSessionsPerSource}. An IPv6 address counts as its /64.
 */
final class Admission {
    /** The global limit; a reload may change it, for sessions from then on. */
    private volatile int globalLimit;

    private final AtomicInteger global = new AtomicInteger();
    private final Map<String, AtomicInteger> perRoute = new ConcurrentHashMap<>();
    private final Map<String, ConcurrentHashMap<InetAddress, AtomicInteger>> perSource = new ConcurrentHashMap<>();

    Admission(int globalLimit) {
        this.globalLimit = globalLimit;
    }

    void globalLimit(int limit) {
        globalLimit = limit;
    }

    /** Takes a slot for a user of {@code route} from {@code user}, or returns why not. */
    String tryAcquire(Route route, InetAddress user) {
        if (limitsSources(route) && !takeSource(route, user)) {
            return "limit of " + route.maxSessionsPerSource() + " sessions from one address reached";
        }
        // From here on, every refusal gives the address's slot back.
        AtomicInteger r = perRoute.computeIfAbsent(route.name(), k -> new AtomicInteger());
        if (r.incrementAndGet() > route.maxSessions()) {
            r.decrementAndGet();
            releaseSource(route, user);
            return "route limit of " + route.maxSessions() + " sessions reached";
        }
        if (global.incrementAndGet() > globalLimit) {
            global.decrementAndGet();
            r.decrementAndGet();
            releaseSource(route, user);
            return "global limit of " + globalLimit + " sessions reached";
        }
        return null;
    }

    /** Gives back a slot taken by {@link #tryAcquire} with the same arguments. */
    void release(Route route, InetAddress user) {
        perRoute.get(route.name()).decrementAndGet();
        global.decrementAndGet();
        releaseSource(route, user);
    }

    private static boolean limitsSources(Route route) {
        return route.maxSessionsPerSource() < route.maxSessions();
    }

    private boolean takeSource(Route route, InetAddress user) {
        boolean[] taken = {false};
        perSource
                .computeIfAbsent(route.name(), k -> new ConcurrentHashMap<>())
                .compute(HandshakeSlots.source(user), (k, v) -> {
                    AtomicInteger c = v == null ? new AtomicInteger() : v;
                    taken[0] = c.get() < route.maxSessionsPerSource();
                    if (taken[0]) {
                        c.incrementAndGet();
                    }
                    return c.get() == 0 ? null : c;
                });
        return taken[0];
    }

    private void releaseSource(Route route, InetAddress user) {
        if (limitsSources(route)) {
            perSource
                    .get(route.name())
                    .computeIfPresent(HandshakeSlots.source(user), (k, v) -> v.decrementAndGet() == 0 ? null : v);
        }
    }
}

package dev.relay.outer;

import dev.relay.config.Route;
import dev.relay.config.Tuning;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Picks the inner for each new session of a route, and keeps what that choice reads: the sessions each inner carries
 * on each route, and each inner's run of target failures there (passive health). A choice reads a few counters of the
 * connected inners and takes no lock, so any thread may call it; nothing here runs per byte.
 */
final class Balancer {
    /**
     * Target failures in a row after which an inner is passed over on that route for {@link #skipFor}, unless no other
     * inner is left ({@code tuning.healthFailures} and {@code healthSkipSeconds}); a reload sets them again.
     */
    private volatile int failuresToSkip;

    private volatile Duration skipFor;
    private final Map<String, RouteLoad> routes = new ConcurrentHashMap<>();

    Balancer() {
        this(Tuning.DEFAULT_HEALTH_FAILURES, Tuning.DEFAULT_HEALTH_SKIP);
    }

    Balancer(int failuresToSkip, Duration skipFor) {
        health(failuresToSkip, skipFor);
    }

    /** The passive-health settings for failures from now on. */
    void health(int failuresToSkip, Duration skipFor) {
        this.failuresToSkip = failuresToSkip;
        this.skipFor = skipFor;
    }

    /** For the log line that says an inner is set aside. */
    String describeHealth() {
        return "its target failed " + failuresToSkip + " times in a row; skipped for " + skipFor.toMillis() + "ms";
    }

    /** What the choice needs to know of an inner: {@link InnerLink}, or a stand-in in a test. */
    interface Candidate {
        String name();

        boolean isOpen();
    }

    /** One inner on one route: what it carries now, and how its target has fared lately. */
    static final class Load {
        final AtomicInteger active = new AtomicInteger();
        final LongAdder sessions = new LongAdder();
        final LongAdder skips = new LongAdder();
        final LongAdder retries = new LongAdder();
        final AtomicInteger failuresInRow = new AtomicInteger();
        /** Until when (System.nanoTime) this inner is skipped on this route; 0 when it is not. */
        volatile long skipUntil;
        /** From active health checks: false while the inner reports this route's target unreachable. */
        volatile boolean targetUp = true;

        boolean targetUp() {
            return targetUp;
        }

        int active() {
            return active.get();
        }

        long sessions() {
            return sessions.sum();
        }

        long skips() {
            return skips.sum();
        }

        long retries() {
            return retries.sum();
        }
    }

    private static final class RouteLoad {
        final Map<String, Load> byInner = new ConcurrentHashMap<>();
        final AtomicLong turn = new AtomicLong();

        Load of(String inner) {
            return byInner.computeIfAbsent(inner, k -> new Load());
        }
    }

    /**
     * The inner for a new session of {@code route} among {@code links}, or null when none may serve it. Skips inners the
     * route does not name, {@code except}, and those whose target keeps failing (unless they are all that is left).
     */
    <C extends Candidate> C choose(Route route, Collection<C> links, C except) {
        RouteLoad rl = routes.computeIfAbsent(route.name(), k -> new RouteLoad());
        long now = System.nanoTime();
        List<C> healthy = new ArrayList<>(links.size());
        List<C> unhealthy = new ArrayList<>(0);
        for (C l : links) {
            if (l == except || !l.isOpen() || !route.servedBy(l.name())) {
                continue;
            }
            Load load = rl.of(l.name());
            boolean skipped = !load.targetUp || (load.skipUntil != 0 && now - load.skipUntil < 0);
            (skipped ? unhealthy : healthy).add(l);
        }
        List<C> pool = healthy.isEmpty() ? unhealthy : healthy;
        if (pool.isEmpty()) {
            return null;
        }
        if (pool.size() == 1) {
            return pool.get(0);
        }
        return route.balance() == Route.Balance.ROUND_ROBIN ? roundRobin(route, rl, pool) : fewest(route, rl, pool);
    }

    /** Whether an inner other than {@code except} may serve {@code route} now; unlike a choice, it moves no turn. */
    <C extends Candidate> boolean anyOther(Route route, Collection<C> links, C except) {
        for (C l : links) {
            if (l != except && l.isOpen() && route.servedBy(l.name())) {
                return true;
            }
        }
        return false;
    }

    /** Fewest active sessions per unit of weight; ties at random, so equal inners share a burst. */
    private static <C extends Candidate> C fewest(Route route, RouteLoad rl, List<C> pool) {
        C best = null;
        long bestActive = 0;
        long bestWeight = 1;
        int ties = 0;
        for (C l : pool) {
            long a = rl.of(l.name()).active();
            long w = route.weight(l.name());
            // a/w < bestActive/bestWeight without division.
            long cmp = best == null ? -1 : Long.compare(a * bestWeight, bestActive * w);
            if (cmp < 0) {
                best = l;
                bestActive = a;
                bestWeight = w;
                ties = 1;
            } else if (cmp == 0 && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                best = l;
                bestActive = a;
                bestWeight = w;
            }
        }
        return best;
    }

    /** Weighted round robin: each inner in turn, as many turns in a row as its weight, in name order. */
    private static <C extends Candidate> C roundRobin(Route route, RouteLoad rl, List<C> pool) {
        pool.sort(Comparator.comparing(Candidate::name));
        long total = 0;
        for (C l : pool) {
            total += route.weight(l.name());
        }
        long n = Math.floorMod(rl.turn.getAndIncrement(), total);
        for (C l : pool) {
            n -= route.weight(l.name());
            if (n < 0) {
                return l;
            }
        }
        return pool.get(pool.size() - 1);
    }

    /** What {@code inner} carries on {@code route}, created on first use and kept across reconnects. */
    Load load(String route, String inner) {
        return routes.computeIfAbsent(route, k -> new RouteLoad()).of(inner);
    }

    /** A session of {@code route} is now {@code inner}'s (asked of it, or started on its pooled connection). */
    void assigned(String route, String inner) {
        load(route, inner).active.incrementAndGet();
    }

    /** A session {@link #assigned} to {@code inner} ended, failed, or went to another inner. */
    void released(String route, String inner) {
        load(route, inner).active.decrementAndGet();
    }

    /** A session of {@code route} started on {@code inner}. */
    void started(String route, String inner) {
        load(route, inner).sessions.increment();
    }

    /** {@code inner} reached the target of {@code route}: its run of failures there is over. */
    void succeeded(String route, String inner) {
        Load l = load(route, inner);
        if (l.failuresInRow.get() != 0) {
            l.failuresInRow.set(0);
            l.skipUntil = 0;
        }
    }

    /**
     * {@code inner} could not reach the target of {@code route}; returns true when this failure starts a skip, so the
     * caller logs it once.
     */
    boolean failed(String route, String inner) {
        Load l = load(route, inner);
        if (l.failuresInRow.incrementAndGet() % failuresToSkip == 0) {
            l.skipUntil = System.nanoTime() + skipFor.toNanos();
            l.skips.increment();
            return true;
        }
        return false;
    }

    /** The inner named {@code inner} connected (again): its targets count as up until its checks say otherwise. */
    void connected(String inner) {
        for (RouteLoad rl : routes.values()) {
            Load l = rl.byInner.get(inner);
            if (l != null) {
                l.targetUp = true;
            }
        }
    }

    /** Every inner's load on every route, for the admin endpoint: route, then inner. */
    Map<String, Map<String, Load>> snapshot() {
        Map<String, Map<String, Load>> out = new TreeMap<>();
        routes.forEach((r, rl) -> out.put(r, new TreeMap<>(rl.byInner)));
        return out;
    }
}

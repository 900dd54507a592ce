package dev.relay.net;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with full jitter, so many inners restarting together do not reconnect in lockstep. */
public final class Backoff {
    private final long minNanos;
    private final long maxNanos;
    private long ceiling;

    public Backoff(Duration min, Duration max) {
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.ceiling = minNanos;
    }

    /** The next delay: random between min and the current ceiling, which then doubles up to max. */
    public Duration next() {
        long d = minNanos + ThreadLocalRandom.current().nextLong(Math.max(1, ceiling - minNanos + 1));
        ceiling = Math.min(maxNanos, ceiling * 2);
        return Duration.ofNanos(d);
    }

    /** Back to the shortest delay, after a connection that worked. */
    public void reset() {
        ceiling = minNanos;
    }
}

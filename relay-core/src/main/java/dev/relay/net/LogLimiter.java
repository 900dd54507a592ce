package dev.relay.net;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * At most one log line per interval for one kind of event, so a port scan or a flood cannot flood the log; the line
 * that does get through says how many were left out since the last one.
 */
public final class LogLimiter {
    private final long intervalNanos;
    private final AtomicLong nextNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressed = new AtomicLong();

    public LogLimiter(Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /** Calls {@code log} with the number of events left out before this one, or counts this one as left out. */
    public void event(LongConsumer log) {
        long now = System.nanoTime();
        long next = nextNanos.get();
        if (now - next >= 0 && nextNanos.compareAndSet(next, now + intervalNanos)) {
            log.accept(suppressed.getAndSet(0));
        } else {
            suppressed.incrementAndGet();
        }
    }
}

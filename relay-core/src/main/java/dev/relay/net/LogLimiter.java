package dev.relay.net;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * At most one log line per interval for one kind of event, so a port scan or a flood cannot flood the log; the line
 * that does get through says how many were left out since the last one.
 */
public final class LogLimiter {
    private final long intervalNanos;
    private final String verb;
    private final AtomicLong nextNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressed = new AtomicLong();

    /** @param verb what happened to the events, for the suffix: "refused" gives " (3 more refused since the last line)" */
    public LogLimiter(Duration interval, String verb) {
        this.intervalNanos = interval.toNanos();
        this.verb = verb;
    }

    /**
     * Calls {@code log} with the suffix for the line, empty or naming how many events were left out before this one;
     * or counts this one as left out.
     */
    public void event(Consumer<String> log) {
        long now = System.nanoTime();
        long next = nextNanos.get();
        if (now - next >= 0 && nextNanos.compareAndSet(next, now + intervalNanos)) {
            log.accept(suffix(suppressed.getAndSet(0)));
        } else {
            suppressed.incrementAndGet();
        }
    }

    private String suffix(long left) {
        return left == 0 ? "" : " (" + left + " more " + verb + " since the last line)";
    }
}

package dev.relay.admin;

import dev.relay.session.Session;
import dev.relay.session.Traffic;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One route's counters, on the outer or the inner: written on the data path with adders, read at scrape time. A
 * route's stats outlive a reload that changes it, so its counters never go back.
 */
public final class RouteStats {
    /** How a user's session, or attempt at one, ended: the {@code result} label. */
    public enum Result {
        OK,
        REFUSED,
        OVER_LIMIT,
        NO_INNER,
        TARGET_FAILED,
        TIMEOUT,
        ERROR;

        /** The label value: lower case. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The result of a session that ran, from how it ended. */
        public static Result of(Session.Ending ending) {
            return switch (ending) {
                case COMPLETED, CLIENT_BROKE, SERVER_BROKE, CLOSED -> OK;
                case UNANSWERED -> TARGET_FAILED;
                case IDLE -> TIMEOUT;
                case BUG -> ERROR;
            };
        }
    }

    /** The last thing that went wrong on this route, for the status page. */
    public record LastError(String message, Instant at) {}

    private final AtomicInteger active = new AtomicInteger();
    private final Map<Result, LongAdder> ended = new EnumMap<>(Result.class);
    private final Traffic traffic = new Traffic();
    private final Histogram openSeconds = new Histogram(Histogram.OPEN_SECONDS);
    private final LongAdder targetFailures = new LongAdder();
    private volatile LastError lastError;
    /** Created by the first UDP flow or drop, so that a TCP route exports no UDP series. */
    private volatile UdpStats udp;

    public RouteStats() {
        for (Result r : Result.values()) {
            ended.put(r, new LongAdder());
        }
    }

    /** A session started relaying. */
    public void opened(long acceptedNanos) {
        active.incrementAndGet();
        openSeconds.observe((System.nanoTime() - acceptedNanos) / 1e9);
    }

    /** A session that was relaying ended. */
    public void closed(Session.Ending how) {
        active.decrementAndGet();
        ended.get(Result.of(how)).increment();
    }

    /** A user was turned away, or an open failed, before any session ran. */
    public void failed(Result result, String why) {
        ended.get(result).increment();
        if (result != Result.REFUSED && result != Result.OVER_LIMIT) {
            lastError = new LastError(why, Instant.now());
        }
    }

    /** The inner could not reach this route's target. */
    public void targetFailed(String why) {
        targetFailures.increment();
        lastError = new LastError(why, Instant.now());
    }

    public Traffic traffic() {
        return traffic;
    }

    public int active() {
        return active.get();
    }

    public long ended(Result result) {
        return ended.get(result).sum();
    }

    /** Sessions that ran, of any result, plus users turned away: every attempt. */
    public long total() {
        return ended.values().stream().mapToLong(LongAdder::sum).sum() + active.get();
    }

    public long targetFailures() {
        return targetFailures.sum();
    }

    Histogram openSeconds() {
        return openSeconds;
    }

    /** This route's UDP counters; from the first call on, the route exports them. */
    public UdpStats udp() {
        UdpStats u = udp;
        if (u == null) {
            synchronized (this) {
                u = udp;
                if (u == null) {
                    udp = u = new UdpStats();
                }
            }
        }
        return u;
    }

    /** This route's UDP counters, or null while nothing has asked for them ({@link #udp}). */
    public UdpStats udpIfAny() {
        return udp;
    }

    public LastError lastError() {
        return lastError;
    }
}

package dev.relay.admin;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Prometheus histogram with fixed buckets. {@link #observe} is a short scan and two adder increments, cheap enough for
 * every session; the cumulative counts are only summed when scraped.
 */
public final class Histogram {
    /** Buckets for an open's latency, in seconds: from half a millisecond on loopback to the longest open timeout. */
    public static final double[] OPEN_SECONDS = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
    };

    private final double[] bounds;
    private final LongAdder[] counts;
    private final DoubleAdder sum = new DoubleAdder();

    public Histogram(double[] bounds) {
        this.bounds = bounds.clone();
        this.counts = new LongAdder[bounds.length + 1];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void observe(double value) {
        int i = 0;
        while (i < bounds.length && value > bounds[i]) {
            i++;
        }
        counts[i].increment();
        sum.add(value);
    }

    double[] bounds() {
        return bounds.clone();
    }

    /** Cumulative counts per bucket, the last one for +Inf, as the exposition format wants them. */
    long[] cumulative() {
        long[] out = new long[counts.length];
        long running = 0;
        for (int i = 0; i < counts.length; i++) {
            running += counts[i].sum();
            out[i] = running;
        }
        return out;
    }

    double sum() {
        return sum.sum();
    }
}

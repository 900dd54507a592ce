package benchmark;

import java.util.Arrays;
import java.util.List;

/** Percentiles of a set of durations, in nanoseconds; {@code failed} counts attempts that did not complete. */
record Latency(long[] samples, long p50, long p99, int failed) {
    /** Nanoseconds in a microsecond and in a millisecond, the units the table shows. */
    static final double MICROS = 1e3;

    static final double MILLIS = 1e6;

    static Latency of(long[] nanos, int failed) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return new Latency(s, percentile(s, 0.50), percentile(s, 0.99), failed);
    }

    /** The percentiles over all the samples of several rounds. */
    static Latency merge(List<Latency> rounds) {
        long[] all =
                rounds.stream().flatMapToLong(l -> Arrays.stream(l.samples)).toArray();
        return of(all, rounds.stream().mapToInt(Latency::failed).sum());
    }

    int n() {
        return samples.length;
    }

    private static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}

package benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/** Throughput: 1 and 4 streams, forward (client → sink) and reverse (source → client), in 64 KiB writes. */
final class BulkSection implements Section {
    static final Duration WARMUP = Duration.ofMillis(200);
    /**
     * Once per column before the first row, each way, not measured. A JVM's copy and TLS record paths take a few
     * seconds of traffic to be compiled; without this the first row measured relay's and the floor's JIT, not their
     * steady state (TLS, 1 stream, forward: 0.67 Gbit/s against 3.3 Gbit/s warm, the same build), while ssh -R, being
     * native, has nothing to warm. A relay that carries bulk traffic has been running longer than this.
     */
    static final Duration COLUMN_WARMUP = Duration.ofSeconds(1);

    static final Duration MEASURE = Duration.ofMillis(700);
    static final Duration QUICK_MEASURE = Duration.ofMillis(500);
    /**
     * Rounds per direction and stream count; the table shows the better one (what the column can do when no neighbour
     * gets in the way). Two, not three, for the whole run's five minutes.
     */
    static final int ROUNDS = 2;

    static final int[] STREAMS = {1, 4};
    /** How long a client thread has to end once its socket is closed. */
    static final Duration JOIN = Duration.ofSeconds(10);
    /** How long the targets have to see a round's connections go before the next round starts anyway. */
    static final Duration DRAIN = Duration.ofSeconds(15);

    static final double BITS_PER_BYTE = 8;
    static final double GIGA = 1e9;

    @Override
    public String name() {
        return BULK;
    }

    @Override
    public void run(Run run) throws Exception {
        List<Column> columns = run.columns(BULK);
        String turns = columns.stream().map(c -> c.label).collect(Collectors.joining(", "));
        run.section("bulk throughput (better of " + ROUNDS + " rounds, " + turns + " taking turns)");
        Duration measure = run.options.quick() ? QUICK_MEASURE : MEASURE;
        System.out.println("  warming each column: " + COLUMN_WARMUP.toSeconds() + " s each way, not measured");
        for (Column c : columns) {
            for (boolean forward : new boolean[] {true, false}) {
                try {
                    gbits(run.targets, forward ? c.ports().sink() : c.ports().source(), forward, 1, COLUMN_WARMUP);
                } catch (Exception e) {
                    // The rows that follow measure the same way and report the failure where it counts.
                    System.out.println("  " + c.label + ": warm-up failed: " + e);
                }
            }
        }
        for (int streams : STREAMS) {
            for (boolean forward : new boolean[] {true, false}) {
                measure(run, columns, streams, forward, measure);
            }
        }
    }

    /** One row: the columns taking turns, {@link #ROUNDS} rounds, the better of each in the table. */
    private static void measure(Run run, List<Column> columns, int streams, boolean forward, Duration measure) {
        String what = streams + (streams == 1 ? " stream, " : " streams, ") + (forward ? "forward" : "reverse");
        Table.Row row = run.table.row(BULK, "bulk, " + what + ", Gbit/s", "%.2f");
        var rounds = run.interleaved(row, columns, ROUNDS, c -> {
            int port = forward ? c.ports().sink() : c.ports().source();
            return gbits(run.targets, port, forward, streams, measure);
        });
        rounds.forEach((c, g) -> {
            double[] sorted =
                    g.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            if (sorted.length == ROUNDS) {
                row.values.put(c, sorted[sorted.length - 1]);
            }
            List<String> each =
                    g.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList();
            System.out.printf(Locale.ROOT, "  %-13s %-19s %s Gbit/s%n", c.label, what, each);
        });
    }

    /** Aggregate bytes per second received over {@code streams} connections, after a warm-up, in Gbit/s. */
    static double gbits(Targets targets, int port, boolean forward, int streams, Duration measure) throws Exception {
        LongAdder received = forward ? targets.sunk : new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger errors = new AtomicInteger();
        List<Socket> sockets = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try {
            for (int i = 0; i < streams; i++) {
                Socket s = Net.connect(port);
                sockets.add(s);
                // Platform threads: the client is a plain program, not part of what is measured.
                threads.add(Thread.ofPlatform()
                        .name("bulk-client-" + i)
                        .start(() -> stream(s, forward, received, stop, errors)));
            }
            Thread.sleep(WARMUP.toMillis());
            long c0 = received.sum();
            long t0 = System.nanoTime();
            Thread.sleep(measure.toMillis());
            long c1 = received.sum();
            long t1 = System.nanoTime();
            if (errors.get() > 0) {
                throw new IOException(errors.get() + " of " + streams + " streams failed");
            }
            return (c1 - c0) * BITS_PER_BYTE / ((t1 - t0) / 1e9) / GIGA;
        } finally {
            stop.set(true);
            sockets.forEach(Net::closeQuietly);
            for (Thread t : threads) {
                t.join(JOIN.toMillis());
            }
            // The next measurement starts only when this one's target connections are gone.
            Targets.awaitIdle(forward ? targets.sinkActive : targets.sourceActive, DRAIN);
        }
    }

    /** One client stream: writes until stopped (forward), or reads and counts (reverse). */
    private static void stream(
            Socket s, boolean forward, LongAdder received, AtomicBoolean stop, AtomicInteger errors) {
        byte[] buf = new byte[Targets.CHUNK];
        try {
            if (forward) {
                OutputStream out = s.getOutputStream();
                while (!stop.get()) {
                    out.write(buf);
                }
            } else {
                InputStream in = s.getInputStream();
                for (int n; !stop.get() && (n = in.read(buf)) >= 0; ) {
                    received.add(n);
                }
            }
        } catch (IOException e) {
            if (!stop.get()) {
                errors.incrementAndGet();
            }
        }
    }
}

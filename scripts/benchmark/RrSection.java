package benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Request/response under load: {@link #CONNECTIONS} sessions to the echo target, each a client thread sending a
 * {@link #SIZE}-byte request and waiting for its reply, back to back. How many round trips a second all of them get,
 * how long each took, and the CPU time of the processes in between per round trip.
 */
final class RrSection implements Section {
    static final int CONNECTIONS = 50;
    static final int SIZE = 64;
    static final String NAME = CONNECTIONS + " connections of back-to-back " + SIZE + "-byte request/response";
    /** Short, for the table. */
    static final String ROW = CONNECTIONS + " × " + SIZE + "-byte request/response";

    static final String RATE = ROW + ": round trips/s";
    static final String P50 = ROW + ": p50, µs";
    static final String P99 = ROW + ": p99, µs";
    static final String CPU = "CPU per round trip at " + CONNECTIONS + " connections, µs";

    /**
     * Warm-up in steps of this, until a step finds the column's JIT threads under {@link Procfs.JitShare#QUIET}
     * of its CPU (the copy loops compile here, under load), for at most {@link #WARMUP_MAX}.
     */
    static final Duration WARMUP = Duration.ofMillis(500);

    static final Duration WARMUP_MAX = Duration.ofSeconds(3);
    static final Duration MEASURE = Duration.ofMillis(1_200);
    static final Duration QUICK_WARMUP = Duration.ofMillis(300);
    static final Duration QUICK_MEASURE = Duration.ofMillis(700);
    static final int ROUNDS = 2;
    /** Room for a client thread's samples before its array grows. */
    static final int INITIAL_SAMPLES = 16 * 1024;

    /** Load in steps until the column's JIT is quiet or {@link #WARMUP_MAX} has passed; prints how far it got. */
    private static void warm(Column c, List<Socket> s) throws Exception {
        long start = System.nanoTime();
        while (true) {
            Procfs.JitShare share = Procfs.jitShare(c.measured(), () -> load(s, WARMUP));
            double elapsed = (System.nanoTime() - start) / 1e9;
            if (share.quiet() || elapsed >= WARMUP_MAX.toSeconds()) {
                System.out.printf(Locale.ROOT, "  %-13s warmed: %.1f s, %s%n", c.label, elapsed, share.verdict());
                return;
            }
        }
    }

    @Override
    public String name() {
        return RR;
    }

    @Override
    public void run(Run run) {
        boolean quick = run.options.quick();
        Duration measure = quick ? QUICK_MEASURE : MEASURE;
        run.section(NAME + " (" + ROUNDS + " rounds of " + measure.toMillis() + " ms, taking turns)");
        Table.Row rate = run.table.row(RR, RATE, "%,.0f");
        Table.Row p50 = run.table.row(RR, P50, "%.0f");
        Table.Row p99 = run.table.row(RR, P99, "%.0f");
        Table.Row cpu = run.cpuRow(RR, CPU, "%.1f");
        Map<Column, List<Socket>> sessions = new HashMap<>();
        try {
            for (Column c : run.columns(RR)) {
                run.attempt(rate, c, () -> {
                    List<Socket> s = new ArrayList<>();
                    sessions.put(c, s);
                    for (int i = 0; i < CONNECTIONS; i++) {
                        Socket socket = Net.connect(c.ports().echo());
                        s.add(socket);
                        socket.setSoTimeout(Clients.SESSION_TIMEOUT_MILLIS);
                    }
                    if (quick) {
                        load(s, QUICK_WARMUP);
                    } else {
                        warm(c, s);
                    }
                });
            }
            Map<Column, Duration> spent = new HashMap<>();
            var rounds = run.interleaved(
                    rate, run.columns(RR), ROUNDS, c -> Run.withCpu(c, spent, () -> load(sessions.get(c), measure)));
            rounds.forEach((c, results) -> {
                if (results.size() < ROUNDS) {
                    return;
                }
                long trips = results.stream().mapToLong(r -> r.latency.n()).sum();
                double seconds = results.stream().mapToDouble(r -> r.seconds).sum();
                Latency l = Latency.merge(results.stream().map(r -> r.latency).toList());
                rate.values.put(c, trips / seconds);
                p50.values.put(c, l.p50() / Latency.MICROS);
                p99.values.put(c, l.p99() / Latency.MICROS);
                System.out.printf(
                        Locale.ROOT,
                        "  %-13s %,.0f round trips/s, p50 %.0f µs, p99 %.0f µs%n",
                        c.label,
                        trips / seconds,
                        l.p50() / Latency.MICROS,
                        l.p99() / Latency.MICROS);
                Run.cpuPer(cpu, c, spent, (int) trips, "round trip");
            });
        } finally {
            sessions.values().forEach(l -> l.forEach(Net::closeQuietly));
        }
    }

    /** What one turn got: every round trip's duration, and how long the turn took. */
    record Result(Latency latency, double seconds) {}

    /** Every session sends requests back to back for {@code duration}, each on a platform thread of its own. */
    static Result load(List<Socket> sessions, Duration duration) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        long[][] samples = new long[sessions.size()][];
        int[] counts = new int[sessions.size()];
        IOException[] failed = new IOException[1];
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < sessions.size(); i++) {
            int k = i;
            // Platform threads: the client is a plain program, not part of what is measured.
            threads.add(Thread.ofPlatform().name("rr-client-" + i).start(() -> {
                try {
                    samples[k] = requests(sessions.get(k), stop, counts, k);
                } catch (IOException e) {
                    failed[0] = e;
                    stop.set(true);
                }
            }));
        }
        Thread.sleep(duration.toMillis());
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (failed[0] != null) {
            throw failed[0];
        }
        long[] all = new long[Arrays.stream(counts).sum()];
        int at = 0;
        for (int i = 0; i < samples.length; i++) {
            System.arraycopy(samples[i], 0, all, at, counts[i]);
            at += counts[i];
        }
        return new Result(Latency.of(all, 0), seconds);
    }

    private static long[] requests(Socket s, AtomicBoolean stop, int[] counts, int k) throws IOException {
        byte[] request = new byte[SIZE];
        byte[] reply = new byte[SIZE];
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        long[] nanos = new long[INITIAL_SAMPLES];
        int n = 0;
        while (!stop.get()) {
            request[0] = (byte) n;
            long t = System.nanoTime();
            out.write(request);
            if (in.readNBytes(reply, 0, SIZE) != SIZE || reply[0] != request[0]) {
                throw new IOException("the echo ended or changed the bytes");
            }
            if (n == nanos.length) {
                nanos = Arrays.copyOf(nanos, 2 * n);
            }
            nanos[n++] = System.nanoTime() - t;
        }
        counts[k] = n;
        return nanos;
    }
}

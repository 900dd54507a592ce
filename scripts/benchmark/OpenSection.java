package benchmark;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** Sequential sessions: connect, write one byte, read it back, close; the time from connect to the echoed byte. */
final class OpenSection implements Section {
    static final String P50 = "open → first byte, p50, µs";
    static final String P99 = "open → first byte, p99, µs";
    static final String CPU = "CPU per open, µs";
    /**
     * Warm means the JIT has compiled the open path. A method that runs once per session reaches the optimising
     * compiler only after several thousand sessions: on the 2-core VM, relay's and the minimal relay's compiler threads
     * were still busy until about 9,000 sequential opens and quiet after (measured per 1,000). So each column opens
     * sessions in batches until a batch finds its JIT threads quiet ({@link Procfs.JitShare#QUIET}), every column at
     * once, within these bounds.
     */
    static final int WARMUP_BATCH = 1000;

    static final int WARMUP_MAX = 15_000;
    static final Duration WARMUP_TIME = Duration.ofSeconds(30);
    /** Client threads opening sessions per column while it warms; the measured rounds use one. */
    static final int WARMUP_CLIENTS = 2;

    static final int SESSIONS = 800;
    static final int QUICK_WARMUP = 300;
    static final int QUICK_SESSIONS = 500;
    static final int ROUNDS = 4;

    /** Opens on every column at once, each until its JIT is quiet or a bound is reached; prints how far each got. */
    private static void warm(Run run, Table.Row p50, List<Column> columns) {
        long deadline = System.nanoTime() + WARMUP_TIME.toNanos();
        Map<Column, Thread> warming = new LinkedHashMap<>();
        Map<Column, String> outcome = new ConcurrentHashMap<>();
        for (Column c : columns) {
            warming.put(c, Thread.ofPlatform().name("warm-" + c.id).start(() -> {
                try {
                    outcome.put(c, warmColumn(c, deadline));
                } catch (Exception e) {
                    outcome.put(c, "failed: " + e.getMessage());
                }
            }));
        }
        for (var e : warming.entrySet()) {
            try {
                e.getValue().join();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            }
            String how = outcome.getOrDefault(e.getKey(), "failed");
            System.out.printf("  %-13s warmed: %s%n", e.getKey().label, how);
            if (how.startsWith("failed")) {
                run.attempt(p50, e.getKey(), () -> {
                    throw new IOException("warm-up " + how);
                });
            }
        }
    }

    private static String warmColumn(Column c, long deadline) throws Exception {
        int port = c.ports().echo();
        int limit = Math.min(WARMUP_MAX, c.maxOpens() / ROUNDS);
        if (c.measured().isEmpty() || limit < WARMUP_BATCH || c instanceof Minimal m && m.tls()) {
            // Nothing of ours to compile in between (direct), opens too slow to batch (ssh -R), or a TLS handshake per
            // open (the TLS floor), ten times the CPU of a plain open, which would take the warm-up's whole time and
            // CPU from the others: a short warm-up.
            Clients.opens(port, Math.min(QUICK_WARMUP, limit), 0);
            return Math.min(QUICK_WARMUP, limit) + " opens";
        }
        long start = System.nanoTime();
        int opened = 0;
        while (true) {
            Procfs.JitShare share = Procfs.jitShare(c.measured(), () -> openBatch(port));
            opened += WARMUP_BATCH;
            if (share.quiet() || opened + WARMUP_BATCH > limit || System.nanoTime() > deadline) {
                return String.format(Locale.ROOT, "%,d opens in %.0f s", opened, (System.nanoTime() - start) / 1e9)
                        + ", "
                        + share.verdict();
            }
        }
    }

    /** {@link #WARMUP_BATCH} opens, on {@link #WARMUP_CLIENTS} client threads. */
    private static void openBatch(int port) throws Exception {
        List<Thread> clients = new ArrayList<>();
        AtomicReference<IOException> failed = new AtomicReference<>();
        for (int i = 0; i < WARMUP_CLIENTS; i++) {
            clients.add(Thread.ofPlatform().start(() -> {
                try {
                    Clients.opens(port, WARMUP_BATCH / WARMUP_CLIENTS, 0);
                } catch (IOException e) {
                    failed.set(e);
                }
            }));
        }
        for (Thread t : clients) {
            t.join();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
    }

    @Override
    public String name() {
        return OPEN;
    }

    @Override
    public void run(Run run) {
        run.section("open → first echoed byte (" + ROUNDS + " rounds, taking turns)");
        Table.Row p50 = run.table.row(OPEN, P50, "%.0f");
        Table.Row p99 = run.table.row(OPEN, P99, "%.0f");
        List<Column> columns = run.columns(OPEN);
        boolean quick = run.options.quick();
        if (quick) {
            for (Column c : columns) {
                int warmup = Math.min(QUICK_WARMUP, c.maxOpens() / ROUNDS);
                run.attempt(p50, c, () -> Clients.opens(c.ports().echo(), warmup, 0));
            }
        } else {
            warm(run, p50, columns);
        }
        // What the processes in between spend per session (a pool's refill included) bounds back-to-back opens on a
        // machine with few cores, so it is measured around each of their rounds.
        Table.Row cpu = run.cpuRow(OPEN, CPU, "%.0f");
        Map<Column, Duration> spent = new HashMap<>();
        int sessions = quick ? QUICK_SESSIONS : SESSIONS;
        var rounds = run.interleaved(p50, columns, ROUNDS, c -> {
            int perRound = Math.min(sessions, c.maxOpens()) / ROUNDS;
            return Run.withCpu(c, spent, () -> Clients.opens(c.ports().echo(), 0, perRound));
        });
        Run.merged(rounds, ROUNDS).forEach((c, l) -> {
            Run.report(c, "opens", l, Latency.MICROS, "µs");
            p50.values.put(c, l.p50() / Latency.MICROS);
            p99.values.put(c, l.p99() / Latency.MICROS);
            run.failures(p50, c, l);
            Run.cpuPer(cpu, c, spent, l.n() + l.failed(), "open");
        });
    }
}

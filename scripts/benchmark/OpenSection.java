package benchmark;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Sequential sessions: connect, write one byte, read it back, close; the time from connect to the echoed byte. */
final class OpenSection implements Section {
    static final String P50 = "open → first byte, p50, µs";
    static final String P99 = "open → first byte, p99, µs";
    static final String CPU = "CPU per open, µs";
    /** Sequential opens before any count: with a few hundred the JIT has not yet compiled the relay's open path. */
    static final int WARMUP = 300;

    static final int SESSIONS = 800;
    static final int QUICK_WARMUP = 300;
    static final int QUICK_SESSIONS = 500;
    static final int ROUNDS = 4;

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
        for (Column c : columns) {
            // The JIT compiles the open path before anything counts.
            int warmup = Math.min(quick ? QUICK_WARMUP : WARMUP, c.maxOpens() / ROUNDS);
            run.attempt(p50, c, () -> Clients.opens(c.ports().echo(), warmup, 0));
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

package benchmark;

import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Round trips of a small message on one open session per column, to the echo target. */
final class PingSection implements Section {
    static final int SIZE = 64;
    static final String P50 = SIZE + "-byte ping-pong, p50, µs";
    static final String P99 = SIZE + "-byte ping-pong, p99, µs";
    static final String CPU = "CPU per ping-pong round trip, µs";
    static final int WARMUP = 1_000;
    static final int ROUND_TRIPS = 6_000;
    static final int QUICK_WARMUP = 500;
    static final int QUICK_ROUND_TRIPS = 5_000;
    static final int ROUNDS = 4;

    @Override
    public String name() {
        return PING;
    }

    @Override
    public void run(Run run) {
        run.section(SIZE + "-byte ping-pong (" + ROUNDS + " rounds, taking turns)");
        Table.Row p50 = run.table.row(PING, P50, "%.1f");
        Table.Row p99 = run.table.row(PING, P99, "%.1f");
        Table.Row cpu = run.cpuRow(PING, CPU, "%.1f");
        boolean quick = run.options.quick();
        Map<Column, Socket> sessions = new HashMap<>();
        try {
            for (Column c : run.columns(PING)) {
                run.attempt(p50, c, () -> sessions.put(c, warm(c.ports().echo(), quick ? QUICK_WARMUP : WARMUP)));
            }
            // A column whose warm-up failed has a note in p50, so takes no turns.
            Map<Column, Duration> spent = new HashMap<>();
            int perRound = (quick ? QUICK_ROUND_TRIPS : ROUND_TRIPS) / ROUNDS;
            var rounds = run.interleaved(
                    p50,
                    run.columns(PING),
                    ROUNDS,
                    c -> Run.withCpu(c, spent, () -> Clients.pingPong(sessions.get(c), SIZE, perRound)));
            Run.merged(rounds, ROUNDS).forEach((c, l) -> {
                Run.report(c, "round trips on one session", l, Latency.MICROS, "µs");
                p50.values.put(c, l.p50() / Latency.MICROS);
                p99.values.put(c, l.p99() / Latency.MICROS);
                Run.cpuPer(cpu, c, spent, l.n(), "round trip");
            });
        } finally {
            sessions.values().forEach(Net::closeQuietly);
        }
    }

    /** A session to the echo target that has made {@code rounds} round trips, so the JIT has compiled its path. */
    private static Socket warm(int port, int rounds) throws Exception {
        Socket s = Net.connect(port);
        try {
            s.setSoTimeout(Clients.SESSION_TIMEOUT_MILLIS);
            Clients.pingPong(s, SIZE, rounds);
            return s;
        } catch (Exception e) {
            s.close();
            throw e;
        }
    }
}

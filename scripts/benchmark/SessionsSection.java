package benchmark;

import java.io.IOException;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Many sessions open at once: each checked with a unique payload when opened and again once all are open, then closed.
 * On the plain relay it also takes the memory table's samples: idle before, at peak, and after closing.
 */
final class SessionsSection implements Section {
    /** Opens in flight at once while building up the sessions; below the accept backlogs. */
    static final int PARALLEL = 64;

    static final int PAYLOAD = 16;
    /** Generous: the second check reads from thousands of sessions queued behind each other. */
    static final int SESSION_TIMEOUT_MILLIS = 30_000;
    /** Descriptors count as back to baseline within this many: the JVM opens and closes a few of its own. */
    static final int FD_SLACK = 8;

    static final Duration SETTLE = Duration.ofSeconds(10);
    static final Duration PEAK_SETTLE = Duration.ofSeconds(20);
    static final Duration BACK_TO_BASELINE = Duration.ofSeconds(30);
    static final Duration DRAIN = Duration.ofSeconds(30);

    static String metric(int sessions) {
        return String.format(Locale.ROOT, "%,d concurrent sessions that work", sessions);
    }

    @Override
    public String name() {
        return SESSIONS;
    }

    @Override
    public void run(Run run) {
        int n = run.options.sessions();
        List<Column> columns = run.columns(SESSIONS);
        String which = columns.stream().map(c -> c.label).collect(Collectors.joining(" and "));
        run.section(n + " concurrent sessions (" + which + " only)");
        Table.Row worked = run.table.row(SESSIONS, metric(n), "%.0f");
        for (Column c : columns) {
            run.measure(worked, c, () -> new Trial(run, c, n).run(worked));
        }
    }

    /** One column's sessions, and the memory samples around them when it is the plain relay. */
    private static final class Trial {
        final Run run;
        final Column column;
        final int n;
        final boolean sampled;
        final Socket[] sockets;
        final byte[][] payloads;
        final boolean[] ok;
        Procfs.Sample[] base;

        Trial(Run run, Column column, int n) {
            this.run = run;
            this.column = column;
            this.n = n;
            this.sampled = column == run.lineup.relay();
            this.sockets = new Socket[n];
            this.payloads = payloads(n);
            this.ok = new boolean[n];
        }

        /** How many sessions echoed both times. */
        double run(Table.Row row) throws Exception {
            if (sampled) {
                before();
            }
            long t0 = System.nanoTime();
            try {
                Clients.forEach(n, PARALLEL, this::open);
                double openSeconds = (System.nanoTime() - t0) / 1e9;
                int first = Clients.count(ok);
                if (sampled) {
                    peak();
                }
                Clients.forEach(n, PARALLEL, this::check);
                int both = Clients.count(ok);
                System.out.printf(
                        Locale.ROOT,
                        "  %-13s %d of %d echoed when opened (in %.1f s), %d of %d again with all open%n",
                        column.label,
                        first,
                        n,
                        openSeconds,
                        both,
                        n);
                if (sampled) {
                    run.memory.sessionsNote =
                            String.format(Locale.ROOT, "opened in %.1f s, %d at a time", openSeconds, PARALLEL);
                }
                row.notes.put(column, String.format(Locale.ROOT, "%,d / %,d", both, n));
                return both;
            } finally {
                for (Socket s : sockets) {
                    Net.closeQuietly(s);
                }
                if (sampled) {
                    after();
                }
                Targets.awaitIdle(run.targets.echoActive, DRAIN);
            }
        }

        /** Unique payloads: each starts with its session's number. */
        private static byte[][] payloads(int n) {
            SecureRandom random = new SecureRandom();
            byte[][] p = new byte[n][PAYLOAD];
            for (int i = 0; i < n; i++) {
                random.nextBytes(p[i]);
                p[i][0] = (byte) (i >> 24);
                p[i][1] = (byte) (i >> 16);
                p[i][2] = (byte) (i >> 8);
                p[i][3] = (byte) i;
            }
            return p;
        }

        private void open(int i) {
            try {
                Socket s = Net.connect(column.ports().echo());
                s.setSoTimeout(SESSION_TIMEOUT_MILLIS);
                sockets[i] = s;
                ok[i] = Clients.echoes(s, payloads[i]);
            } catch (IOException e) {
                ok[i] = false;
            }
        }

        private void check(int i) {
            try {
                ok[i] = ok[i] && Clients.echoes(sockets[i], payloads[i]);
            } catch (IOException e) {
                ok[i] = false;
            }
        }

        private void before() throws InterruptedException {
            Procfs.settle(column.processes(), SETTLE);
            run.memory.take(Memory.IDLE_BEFORE, column.processes());
            base = run.memory.samples.get(Memory.IDLE_BEFORE);
        }

        private void peak() throws InterruptedException {
            Procfs.settle(column.processes(), PEAK_SETTLE);
            run.memory.take(Memory.peak(n), column.processes());
            int hold = run.options.holdPeak();
            if (hold > 0) {
                List<Long> pids = column.processes().stream().map(Process::pid).toList();
                System.out.println("  holding " + hold + " s at peak: outer and inner pids " + pids);
                Thread.sleep(Duration.ofSeconds(hold).toMillis());
            }
        }

        private void after() throws InterruptedException {
            long t = System.nanoTime();
            boolean back = Procfs.awaitFdsNear(column.processes(), base, FD_SLACK, BACK_TO_BASELINE);
            Procfs.settle(column.processes(), SETTLE);
            run.memory.take(Memory.AFTER_CLOSE, column.processes());
            System.out.printf(
                    Locale.ROOT,
                    "  %-13s descriptors %s baseline %.1f s after closing%n",
                    column.label,
                    back ? "back near" : "NOT back to",
                    (System.nanoTime() - t) / 1e9);
        }
    }
}

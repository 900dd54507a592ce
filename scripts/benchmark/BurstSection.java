package benchmark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/**
 * Many users arriving at once: each connects, sends a unique payload and waits for it to echo, all released together.
 * How many were served and how long the last one waited; then, with all of them open, whether each echoes again; the
 * resident memory of the processes in between before, with all open, and {@link #AFTER} after they closed.
 */
final class BurstSection implements Section {
    static final int PAYLOAD = 16;
    /**
     * A user gives up this long after the burst began, connect and echo together: above relay's open timeout (10 s),
     * so the relay closes first if it does.
     */
    static final int USER_TIMEOUT_MILLIS = 15_000;
    /** Below this share of sessions open, growth per session says more about the failures than the sessions. */
    static final double PER_SESSION_MIN_SHARE = 0.9;
    /** Echo checks in flight at once once all are open. */
    static final int PARALLEL = 64;

    static final Duration AFTER = Duration.ofSeconds(60);
    static final Duration QUICK_AFTER = Duration.ofSeconds(10);
    static final Duration SETTLE = Duration.ofSeconds(3);
    /** Sessions the relay gave up on may still be closing; the sample waits for that only so long. */
    static final Duration PEAK_SETTLE = Duration.ofSeconds(5);

    static final Duration DRAIN = Duration.ofSeconds(30);
    /**
     * All open sessions are sampled once they have been idle this long, descriptors settled included, as a user's idle
     * sessions are: time enough for a collector to give back much of what the burst grew (relay's first shrinking
     * cycle came 2–3 s after the process went quiet, in a GC log), the same for every column, and short enough to
     * keep the bench within its 5 minutes.
     */
    static final Duration IDLE = Duration.ofSeconds(3);

    static String served(int n) {
        return String.format(Locale.ROOT, "%,d users at once: served", n);
    }

    /** Served within relay's open timeout, which the minimal relay and ssh -R do not have: the same bar for all. */
    static String withinTimeout(int n) {
        return String.format(
                Locale.ROOT, "%,d users at once: served within %,d ms", n, (long) Verdicts.OPEN_TIMEOUT_MILLIS);
    }

    static String lastWaited(int n) {
        return String.format(Locale.ROOT, "%,d users at once: the last waited, ms", n);
    }

    static String allWork(int n) {
        return String.format(Locale.ROOT, "%,d users at once: echo again, all open", n);
    }

    static Duration after(Run run) {
        return run.options.quick() ? QUICK_AFTER : AFTER;
    }

    @Override
    public String name() {
        return BURST;
    }

    @Override
    public void run(Run run) throws InterruptedException {
        int n = run.options.sessions();
        List<Column> columns = run.columns(BURST);
        String which = columns.stream().map(c -> c.label).collect(Collectors.joining(", "));
        run.section(String.format(Locale.ROOT, "%,d users arriving at once (%s)", n, which));
        Table.Row served = run.table.row(BURST, served(n), "%,.0f");
        Table.Row within = run.table.row(BURST, withinTimeout(n), "%,.0f");
        Table.Row last = run.table.row(BURST, lastWaited(n), "%,.0f");
        Table.Row work = run.table.row(BURST, allWork(n), "%,.0f");
        Duration after = after(run);
        Map<Column, Thread> afterSamples = new LinkedHashMap<>();
        Map<Column, Procfs.Sample[]> sampledAfter = new ConcurrentHashMap<>();
        for (Column c : columns) {
            run.attempt(served, c, () -> {
                try {
                    burst(run, c, n, served, within, last, work);
                } finally {
                    long closedAt = System.nanoTime();
                    Targets.awaitIdle(run.targets.echoActive, DRAIN);
                    if (c instanceof RelayPair) {
                        // Exactly 60 s after its close, on a thread of its own, while the floors and ssh -R run their
                        // bursts: no target reads their memory afterwards.
                        afterSamples.put(c, Thread.ofVirtual().start(() -> {
                            try {
                                Thread.sleep(Math.max(0, (closedAt + after.toNanos() - System.nanoTime()) / 1_000_000));
                                sampledAfter.put(c, Procfs.sample(c.measured()));
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }));
                    }
                }
            });
        }
        System.out.println("  waiting " + after.toSeconds() + " s after each relay column's sessions closed");
        Table.Row perThousand = run.table.row(BURST, Memory.perThousand(), "%.1f");
        for (Column c : columns) {
            Thread t = afterSamples.get(c);
            if (t != null) {
                t.join();
                Procfs.Sample[] s = sampledAfter.get(c);
                if (s != null) {
                    run.memory.put(run, c, Memory.after(after), s);
                }
            }
            Procfs.Sample[] before = run.memory.get(c, Memory.IDLE_BEFORE);
            Procfs.Sample[] open = run.memory.get(c, Memory.open(n));
            double worked = work.get(c);
            if (worked < PER_SESSION_MIN_SHARE * n) {
                perThousand.notes.put(c, String.format(Locale.ROOT, "n/a (%,.0f open)", worked));
            } else if (before != null && open != null) {
                perThousand.values.put(
                        c, (Memory.total(open) - Memory.total(before)) / (worked / Memory.SESSIONS_PER_UNIT));
            }
        }
    }

    private static void burst(
            Run run, Column c, int n, Table.Row served, Table.Row within, Table.Row last, Table.Row work)
            throws Exception {
        long began = System.nanoTime();
        Procfs.settle(c.measured(), SETTLE);
        run.memory.take(run, c, Memory.IDLE_BEFORE);
        byte[][] payloads = payloads(n);
        Socket[] sockets = new Socket[n];
        long[] doneAt = new long[n];
        boolean[] ok = new boolean[n];
        InetSocketAddress to = new InetSocketAddress(Net.LOOPBACK, c.ports().echo());
        try {
            CountDownLatch go = new CountDownLatch(1);
            long[] deadline = new long[1];
            List<Thread> users = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int k = i;
                users.add(Thread.ofVirtual().name("burst-user").unstarted(() -> {
                    try {
                        go.await();
                        Socket s = new Socket();
                        sockets[k] = s;
                        s.setTcpNoDelay(true);
                        s.connect(to, USER_TIMEOUT_MILLIS);
                        // One patience for connect and echo together, so a column's burst ends within it.
                        long left = deadline[0] - System.nanoTime();
                        if (left <= 0) {
                            return;
                        }
                        s.setSoTimeout((int) Math.max(1, left / 1_000_000));
                        ok[k] = Clients.echoes(s, payloads[k]);
                        doneAt[k] = System.nanoTime();
                    } catch (IOException | InterruptedException e) {
                        ok[k] = false;
                    }
                }));
            }
            users.forEach(Thread::start);
            long t0 = System.nanoTime();
            deadline[0] = t0 + USER_TIMEOUT_MILLIS * 1_000_000L;
            go.countDown();
            for (Thread u : users) {
                u.join();
            }
            int first = Clients.count(ok);
            long lastAt = t0;
            int inTime = 0;
            for (int i = 0; i < n; i++) {
                if (ok[i]) {
                    lastAt = Math.max(lastAt, doneAt[i]);
                    inTime += (doneAt[i] - t0) / Latency.MILLIS <= Verdicts.OPEN_TIMEOUT_MILLIS ? 1 : 0;
                }
            }
            within.values.put(c, (double) inTime);
            double lastMillis = (lastAt - t0) / Latency.MILLIS;
            served.values.put(c, (double) first);
            served.notes.put(c, String.format(Locale.ROOT, "%,d / %,d", first, n));
            last.values.put(c, lastMillis);
            Clients.forEach(n, PARALLEL, i -> {
                try {
                    ok[i] = ok[i] && Clients.echoes(sockets[i], payloads[i]);
                } catch (IOException e) {
                    ok[i] = false;
                }
            });
            long idleSince = System.nanoTime();
            int both = Clients.count(ok);
            work.values.put(c, (double) both);
            work.notes.put(c, String.format(Locale.ROOT, "%,d / %,d", both, n));
            System.out.printf(
                    Locale.ROOT,
                    "  %-13s %,d of %,d served, the last after %.0f ms; %,d echo again with all open%n",
                    c.label,
                    first,
                    n,
                    lastMillis,
                    both);
            Procfs.settle(c.measured(), PEAK_SETTLE);
            Thread.sleep(Math.max(0, (idleSince + IDLE.toNanos() - System.nanoTime()) / 1_000_000));
            run.memory.take(run, c, Memory.open(n));
            System.out.printf(
                    Locale.ROOT,
                    "  %-13s %.0f MB resident with all open; %.0f s for this column so far%n",
                    c.label,
                    run.table.get(Memory.open(n)).get(c),
                    (System.nanoTime() - began) / 1e9);
            int hold = run.options.holdPeak();
            if (hold > 0) {
                List<Long> pids = c.measured().stream().map(ProcessHandle::pid).toList();
                System.out.println("  holding " + hold + " s with all open: pids " + pids);
                Thread.sleep(Duration.ofSeconds(hold).toMillis());
            }
        } finally {
            for (Socket s : sockets) {
                Net.closeQuietly(s);
            }
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
}

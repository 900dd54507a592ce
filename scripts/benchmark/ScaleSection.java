package benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Issue 10's scale line: two outers and two inners ({@link Cluster}), {@link #SESSIONS} sessions spread evenly over the
 * outers' route ports and held open together, a payload of its own echoed on each twice (once as it opens, once with
 * all open), then all closed; the descriptors and threads of the four processes before, at the peak and after, when
 * they must be back where they started. The users run in a child ({@link ScaleClients}), the echo target in the bench.
 * Each (outer, inner) pair must have carried some of the sessions, as the outers' /metrics count them.
 */
final class ScaleSection implements Section {
    static final int SESSIONS = 10_000;
    /**
     * After the sessions closed, each process may hold this many descriptors more than before: the pools refill to
     * their size, but a connection being replaced may be counted twice for a moment.
     */
    static final int FD_SLACK = 8;
    /** And this many threads more: the JVM starts and ends compiler and GC threads by its own load. */
    static final int THREAD_SLACK = 4;

    static final Duration SETTLE = Duration.ofSeconds(5);
    /** The users' steps each take at most this long: opens are bounded by relay's and the users' own timeouts. */
    static final Duration STEP = Duration.ofSeconds(90);

    static final Duration BASELINE = Duration.ofSeconds(30);
    static final long POLL_MILLIS = 200;

    static final String MET_LINE =
            "10,000 sessions over 2 outers and 2 inners, every byte verified, fds and threads back to baseline";

    @Override
    public String name() {
        return SCALE;
    }

    @Override
    public void run(Run run) throws Exception {
        run.section(String.format(Locale.ROOT, "%,d sessions over two outers and two inners", SESSIONS));
        List<String> out = new ArrayList<>();
        boolean met;
        try {
            met = scale(run, out);
        } catch (Exception e) {
            String why = "scale: " + e;
            run.problems.add(why);
            System.out.println("  FAILED " + why);
            met = false;
        }
        String verdict = (met ? "met" : "NOT MET") + ": " + MET_LINE;
        out.add(verdict);
        System.out.println("  " + verdict);
        run.findings.add("Scale (issue 10):");
        out.forEach(l -> run.findings.add("    " + l));
    }

    private static boolean scale(Run run, List<String> out) throws Exception {
        // This process holds the echo side of every session, the users' child the other, and each relay process two
        // descriptors for each of its half.
        long need = SESSIONS + Bench.SPARE_FILES;
        long limit = Procfs.openFilesLimit();
        if (limit >= 0 && limit < need) {
            throw new IllegalStateException(String.format(
                    Locale.ROOT,
                    "open files are limited to %,d per process (ulimit -n) and %,d sessions need about %,d: raise it"
                            + " (ulimit -n %,d as root, or in /etc/security/limits.conf)",
                    limit,
                    SESSIONS,
                    need,
                    Bench.MAX_FILES));
        }
        long began = System.nanoTime();
        try (Cluster cluster = Cluster.start(run)) {
            Map<String, ProcessHandle> ps = cluster.handles();
            List<ProcessHandle> handles = List.copyOf(ps.values());
            Procfs.settle(handles, SETTLE);
            Procfs.Sample[] before = Procfs.sample(handles);
            Map<String, Long> startedBefore = cluster.sessionsByPair();
            List<String> cmd = Children.java(
                    List.of(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    ScaleClients.class.getName(),
                    Integer.toString(SESSIONS));
            for (int port : cluster.routePorts) {
                cmd.add(Integer.toString(port));
            }
            Process users = run.children.startPiped("scale-users", cmd);
            long bytes = 0;
            int served;
            Procfs.Sample[] peak;
            try (ExecutorService reader = Executors.newVirtualThreadPerTaskExecutor();
                    BufferedReader replies =
                            new BufferedReader(new InputStreamReader(users.getInputStream(), StandardCharsets.UTF_8));
                    Writer commands = users.outputWriter(StandardCharsets.UTF_8)) {
                String[] opened = reply(reader, replies, "opened");
                System.out.printf(
                        Locale.ROOT,
                        "  %,d of %,d sessions opened and echoed; %.0f s so far%n",
                        Integer.parseInt(opened[1]),
                        SESSIONS,
                        (System.nanoTime() - began) / 1e9);
                bytes += Long.parseLong(opened[2]);
                command(commands, "again");
                String[] again = reply(reader, replies, "again");
                served = Integer.parseInt(again[1]);
                bytes += Long.parseLong(again[2]);
                System.out.printf(Locale.ROOT, "  %,d echo again with all open; %,d bytes verified%n", served, bytes);
                peak = Procfs.sample(handles);
                int hold = run.options.holdPeak();
                if (hold > 0) {
                    System.out.println("  holding " + hold + " s with all open: " + cluster.describe());
                    Thread.sleep(Duration.ofSeconds(hold).toMillis());
                }
                command(commands, "close");
                reply(reader, replies, "closed");
            } finally {
                Children.stop(users);
            }
            Targets.awaitIdle(run.targets.echoActive, BASELINE);
            Procfs.Sample[] after = awaitBaseline(handles, before);
            boolean back = near(after, before);
            Map<String, Long> startedAfter = cluster.sessionsByPair();

            long expectedBytes = 2L * SESSIONS * ScaleClients.PAYLOAD;
            out.add(String.format(
                    Locale.ROOT,
                    "sessions served: %,d / %,d; bytes verified: %,d / %,d",
                    served,
                    SESSIONS,
                    bytes,
                    expectedBytes));
            // Started by the users of this section alone: the readiness probes came before.
            List<String> spread = new ArrayList<>();
            long[] least = {Long.MAX_VALUE};
            startedAfter.forEach((pair, n) -> {
                long mine = n - startedBefore.getOrDefault(pair, 0L);
                least[0] = Math.min(least[0], mine);
                spread.add(String.format(Locale.ROOT, "%s %,d", pair, mine));
            });
            boolean spreadOver = startedAfter.size() == Cluster.OUTERS.size() * Cluster.INNERS.size() && least[0] > 0;
            out.add("sessions per outer → inner (relay_inner_sessions_total): " + String.join(", ", spread));
            out.add("descriptors / threads: before → at peak → after");
            int i = 0;
            for (String name : ps.keySet()) {
                out.add(String.format(
                        Locale.ROOT,
                        "  %-8s %,d / %d → %,d / %d → %,d / %d",
                        name,
                        before[i].fds(),
                        before[i].threads(),
                        peak[i].fds(),
                        peak[i].threads(),
                        after[i].fds(),
                        after[i].threads()));
                i++;
            }
            out.add(String.format(Locale.ROOT, "section took %.0f s", (System.nanoTime() - began) / 1e9));
            out.forEach(l -> System.out.println("  " + l));
            if (!spreadOver) {
                run.problems.add("scale: some outer → inner pair carried no session: " + spread);
            }
            if (!back) {
                run.problems.add("scale: descriptors or threads not back within " + FD_SLACK + " / " + THREAD_SLACK
                        + " of where they started " + BASELINE.toSeconds() + " s after the sessions closed");
            }
            return served == SESSIONS && bytes == expectedBytes && spreadOver && back;
        }
    }

    private static void command(Writer w, String line) throws IOException {
        w.write(line + "\n");
        w.flush();
    }

    /** The users' next line, which must start with {@code word}, split on spaces; fails after {@link #STEP}. */
    private static String[] reply(ExecutorService reader, BufferedReader replies, String word) throws Exception {
        Future<String> line = reader.submit(replies::readLine);
        String got;
        try {
            got = line.get(STEP.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "the users did not answer \"" + word + "\" within " + STEP.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new IOException("reading the users' answer", e.getCause());
        }
        if (got == null || !got.startsWith(word)) {
            throw new IllegalStateException(
                    "the users answered " + got + " where " + word + " was due; see " + "scale-users.log");
        }
        return got.split(" ");
    }

    /** Polls until each process is back near {@code before}, or {@link #BASELINE}; the last sample either way. */
    private static Procfs.Sample[] awaitBaseline(List<ProcessHandle> ps, Procfs.Sample[] before)
            throws InterruptedException {
        long deadline = System.nanoTime() + BASELINE.toNanos();
        Procfs.Sample[] now = Procfs.sample(ps);
        while (!near(now, before) && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS);
            now = Procfs.sample(ps);
        }
        return now;
    }

    private static boolean near(Procfs.Sample[] now, Procfs.Sample[] before) {
        for (int i = 0; i < now.length; i++) {
            if (now[i].fds() > before[i].fds() + FD_SLACK || now[i].threads() > before[i].threads() + THREAD_SLACK) {
                return false;
            }
        }
        return true;
    }
}

package benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * What /proc and the process API say about the processes between client and targets: resident memory, descriptors,
 * threads and CPU time.
 */
final class Procfs {
    /** Descriptor counts have settled once they held still for this many polls in a row. */
    private static final int SETTLED_POLLS = 5;

    private static final long SETTLE_POLL_MILLIS = 100;
    /** Resident size counts as stable once it moves by less than this between polls, this many polls in a row. */
    private static final long STABLE_KIB = 256;

    private static final int STABLE_POLLS = 3;
    private static final long STABLE_POLL_MILLIS = 200;

    private Procfs() {}

    /** One process at one moment. */
    record Sample(long rssKiB, int fds, int threads) {
        double rssMB() {
            return rssKiB * 1024 / 1e6;
        }
    }

    /** VmRSS and Threads from /proc/PID/status, and the entries of /proc/PID/fd; zeros once the process is gone. */
    static Sample sample(ProcessHandle p) {
        long rss = 0;
        int threads = 0;
        int fds = 0;
        Path proc = Path.of("/proc", Long.toString(p.pid()));
        try {
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.replaceAll("[^0-9]", ""));
                }
            }
            try (Stream<Path> s = Files.list(proc.resolve("fd"))) {
                fds = (int) s.count();
            }
        } catch (IOException | UncheckedIOException gone) {
            // The process ended between two reads.
        }
        return new Sample(rss, fds, threads);
    }

    static Sample[] sample(List<ProcessHandle> ps) {
        return ps.stream().map(Procfs::sample).toArray(Sample[]::new);
    }

    /** Resident MB of {@code ps} together. */
    static double rssMB(List<ProcessHandle> ps) {
        return ps.stream().mapToDouble(p -> sample(p).rssMB()).sum();
    }

    /** The soft limit on open files of this process (its children inherit it), from /proc/self/limits; -1 if unknown. */
    static long openFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    return Long.parseLong(
                            line.substring("Max open files".length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or a format this does not know: the bench goes on without the check.
        }
        return -1;
    }

    /** Waits until the descriptor counts of {@code ps} stop changing, or the timeout. */
    static void settle(List<ProcessHandle> ps, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = -1;
        int same = 0;
        while (System.nanoTime() < deadline && same < SETTLED_POLLS) {
            long now = 0;
            for (ProcessHandle p : ps) {
                now += sample(p).fds();
            }
            same = now == last ? same + 1 : 0;
            last = now;
            Thread.sleep(SETTLE_POLL_MILLIS);
        }
    }

    /** Waits until the resident size of {@code p} stops growing, or the timeout. */
    static void waitStable(ProcessHandle p, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = -1;
        int same = 0;
        while (System.nanoTime() < deadline && same < STABLE_POLLS) {
            long now = sample(p).rssKiB();
            same = Math.abs(now - last) < STABLE_KIB ? same + 1 : 0;
            last = now;
            Thread.sleep(STABLE_POLL_MILLIS);
        }
    }

    /** Waits until each of {@code ps} holds at most {@code slack} more descriptors than in {@code base}; false on timeout. */
    static boolean awaitFdsNear(List<ProcessHandle> ps, Sample[] base, int slack, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean near = true;
            for (int i = 0; i < ps.size(); i++) {
                near &= sample(ps.get(i)).fds() <= base[i].fds() + slack;
            }
            if (near) {
                return true;
            }
            Thread.sleep(SETTLE_POLL_MILLIS);
        }
        return false;
    }

    /** Linux reports thread CPU time in USER_HZ ticks, 100 a second on every architecture the bench runs on. */
    private static final long NANOS_PER_TICK = 10_000_000;

    /**
     * CPU time so far of the JIT compiler threads ({@code C1 CompilerThread*}, {@code C2 CompilerThread*}) of
     * {@code ps} together, from /proc/PID/task/TID/stat; zero for a process that is not a JVM.
     */
    static Duration jitCpuTime(List<ProcessHandle> ps) {
        long ticks = 0;
        for (ProcessHandle p : ps) {
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(p.pid()), "task"))) {
                for (Path t : tasks.toList()) {
                    try {
                        String stat = Files.readString(t.resolve("stat"));
                        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
                            String[] f =
                                    stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            // utime and stime: fields 14 and 15 of stat, 12 and 13 after the command.
                            ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                        }
                    } catch (IOException | UncheckedIOException gone) {
                        // The thread ended between the listing and the read.
                    }
                }
            } catch (IOException | UncheckedIOException gone) {
                // The process ended.
            }
        }
        return Duration.ofNanos(ticks * NANOS_PER_TICK);
    }

    /**
     * The CPU time {@code ps} used while a warm-up step ran, and their JIT compiler threads' part of it: how the bench
     * tells a warm column (the JIT is quiet) from one still compiling.
     */
    record JitShare(long jitNanos, long allNanos) {
        /** A step in which the JIT took less than this share of the CPU left the column warm. */
        static final double QUIET = 0.05;

        boolean quiet() {
            return allNanos <= 0 || (double) jitNanos / allNanos < QUIET;
        }

        /** How a warm-up that stopped after this step ended, for its "warmed:" line. */
        String verdict() {
            if (allNanos <= 0) {
                return "nothing of ours in between";
            }
            long percent = Math.round(100.0 * jitNanos / allNanos);
            return quiet()
                    ? "then its JIT was quiet (" + percent + "% of its CPU)"
                    : "the bound; its JIT still took " + percent + "% of its CPU";
        }
    }

    /** Runs {@code step} and says what share of {@code ps}'s CPU time meanwhile went to their JIT threads. */
    static JitShare jitShare(List<ProcessHandle> ps, Run.Step step) throws Exception {
        Duration jit0 = jitCpuTime(ps);
        Duration all0 = cpuTime(ps);
        step.run();
        return new JitShare(
                jitCpuTime(ps).minus(jit0).toNanos(), cpuTime(ps).minus(all0).toNanos());
    }

    /** User and system CPU time so far of {@code ps} together. */
    static Duration cpuTime(List<ProcessHandle> ps) {
        return ps.stream()
                .map(p -> p.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }
}

package benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One run of the bench: what its sections share (options, targets, columns, the table, what went wrong), and the steps
 * they all take alike: columns taking turns round by round, CPU time read around each turn, a failure on one column
 * noted in its cell instead of ending the run.
 */
final class Run {
    static final String OUTER_JAR = "relay-outer.jar";
    static final String INNER_JAR = "relay-inner.jar";
    /** Bytes of the per-run token: nothing but this run's children knows it. */
    static final int TOKEN_BYTES = 16;

    final Options options;
    final Lineup lineup;
    final Path work;
    final Children children;
    final Targets targets = new Targets();
    final Table table = new Table();
    final Memory memory = new Memory();
    final List<String> problems = new CopyOnWriteArrayList<>();
    /** Lines a section reports outside the table, printed after it (the scale section's). */
    final List<String> findings = new CopyOnWriteArrayList<>();

    final String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(TOKEN_BYTES));
    final long started = System.nanoTime();
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>(List.of(targets));
    private Path outerJar;
    private Path innerJar;

    Run(Options options, Lineup lineup) throws IOException {
        this.options = options;
        this.lineup = lineup;
        this.work = options.work() != null
                ? Files.createDirectories(options.work())
                : Files.createTempDirectory("relay-bench-");
        this.children = new Children(work);
    }

    /**
     * Copies the jars, starts every column, and takes the idle figures the memory table starts from; only the jars if
     * no section that runs measures the columns.
     */
    void start() throws Exception {
        System.out.println("relay bench: logs and configs in " + work);
        System.out.println("relay bench: relay and the minimal relay run with no JVM flags, as `java -jar`");
        // Copies, so a rebuild of the jars during the run cannot pull classes out from under a running JVM.
        outerJar = Files.copy(options.outerJar(), work.resolve(OUTER_JAR), StandardCopyOption.REPLACE_EXISTING);
        innerJar = Files.copy(options.innerJar(), work.resolve(INNER_JAR), StandardCopyOption.REPLACE_EXISTING);
        if (!options.columns()) {
            System.out.println("relay bench: no section of this run measures the columns; none started");
            return;
        }
        // Side by side: starting JVMs one after another would take a third of the time budget on two cores.
        try (ExecutorService starts =
                Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory())) {
            List<Future<Void>> started = new ArrayList<>();
            started.add(starts.submit(() -> {
                memory.startReferences(this);
                return null;
            }));
            for (Column c : lineup.all()) {
                started.add(starts.submit(() -> {
                    c.start(this);
                    return null;
                }));
            }
            for (Future<Void> f : started) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
        }
        memory.idleAtStart(this);
    }

    /** Stops every column and child and closes the proxies; safe to call twice (the shutdown hook does). */
    void stop() {
        closeables.forEach(Net::closeQuietly);
        lineup.all().forEach(c -> Net.closeQuietly(c::stop));
        children.stopAll();
        // The logs stay for reading; the copies of the jars are only needed while the processes run.
        for (String jar : List.of(OUTER_JAR, INNER_JAR)) {
            try {
                Files.deleteIfExists(work.resolve(jar));
            } catch (IOException ignored) {
                // A leftover copy in a temp directory does no harm.
            }
        }
    }

    Path outerJar() {
        return outerJar;
    }

    Path innerJar() {
        return innerJar;
    }

    /** The columns that take part in {@code section}, in the table's order. */
    List<Column> columns(String section) {
        return lineup.all().stream().filter(c -> c.measures(section)).toList();
    }

    /** Closes {@code c} when the run ends, whatever happened. */
    <T extends AutoCloseable> T closing(T c) {
        closeables.add(c);
        return c;
    }

    double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    void section(String title) {
        System.out.printf(Locale.ROOT, "%n[%5.1f s] %s%n", seconds(), title);
    }

    /** Something to do for one column that may fail. */
    interface Step {
        void run() throws Exception;
    }

    /** One figure for one column. */
    interface Measurement {
        double run() throws Exception;
    }

    /** One turn of one column in {@link #interleaved}. */
    interface PerColumn<T> {
        T run(Column c) throws Exception;
    }

    /** What {@link #withCpu} reads the CPU time around. */
    interface Timed<T> {
        T run() throws Exception;
    }

    /** Runs one step for {@code c}; a failure is noted in {@code row} and under "Problems", and the run goes on. */
    boolean attempt(Table.Row row, Column c, Step step) {
        try {
            step.run();
            return true;
        } catch (Exception e) {
            row.notes.put(c, "error");
            String why = c.label + ", " + row.metric + ": " + e;
            problems.add(why);
            System.out.println("  FAILED " + why);
            return false;
        }
    }

    /** Runs one measurement for {@code c} into {@code row}; see {@link #attempt}. */
    void measure(Table.Row row, Column c, Measurement m) {
        attempt(row, c, () -> row.values.put(c, m.run()));
    }

    /**
     * Runs {@code rounds} rounds of a measurement, each of {@code columns} taking its turn in every round, so whatever
     * drifts during the run (CPU frequency, a neighbour, the JIT) falls on all of them alike. A column that fails is
     * noted in {@code row} and left out of later rounds.
     */
    <T> Map<Column, List<T>> interleaved(Table.Row row, List<Column> columns, int rounds, PerColumn<T> m) {
        Map<Column, List<T>> out = new LinkedHashMap<>();
        columns.forEach(c -> out.put(c, new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
            for (Column c : columns) {
                if (!row.notes.containsKey(c)) {
                    attempt(row, c, () -> out.get(c).add(m.run(c)));
                }
            }
        }
        return out;
    }

    /** The latencies over all rounds of each column that completed all {@code rounds} of them. */
    static Map<Column, Latency> merged(Map<Column, List<Latency>> byColumn, int rounds) {
        Map<Column, Latency> out = new LinkedHashMap<>();
        byColumn.forEach((c, l) -> {
            if (l.size() == rounds) {
                out.put(c, Latency.merge(l));
            }
        });
        return out;
    }

    /** A row for the CPU time of the processes between client and targets: "—" where there are none. */
    Table.Row cpuRow(String section, String metric, String format) {
        Table.Row row = table.row(section, metric, format);
        lineup.all().stream().filter(c -> c instanceof Direct).forEach(c -> row.notes.put(c, "—"));
        return row;
    }

    /** Runs {@code m} on {@code c}, adding to {@code spent} the CPU time {@code c}'s processes used meanwhile. */
    static <T> T withCpu(Column c, Map<Column, Duration> spent, Timed<T> m) throws Exception {
        List<ProcessHandle> ps = c.measured();
        Duration before = Procfs.cpuTime(ps);
        T result = m.run();
        spent.merge(c, Procfs.cpuTime(ps).minus(before), Duration::plus);
        return result;
    }

    /** Puts in {@code row}, and prints, the CPU time {@code c}'s processes spent per {@code what}. */
    static void cpuPer(Table.Row row, Column c, Map<Column, Duration> spent, int count, String what) {
        if (!(c instanceof Direct) && spent.containsKey(c) && count > 0) {
            double micros = spent.get(c).toNanos() / Latency.MICROS / count;
            row.values.put(c, micros);
            System.out.printf(
                    Locale.ROOT,
                    "  %-13s CPU time of the processes in between: %.1f µs per %s%n",
                    c.label,
                    micros,
                    what);
        }
    }

    /** Prints one column's percentiles, in {@code unit} nanoseconds called {@code unitName}. */
    static void report(Column c, String what, Latency l, double unit, String unitName) {
        String failed = l.failed() > 0 ? ", " + l.failed() + " failed" : "";
        System.out.printf(
                Locale.ROOT,
                "  %-13s %d %s: p50 %.1f %s, p99 %.1f %s%s%n",
                c.label,
                l.n(),
                what,
                l.p50() / unit,
                unitName,
                l.p99() / unit,
                unitName,
                failed);
    }

    /** Sessions that did not echo are a problem even when the percentiles of those that did look fine. */
    void failures(Table.Row row, Column c, Latency l) {
        if (l.failed() > 0) {
            problems.add(c.label + ", " + row.metric + ": " + l.failed() + " sessions did not echo");
        }
    }
}

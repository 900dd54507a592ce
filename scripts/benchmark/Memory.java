package benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Resident memory of the processes in between, per column, at the moments the bench samples them, beside an empty JVM
 * started the same way as relay ({@code java} with no flags) in the same run.
 */
final class Memory {
    static final String IDLE_AT_START = "RSS MB, idle at start";
    static final String IDLE_BEFORE = "RSS MB, idle before the burst";
    /** How long the columns get to finish starting (the pools' first fill) before the idle sample. */
    static final Duration SETTLE = Duration.ofSeconds(10);

    static final Duration EMPTY_JVM_STABLE = Duration.ofSeconds(5);
    static final double SESSIONS_PER_UNIT = 1000.0;

    /** Each column's measured processes at each moment, in the order taken. */
    final Map<Column, Map<String, Procfs.Sample[]>> samples = new LinkedHashMap<>();

    Procfs.Sample emptyJvm;

    static String open(int sessions) {
        return String.format(Locale.ROOT, "RSS MB, %,d sessions open", sessions);
    }

    static String after(Duration d) {
        return "RSS MB, " + d.toSeconds() + " s after they closed";
    }

    static String perThousand() {
        return "RSS MB per 1,000 sessions (open − before)";
    }

    /** Samples {@code c}'s processes now, and puts their total in the table's row {@code moment}. */
    void take(Run run, Column c, String moment) {
        Procfs.Sample[] s = Procfs.sample(c.measured());
        samples.computeIfAbsent(c, k -> new LinkedHashMap<>()).put(moment, s);
        Table.Row row = run.table.row(Section.BURST, moment, "%.0f");
        row.values.put(c, total(s));
        row.notes.putIfAbsent(run.lineup.direct(), "—");
    }

    Procfs.Sample[] get(Column c, String moment) {
        return samples.getOrDefault(c, Map.of()).get(moment);
    }

    static double total(Procfs.Sample[] s) {
        double mb = 0;
        for (Procfs.Sample x : s) {
            mb += x.rssMB();
        }
        return mb;
    }

    /** Before any section: every column once its descriptor counts settle, and an empty JVM. */
    void idleAtStart(Run run) throws Exception {
        Process empty = startEmptyJvm(run);
        List<ProcessHandle> all =
                run.lineup.all().stream().flatMap(c -> c.measured().stream()).toList();
        Procfs.settle(all, SETTLE);
        Procfs.waitStable(empty.toHandle(), EMPTY_JVM_STABLE);
        for (Column c : run.lineup.all()) {
            if (!(c instanceof Direct) && !c.measured().isEmpty()) {
                take(run, c, IDLE_AT_START);
            }
        }
        emptyJvm = Procfs.sample(empty.toHandle());
        Children.stop(empty);
        System.out.printf(
                Locale.ROOT, "empty JVM (java, no flags, a class that sleeps): %.1f MB resident%n", emptyJvm.rssMB());
    }

    /** An idle JVM started as relay is ({@code java} and no flags), for what an empty JVM holds on this machine. */
    private static Process startEmptyJvm(Run run) throws IOException {
        Path src = Files.writeString(
                run.work.resolve("Idle.java"),
                "public class Idle { public static void main(String[] a) throws Exception {"
                        + " Thread.sleep(Long.MAX_VALUE); } }\n");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null || javac.run(null, null, null, "-d", run.work.toString(), src.toString()) != 0) {
            throw new IllegalStateException("cannot compile " + src);
        }
        return run.children.start("empty-jvm", Children.java(List.of(), "-cp", run.work.toString(), "Idle"));
    }
}

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
 * The second table: resident memory, descriptors and threads of the plain relay's outer and inner at the moments the
 * bench samples them, beside an empty JVM with the same flags.
 */
final class Memory {
    static final String IDLE_AT_START = "idle at start";
    static final String IDLE_BEFORE = "idle before";
    static final String AFTER_CLOSE = "after close";
    /** How long the columns get to finish starting (the pools' first fill) before the idle sample. */
    static final Duration SETTLE = Duration.ofSeconds(10);

    static final Duration EMPTY_JVM_STABLE = Duration.ofSeconds(5);
    static final double SESSIONS_PER_UNIT = 1000.0;

    /** Outer and inner, at each moment sampled, in the order taken. */
    final Map<String, Procfs.Sample[]> samples = new LinkedHashMap<>();

    Procfs.Sample emptyJvm;
    /** How the concurrent sessions were opened, for the line under the table; empty if they were not. */
    String sessionsNote = "";

    static String peak(int sessions) {
        return String.format(Locale.ROOT, "peak, %,d open and idle", sessions);
    }

    void take(String moment, List<Process> outerAndInner) {
        samples.put(moment, Procfs.sample(outerAndInner));
    }

    /** Before any section: the plain relay once every column's descriptor counts settle, and an empty JVM. */
    void idleAtStart(Run run) throws Exception {
        Process empty = startEmptyJvm(run);
        List<Process> all =
                run.lineup.all().stream().flatMap(c -> c.processes().stream()).toList();
        Procfs.settle(all, SETTLE);
        Procfs.waitStable(empty, EMPTY_JVM_STABLE);
        take(IDLE_AT_START, run.lineup.relay().processes());
        emptyJvm = Procfs.sample(empty);
        Children.stop(empty);
    }

    /** Growth of outer + inner resident memory from idle to peak, per 1,000 sessions that worked; NaN if not measured. */
    double mbPerThousand(Run run) {
        int sessions = run.options.sessions();
        Procfs.Sample[] before = samples.get(IDLE_BEFORE);
        Procfs.Sample[] peak = samples.get(peak(sessions));
        double worked = run.table.get(SessionsSection.metric(sessions)).get(run.lineup.relay());
        if (before == null || peak == null || Double.isNaN(worked) || worked == 0) {
            return Double.NaN;
        }
        double grown = peak[0].rssMB() + peak[1].rssMB() - before[0].rssMB() - before[1].rssMB();
        return grown / (worked / SESSIONS_PER_UNIT);
    }

    /** An idle JVM with the children's flags, for the resident memory an empty JVM needs on this machine. */
    private static Process startEmptyJvm(Run run) throws IOException {
        Path src = Files.writeString(
                run.work.resolve("Idle.java"),
                "public class Idle { public static void main(String[] a) throws Exception { System.in.read(); } }\n");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null || javac.run(null, null, null, "-d", run.work.toString(), src.toString()) != 0) {
            throw new IllegalStateException("cannot compile " + src);
        }
        List<String> cmd = Children.java(run.options.jvmFlags(), "-cp", run.work.toString(), "Idle");
        return run.children.start("empty-jvm", cmd);
    }
}

package benchmark;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
    /** {@code scripts/LibrariesIdle.java}, plain and with TLS: relay's libraries alone, idle; null where not run. */
    Procfs.Sample libraries;

    Procfs.Sample librariesTls;

    private Process empty;
    private List<Process> floors = List.of();

    static final Path LIBRARIES_SOURCE = Path.of("scripts", "LibrariesIdle.java");
    /** The config the floor reads: the repository's example, as a user's would be. */
    static final Path CONFIG = Path.of("routes.json");

    static final String LIBRARIES = "libraries-idle";
    static final String LIBRARIES_TLS = "libraries-idle-tls";
    static final String READY = "ready";
    static final Duration LIBRARIES_START = Duration.ofSeconds(60);
    /** From a relay process's start, or a floor's "ready", to past its first tidy (IdleMemory's 10 s), with a margin. */
    static final Duration FLOOR_TIDIED = Duration.ofSeconds(13);

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
        put(run, c, moment, Procfs.sample(c.measured()));
    }

    /** Puts samples taken earlier, maybe on another thread, in the table's row {@code moment}. */
    void put(Run run, Column c, String moment, Procfs.Sample[] s) {
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

    /**
     * Starts the references idle memory is read against, side by side with the columns so that their wait overlaps
     * the columns' start: an empty JVM, and relay's libraries alone, plain and with a certificate of their own.
     */
    void startReferences(Run run) throws Exception {
        empty = startEmptyJvm(run);
        floors = startLibraries(run);
    }

    /**
     * Before any section: every column once its descriptor counts settle and relay's own idle housekeeping has run in
     * each of its processes (IdleMemory tidies 10 s after start), beside the references, sampled at the same moment.
     */
    void idleAtStart(Run run) throws Exception {
        try {
            List<ProcessHandle> all = run.lineup.all().stream()
                    .flatMap(c -> c.measured().stream())
                    .toList();
            Procfs.settle(all, SETTLE);
            long housekept = System.nanoTime();
            for (Process p : floors) {
                run.children.awaitLine(p, p == floors.get(0) ? LIBRARIES : LIBRARIES_TLS, READY, LIBRARIES_START);
                // The floors tidy 10 s after they are ready, as relay does after it starts.
                housekept = Math.max(housekept, System.nanoTime() + FLOOR_TIDIED.toNanos());
            }
            for (Column c : run.lineup.all()) {
                if (c instanceof RelayPair) {
                    for (ProcessHandle p : c.measured()) {
                        housekept = Math.max(
                                housekept,
                                nanosAt(p.info().startInstant().orElse(Instant.now())) + FLOOR_TIDIED.toNanos());
                    }
                }
            }
            long wait = housekept - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000);
            }
            Procfs.waitStable(empty.toHandle(), EMPTY_JVM_STABLE);
            for (Process p : floors) {
                Procfs.waitStable(p.toHandle(), EMPTY_JVM_STABLE);
            }
            for (Column c : run.lineup.all()) {
                if (!(c instanceof Direct) && !c.measured().isEmpty()) {
                    take(run, c, IDLE_AT_START);
                }
            }
            emptyJvm = Procfs.sample(empty.toHandle());
            if (floors.size() == 2) {
                libraries = Procfs.sample(floors.get(0).toHandle());
                librariesTls = Procfs.sample(floors.get(1).toHandle());
            }
        } finally {
            Children.stop(empty);
            floors.forEach(Children::stop);
        }
        System.out.printf(
                Locale.ROOT, "empty JVM (java, no flags, a class that sleeps): %.1f MB resident%n", emptyJvm.rssMB());
        if (libraries != null) {
            System.out.printf(
                    Locale.ROOT,
                    "relay's libraries alone, idle (%s): %.1f MB resident, %.1f MB with TLS%n",
                    LIBRARIES_SOURCE,
                    libraries.rssMB(),
                    librariesTls.rssMB());
        }
    }

    /** System.nanoTime()'s reading at {@code at}, a moment in the past. */
    private static long nanosAt(Instant at) {
        return System.nanoTime() - Duration.between(at, Instant.now()).toNanos();
    }

    /**
     * The floor under relay's idle memory: {@code scripts/LibrariesIdle.java} with relay-outer.jar's libraries, plain
     * and with a certificate from {@code --gen-cert}, reading the repository's routes.json, started as relay is but
     * for the jar manifest's Add-Opens, which a class path launch takes on the command line. None when a source is
     * missing (the bench runs from the repository's top).
     */
    private static List<Process> startLibraries(Run run) throws Exception {
        Path src = LIBRARIES_SOURCE.toAbsolutePath();
        Path config = CONFIG.toAbsolutePath();
        if (!Files.isRegularFile(src) || !Files.isRegularFile(config)) {
            return List.of();
        }
        TlsCert cert = TlsCert.generate(run, LIBRARIES + "-cert");
        Path classes = Children.compile(
                src, run.work.resolve(LIBRARIES), run.outerJar().toString());
        String cp = classes + File.pathSeparator + run.outerJar();
        List<String> opens = List.of("--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");
        return List.of(
                run.children.start(LIBRARIES, Children.java(opens, "-cp", cp, "LibrariesIdle", config.toString())),
                run.children.start(
                        LIBRARIES_TLS,
                        Children.java(
                                opens,
                                "-cp",
                                cp,
                                "LibrariesIdle",
                                config.toString(),
                                cert.cert().toString(),
                                cert.key().toString(),
                                cert.fingerprint())));
    }

    /** An idle JVM started as relay is ({@code java} and no flags), for what an empty JVM holds on this machine. */
    private static Process startEmptyJvm(Run run) throws IOException {
        Path src = Files.writeString(
                run.work.resolve("Idle.java"),
                "public class Idle { public static void main(String[] a) throws Exception {"
                        + " Thread.sleep(Long.MAX_VALUE); } }\n");
        Children.compile(src, run.work);
        return run.children.start("empty-jvm", Children.java(List.of(), "-cp", run.work.toString(), "Idle"));
    }
}

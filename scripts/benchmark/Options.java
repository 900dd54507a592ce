package benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The bench's command line, and BENCH_TUNED_FLAGS.
 *
 * @param tunedFlags the JVM flags of the "relay (tuned)" column; null leaves that column out
 * @param sessions concurrent sessions in the sessions section
 * @param pool {@code inner.pool} for the loopback sections; the link section runs its own two settings
 * @param holdPeak seconds to wait with all concurrent sessions open, so the processes can be inspected
 * @param only the sections to run; empty means all but {@link Section#OPT_IN}, and only such a full run gives PASS/FAIL
 *     lines
 * @param work the directory for logs and configs; null makes a new one under the temp directory
 */
record Options(
        Path outerJar,
        Path innerJar,
        List<String> tunedFlags,
        boolean quick,
        int sessions,
        int pool,
        int holdPeak,
        Set<String> only,
        Path work) {
    /**
     * The flags issue 3 measured with, for the opt-in tuned column: the serial collector and a small starting heap keep
     * resident memory close to what the program holds. Users run {@code java -jar} with none, as the other columns do.
     */
    static final String DEFAULT_TUNED_FLAGS = "-XX:+UseSerialGC -Xms32m -Xmx512m";

    static final int DEFAULT_SESSIONS = 5_000;
    static final int DEFAULT_POOL = 8;
    /** The exit status for a command line the bench cannot use. */
    static final int USAGE = 2;

    boolean runs(String section) {
        return only.isEmpty() ? !Section.OPT_IN.contains(section) : only.contains(section);
    }

    /** Whether a section that runs measures the table's columns; the opt-in ones start processes of their own. */
    boolean columns() {
        return only.isEmpty() || !Section.OPT_IN.containsAll(only);
    }

    boolean full() {
        return only.isEmpty();
    }

    /** Reads {@code args}; prints the usage and exits on --help or anything it does not know. */
    static Options parse(String[] args, List<String> sections) {
        Path outerJar = Path.of("relay-outer.jar");
        Path innerJar = Path.of("relay-inner.jar");
        String flags = System.getenv().getOrDefault("BENCH_TUNED_FLAGS", DEFAULT_TUNED_FLAGS);
        boolean tuned = false;
        boolean quick = false;
        int sessions = DEFAULT_SESSIONS;
        int pool = DEFAULT_POOL;
        int holdPeak = 0;
        Set<String> only = Set.of();
        Path work = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--outer-jar" -> outerJar = Path.of(args[++i]);
                    case "--inner-jar" -> innerJar = Path.of(args[++i]);
                    case "--tuned" -> tuned = true;
                    case "--tuned-flags" -> {
                        flags = args[++i];
                        tuned = true;
                    }
                    case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                    case "--pool" -> pool = Integer.parseInt(args[++i]);
                    case "--hold-peak" -> holdPeak = Integer.parseInt(args[++i]);
                    case "--quick" -> quick = true;
                    case "--only" -> only = Set.of(args[++i].split(","));
                    case "--work" -> work = Path.of(args[++i]);
                    case "--help" -> exit(0, usage(sections));
                    default -> throw new IllegalArgumentException(args[i]);
                }
            }
        } catch (RuntimeException e) {
            exit(USAGE, usage(sections));
        }
        if (!sections.containsAll(only)) {
            exit(USAGE, "bench: --only takes a comma-separated list of " + sections);
        }
        for (Path jar : List.of(outerJar, innerJar)) {
            if (!Files.isRegularFile(jar)) {
                exit(1, "bench: " + jar + " not found; run make jars");
            }
        }
        List<String> tunedFlags = !tuned
                ? null
                : Stream.of(flags.trim().split("\\s+"))
                        .filter(s -> !s.isEmpty())
                        .toList();
        return new Options(outerJar, innerJar, tunedFlags, quick, sessions, pool, holdPeak, only, work);
    }

    private static String usage(List<String> sections) {
        return "usage: scripts/bench [--quick] [--only " + String.join(",", sections)
                + "] [--sessions N] [--pool N] [--hold-peak SECONDS] [--tuned] [--tuned-flags \"...\"] [--outer-jar F]"
                + " [--inner-jar F] [--work DIR]";
    }

    private static void exit(int status, String message) {
        System.err.println(message);
        System.exit(status);
    }
}

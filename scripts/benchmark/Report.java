package benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** What a run prints at its end: where it ran, the table, the empty JVM beside relay's processes, the targets. */
final class Report {
    private final Run run;
    private final StringBuilder o = new StringBuilder();

    private Report(Run run) {
        this.run = run;
    }

    static void print(Run run, List<String> verdicts) {
        Report r = new Report(run);
        r.header();
        r.table();
        r.memory();
        if (!verdicts.isEmpty()) {
            r.o.append("\n");
            r.o.append("Targets (issues 11 and 12), each with the figures compared:\n");
            verdicts.forEach(v -> r.o.append("    ").append(v).append('\n'));
        }
        if (!run.findings.isEmpty()) {
            // After a table, or straight after the header when nothing filled one.
            if (!r.o.toString().endsWith("\n\n")) {
                r.o.append("\n");
            }
            run.findings.forEach(f -> r.o.append(f).append('\n'));
        }
        if (!run.problems.isEmpty()) {
            r.o.append("\nProblems during the run:\n");
            run.problems.forEach(p -> r.o.append("  - ").append(p).append('\n'));
        }
        r.o.append(f("%nbench took %.0f s; logs in %s%n", run.seconds(), run.work));
        System.out.print(r.o);
    }

    private void header() {
        String now = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
        o.append("\n## relay bench, ").append(now).append("\n\n");
        o.append(f(
                "- JDK: %s (%s, %s)%n",
                Runtime.version(), System.getProperty("java.vm.vendor"), System.getProperty("java.vm.name")));
        o.append(f(
                "- CPUs: %d (%s), %s %s%n",
                Runtime.getRuntime().availableProcessors(),
                cpuModel(),
                System.getProperty("os.name"),
                System.getProperty("os.version")));
        o.append("- build: ").append(build()).append("\n");
        o.append("- pool: ").append(run.options.pool()).append(" (inner.pool) for the loopback tests\n");
        if (run.options.columns()) {
            for (Column c : run.lineup.all()) {
                o.append("- ")
                        .append(c.label)
                        .append(": ")
                        .append(c.description())
                        .append("\n");
            }
        }
        o.append("- logs: ").append(run.work).append("\n\n");
    }

    /** Each column's value; compare columns of one run, as the machine's load moves all of them. */
    private void table() {
        if (run.table.rows().isEmpty()) {
            return;
        }
        List<Column> columns = run.lineup.all();
        o.append("| metric |");
        columns.forEach(c -> o.append(' ').append(c.label).append(" |"));
        o.append("\n|---|");
        columns.forEach(c -> o.append("---:|"));
        o.append("\n");
        for (Table.Row r : run.table.rows()) {
            o.append("| ").append(r.metric).append(" |");
            columns.forEach(c -> o.append(' ').append(r.cell(c)).append(" |"));
            o.append("\n");
        }
    }

    /** The empty JVM, and each relay process on its own: target 1 compares them one by one. */
    private void memory() {
        Memory m = run.memory;
        if (m.emptyJvm == null) {
            return;
        }
        o.append(f("%nAn empty JVM (java, no flags, a class that only sleeps): %.0f MB resident.", m.emptyJvm.rssMB()));
        for (Column c : List.of(run.lineup.relay(), run.lineup.tls())) {
            Procfs.Sample[] idle = m.get(c, Memory.IDLE_AT_START);
            if (idle != null && idle.length == 2) {
                o.append(f(" %s idle: outer %.0f MB, inner %.0f MB.", c.label, idle[0].rssMB(), idle[1].rssMB()));
            }
        }
        o.append("\n");
    }

    /** The commit the jars were presumably built from, and whether relay's sources differ from it. */
    static String build() {
        String head = git("rev-parse", "--short", "HEAD");
        if (head == null || head.isEmpty()) {
            return "unknown (not a git checkout)";
        }
        String changed = git("status", "--porcelain", "--", "relay-core", "relay-outer", "relay-inner");
        return "commit " + head + (changed == null || changed.isEmpty() ? "" : " with uncommitted changes to relay");
    }

    /** The output of a read-only git command in the current directory, or null if it failed. */
    static String git(String... args) {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        try {
            Process git = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes()).trim();
            return git.waitFor() == 0 ? out : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse("unknown model");
        } catch (IOException e) {
            return "unknown model";
        }
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}

package benchmark;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * The processes one run starts: each with its command line and output in the work directory, each ended by its handle,
 * never by name, so nothing else on the machine is touched.
 */
final class Children {
    /** How long a child has to end after SIGTERM before it gets SIGKILL. */
    static final Duration GRACE = Duration.ofSeconds(5);
    /** Lines of a child's log quoted when it fails: enough for the top of a stack trace. */
    static final int TAIL_LINES = 10;

    static final long POLL_MILLIS = 50;

    private final Path work;
    private final List<Process> started = new CopyOnWriteArrayList<>();

    Children(Path work) {
        this.work = work;
    }

    /** Starts {@code cmd} in the work directory, its output in {@code <name>.log}. */
    Process start(String name, List<String> cmd) throws IOException {
        Files.writeString(work.resolve(name + ".cmd"), String.join(" ", cmd) + "\n");
        Process p = new ProcessBuilder(cmd)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log(name).toFile())
                .start();
        started.add(p);
        return p;
    }

    /**
     * Starts {@code cmd} as {@link #start} does, but with its stdin and stdout as pipes to this process, for a child the
     * bench steps through a dialogue; its stderr goes to {@code <name>.log}.
     */
    Process startPiped(String name, List<String> cmd) throws IOException {
        Files.writeString(work.resolve(name + ".cmd"), String.join(" ", cmd) + "\n");
        Process p = new ProcessBuilder(cmd)
                .directory(work.toFile())
                .redirectError(log(name).toFile())
                .start();
        started.add(p);
        return p;
    }

    /**
     * Compiles the one-file program {@code src} into {@code into}, against {@code classPath} when it needs more than the
     * JDK, with the compiler of the JDK the bench runs on: a child then runs its classes, with no javac in its memory.
     */
    static Path compile(Path src, Path into, String... classPath) throws IOException {
        Files.createDirectories(into);
        List<String> args = new ArrayList<>();
        if (classPath.length > 0) {
            args.addAll(List.of("-cp", String.join(File.pathSeparator, classPath)));
        }
        args.addAll(List.of("-d", into.toString(), src.toString()));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null || javac.run(null, null, null, args.toArray(new String[0])) != 0) {
            throw new IllegalStateException("cannot compile " + src);
        }
        return into;
    }

    /** A command line for {@code java} with {@code flags}: children run on the JDK the bench runs on. */
    static List<String> java(List<String> flags, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(flags);
        cmd.addAll(List.of(args));
        return cmd;
    }

    Path log(String name) {
        return work.resolve(name + ".log");
    }

    /** The error for a child that exited while it should be running, with the end of its log. */
    IllegalStateException exited(String name, Process p) {
        return new IllegalStateException(
                name + " exited with status " + p.exitValue() + ":\n" + tail(name) + "\nsee " + work);
    }

    /** Waits until {@code name}'s log has {@code line}; fails if it exits first or the time runs out. */
    void awaitLine(Process p, String name, String line, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(log(name)).contains(line)) {
                return;
            }
            if (!p.isAlive()) {
                throw exited(name, p);
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new IllegalStateException(name + " did not start within " + timeout.toSeconds() + " s; see " + work);
    }

    /** Ends every child still running. */
    void stopAll() {
        started.forEach(Children::stop);
    }

    /** Ends one child: SIGTERM, then SIGKILL if it has not gone within {@link #GRACE}. */
    static void stop(Process p) {
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private String tail(String name) {
        try {
            List<String> lines = Files.readAllLines(log(name));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}

package dev.relay.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A program from outside the project (HAProxy, Prometheus) run by an integration test: started with its output in a
 * log file, its listening ports read from /proc (so it can bind port 0, or a port of its own choosing, with no race),
 * and stopped, with whatever it started, when the test ends.
 */
final class OutsideProgram implements AutoCloseable {
    private final Process process;
    private final Path log;

    private OutsideProgram(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command}; fails naming scripts/install-test-deps when the program is not installed. */
    static OutsideProgram start(Path log, String... command) throws IOException {
        requireInstalled(command[0]);
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new OutsideProgram(p, log);
    }

    /** Fails the test, saying how to install it, when {@code program} is not on PATH. */
    static void requireInstalled(String program) {
        if (program.contains("/") ? new File(program).canExecute() : onPath(program)) {
            return;
        }
        throw new AssertionError(program + " is not installed: run scripts/install-test-deps (as root) first");
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, program).canExecute()) {
                return true;
            }
        }
        return false;
    }

    /** The TCP ports the program listens on now, IPv4 and IPv6. */
    Set<Integer> listeningPorts() {
        Set<String> inodes = new HashSet<>();
        File[] fds = new File("/proc/" + process.pid() + "/fd").listFiles();
        if (fds != null) {
            for (File fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd.toPath()).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException gone) {
                    // Closed while listing.
                }
            }
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    // Field 3 is the state; 0A is LISTEN. Field 1 is local address:port in hex.
                    if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                        ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                    }
                }
            } catch (IOException e) {
                // No IPv6 table: only IPv4 then.
            }
        }
        return ports;
    }

    /** Waits for the program to listen on exactly {@code count} ports, and returns them. */
    List<Integer> awaitListening(int count) {
        Await.until("the program to listen on " + count + " ports (log: " + log() + ")", Duration.ofSeconds(20), () -> {
            if (!process.isAlive()) {
                throw new AssertionError("the program exited: " + log());
            }
            return listeningPorts().size() >= count;
        });
        return new ArrayList<>(listeningPorts());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGTERM, then SIGKILL if it lingers; its children too. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}

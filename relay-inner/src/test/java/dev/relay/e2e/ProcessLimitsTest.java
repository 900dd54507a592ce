package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the programs do at the edges of the process: an open-file limit too low for the session limits, and a fatal
 * error. Each runs a real process, as systemd would.
 */
class ProcessLimitsTest {
    private static final int LOW_LIMIT = 256;

    @TempDir
    Path dir;

    @Test
    void aLowOpenFileLimitIsReportedAtStartAndAcceptFailuresAreLoggedSparingly() throws Exception {
        Path config = dir.resolve("routes.json");
        Files.writeString(config, """
                { "outer":  { "listen": "127.0.0.1:0" },
                  "token":  "process-limits-token-0123456789",
                  "routes": [ { "name": "r0", "listen": "127.0.0.1:0", "target": "127.0.0.1:9" } ] }
                """);
        Path log = dir.resolve("outer.log");
        // No inner: every user waits for one, holding a descriptor, until the outer has none left.
        Process outer = new ProcessBuilder(
                        "bash",
                        "-c",
                        "ulimit -n " + LOW_LIMIT + " && exec \"$0\" \"$@\"",
                        java(),
                        "-cp",
                        classPath(),
                        "dev.relay.outer.OuterMain",
                        "--config",
                        config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        List<Socket> users = new ArrayList<>();
        try {
            Await.until("the outer to start", () -> read(log).contains("outer listening for inners"));
            String started = read(log);
            assertTrue(
                    started.contains("open-file limit is " + LOW_LIMIT) && started.contains("LimitNOFILE="), started);
            int port = routePort(started);
            for (int i = 0; i < 2 * LOW_LIMIT; i++) {
                Socket s = new Socket();
                users.add(s);
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            }
            Await.until("the outer to run out of descriptors", () -> read(log).contains("accept failed"));
            long first = System.nanoTime();
            Await.until("a second accept-failure line", () -> count(read(log), "accept failed") >= 2);
            long gapMs = (System.nanoTime() - first) / 1_000_000;
            // The acceptor retries every 50 ms; one line a second, with a count of the rest, is what is logged.
            assertTrue(gapMs >= 800, "accept-failure lines " + gapMs + "ms apart:\n" + read(log));
            assertTrue(read(log).contains("more failed since the last line"), read(log));
        } finally {
            outer.destroy();
            outer.waitFor(10, TimeUnit.SECONDS);
            outer.destroyForcibly();
            users.forEach(Sockets::closeQuietly);
        }
    }

    @Test
    void aFatalErrorEndsTheProcessWithStatus3SoThatASupervisorRestartsIt() throws Exception {
        Path log = dir.resolve("fatal.log");
        Process p = new ProcessBuilder(java(), "-cp", classPath(), FatalMain.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "still running after a fatal error");
        assertEquals(Threads.FATAL_EXIT_STATUS, p.exitValue(), read(log));
        assertTrue(read(log).contains("fatal: thread doomed failed with java.lang.OutOfMemoryError"), read(log));
    }

    /** A program that installs the programs' fatal-error handling, then runs out of memory in a relay thread. */
    public static final class FatalMain {
        public static void main(String[] args) throws InterruptedException {
            Threads.exitOnFatalError();
            Threads.start("doomed", () -> {
                throw new OutOfMemoryError("simulated");
            });
            Thread.sleep(60_000);
        }
    }

    private static int routePort(String log) {
        Matcher m =
                Pattern.compile("route r0 listening on 127\\.0\\.0\\.1:(\\d+)").matcher(log);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static long count(String text, String what) {
        return text.lines().filter(l -> l.contains(what)).count();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static String java() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    }

    private static String classPath() {
        return System.getProperty("java.class.path");
    }
}

package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
 * The two programs as a user runs them: separate processes reading one routes.json, a request through the tunnel,
 * then SIGTERM to each, which must end it promptly and release its ports.
 */
class ProcessTest {
    @TempDir
    Path dir;

    @Test
    void bothProgramsServeAndStopPromptlyOnSigterm() throws Exception {
        try (Target echo = Target.echo()) {
            // The outer binds port 0 for the control port and the route, and says in its log which ports it got: no
            // port is picked here and left free for someone else to take before the child binds it.
            Path config = dir.resolve("routes.json");
            Files.writeString(config, """
                    { "outer":  { "listen": "127.0.0.1:0" },
                      "token":  "process-test-token-0123456789",
                      "routes": [ { "name": "echo", "listen": "127.0.0.1:0", "target": "127.0.0.1:%d" } ] }
                    """.formatted(echo.port()));
            Process outer = start("dev.relay.outer.OuterMain", "outer.log", "--config", config.toString());
            Process inner = null;
            try {
                int control = portFromLog("outer.log", OUTER_LISTENING);
                int route = portFromLog("outer.log", ROUTE_LISTENING);
                inner = start(
                        "dev.relay.inner.InnerMain",
                        "inner.log",
                        "--config",
                        config.toString(),
                        "--connect",
                        "127.0.0.1:" + control);
                try {
                    Await.until("the inner to connect", () -> log("outer.log").contains("connected from"));
                } catch (AssertionError e) {
                    throw new AssertionError(
                            e.getMessage() + "; outer.log:\n" + log("outer.log") + "\ninner.log:\n" + log("inner.log"),
                            e);
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", route), 5000);
                    s.setSoTimeout(10_000);
                    assertEquals("as a process", TunnelTest.roundTrip(s, "as a process"));
                }
                for (Process p : List.of(inner, outer)) {
                    p.destroy(); // SIGTERM
                    assertTrue(p.waitFor(5, TimeUnit.SECONDS), "still running 5 s after SIGTERM: " + p.info());
                }
                assertTrue(log("outer.log").contains("outer stopped"), log("outer.log"));
                assertTrue(log("inner.log").contains("inner stopped"), log("inner.log"));
                try (ServerSocket again = new ServerSocket(route, 1, java.net.InetAddress.getLoopbackAddress())) {
                    assertEquals(route, again.getLocalPort(), "the route's port is free again");
                }
            } finally {
                if (inner != null) {
                    inner.destroyForcibly();
                }
                outer.destroyForcibly();
            }
        }
    }

    private static final Pattern OUTER_LISTENING =
            Pattern.compile("outer listening for inners on 127\\.0\\.0\\.1:(\\d+) \\(plain TCP\\)");
    private static final Pattern ROUTE_LISTENING =
            Pattern.compile("route echo listening on 127\\.0\\.0\\.1:(\\d+) -> ");

    /** Waits for {@code line} in the log and returns the port it names. */
    private int portFromLog(String log, Pattern line) {
        try {
            Await.until(
                    "the outer to log a line matching [" + line + "]",
                    () -> line.matcher(log(log)).find());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; " + log + ":\n" + log(log), e);
        }
        Matcher m = line.matcher(log(log));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    private Process start(String main, String log, String... args) throws IOException {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(log).toFile())
                .start();
    }

    private String log(String name) {
        try {
            return Files.readString(dir.resolve(name));
        } catch (IOException e) {
            return "";
        }
    }
}

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
            int control = freePort();
            int route = freePort();
            Path config = dir.resolve("routes.json");
            Files.writeString(config, """
                    { "outer":  { "listen": "127.0.0.1:%d" },
                      "inner":  { "connect": "127.0.0.1:%d" },
                      "token":  "process-test-token-0123456789",
                      "routes": [ { "name": "echo", "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" } ] }
                    """.formatted(control, control, route, echo.port()));
            Process outer = start("dev.relay.outer.OuterMain", config, "outer.log");
            Process inner = start("dev.relay.inner.InnerMain", config, "inner.log");
            try {
                Await.until(
                        "the inner to connect (outer log: " + dir.resolve("outer.log") + ")",
                        () -> log("outer.log").contains("connected from"));
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
                inner.destroyForcibly();
                outer.destroyForcibly();
            }
        }
    }

    private Process start(String main, Path config, String log) throws IOException {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>(
                List.of(java, "-cp", System.getProperty("java.class.path"), main, "--config", config.toString()));
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

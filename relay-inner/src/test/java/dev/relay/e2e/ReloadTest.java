package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.admin.AdminServer;
import dev.relay.config.ConfigException;
import dev.relay.config.ConfigFile;
import dev.relay.config.ConfigSource;
import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.inner.Inner;
import dev.relay.outer.Outer;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload from the file a real outer and inner started with: sessions survive it, routes come and go, a broken
 * file changes nothing, and the inner learns the outer's new table without reconnecting.
 */
@ExtendWith(NoLeaks.class)
class ReloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = TestTunnel.TOKEN.value();

    @TempDir
    Path dir;

    /** A routes.json with an admin endpoint on the outer and these routes, each {@code name -> target}. */
    private Path write(String extraOuter, String... routes) throws IOException {
        List<String> specs = new ArrayList<>();
        for (String r : routes) {
            String[] nt = r.split(" -> ");
            specs.add("{ \"name\": \"" + nt[0] + "\", \"listen\": \"127.0.0.1:0\", \"target\": \"" + nt[1] + "\" }");
        }
        Path file = dir.resolve("routes.json");
        Files.writeString(file, """
                { "outer": { "listen": "127.0.0.1:0", "admin": { "listen": "127.0.0.1:0" } %s },
                  "inner": { "connect": "127.0.0.1:1" },
                  "token": "%s",
                  "tuning": { "heartbeatSeconds": 0.2, "deadPeerSeconds": 1, "openTimeoutSeconds": 5 },
                  "routes": [ %s ] }
                """.formatted(extraOuter, TOKEN, String.join(", ", specs)));
        return file;
    }

    private static ConfigSource<OuterConfig> source(Path file) {
        return new ConfigSource<>() {
            @Override
            public OuterConfig load() throws ConfigException {
                return ConfigFile.load(file, Map.of()).outer();
            }

            @Override
            public String describe() {
                return file.toString();
            }
        };
    }

    /** An outer started from the file, and an inner connected to it. */
    private record Pair(Outer outer, Inner inner) implements AutoCloseable {
        static Pair start(Path file) throws Exception {
            ConfigSource<OuterConfig> source = source(file);
            Outer outer = Outer.start(source.load(), source);
            try {
                InnerConfig ic = InnerConfig.of(new HostPort("127.0.0.1", outer.controlPort()), TestTunnel.TOKEN)
                        .withTuning(TestTunnel.FAST);
                Inner inner = Inner.start(ic);
                Await.until("the inner to connect", outer::innerConnected);
                return new Pair(outer, inner);
            } catch (Exception | Error e) {
                outer.close();
                throw e;
            }
        }

        Socket connect(String route) throws IOException {
            Socket s = new Socket("127.0.0.1", outer.port(route));
            s.setSoTimeout(10_000);
            return s;
        }

        @Override
        public void close() {
            inner.close();
            outer.close();
        }
    }

    @Test
    void aSessionOpenAcrossAReloadKeepsMovingBytesBothWays() throws Exception {
        try (Target echo = Target.echo();
                Target other = Target.echo()) {
            Path file = write("", "r0 -> " + echo.address());
            try (Pair p = Pair.start(file);
                    Socket s = p.connect("r0")) {
                assertEquals("before", TunnelTest.roundTrip(s, "before"));
                write("", "r0 -> " + other.address(), "r1 -> " + other.address());
                AdminServer.Reload r = p.outer().reload();
                assertTrue(r.ok(), String.valueOf(r));
                // Byte for byte, both ways, on the session that started before the reload: still to the old target.
                for (int i = 0; i < 50; i++) {
                    assertEquals("after " + i, TunnelTest.roundTrip(s, "after " + i));
                }
                assertEquals(1, echo.accepted.get());
                try (Socket fresh = p.connect("r0")) {
                    assertEquals("new", TunnelTest.roundTrip(fresh, "new"));
                }
                assertEquals(1, other.accepted.get(), "a new session on a changed route goes to the new target");
            }
        }
    }

    @Test
    void aRouteAddedByAReloadServesAtOnceAndTheInnerLearnsItWithoutReconnecting() throws Exception {
        try (Target echo = Target.echo()) {
            Path file = write("", "r0 -> " + echo.address());
            try (Pair p = Pair.start(file)) {
                assertThrows(IllegalArgumentException.class, () -> p.outer().port("r1"));
                write("", "r0 -> " + echo.address(), "r1 -> " + echo.address());
                AdminServer.Reload r = p.outer().reload();
                assertTrue(
                        r.applied().stream().anyMatch(a -> a.startsWith("route r1 added")),
                        r.applied().toString());
                try (Socket s = p.connect("r1")) {
                    assertEquals("new route", TunnelTest.roundTrip(s, "new route"));
                }
                assertEquals(null, p.inner().lastFailure(), "the inner never lost its control channel");
            }
        }
    }

    @Test
    void aRemovedRouteRefusesNewUsersWhileItsOpenSessionFinishes() throws Exception {
        try (Target echo = Target.echo()) {
            Path file = write("", "r0 -> " + echo.address(), "r1 -> " + echo.address());
            try (Pair p = Pair.start(file)) {
                int port = p.outer().port("r1");
                try (Socket s = p.connect("r1")) {
                    assertEquals("open", TunnelTest.roundTrip(s, "open"));
                    write("", "r0 -> " + echo.address());
                    assertTrue(p.outer().reload().ok());
                    assertThrows(IllegalArgumentException.class, () -> p.outer().port("r1"));
                    // From 127.0.0.2, so the late socket can never connect to itself on the freed port.
                    try (Socket late = new Socket()) {
                        late.bind(new InetSocketAddress("127.0.0.2", 0));
                        assertThrows(
                                IOException.class, () -> late.connect(new InetSocketAddress("127.0.0.1", port), 5000));
                    }
                    assertEquals(1, echo.accepted.get(), "only the open session reached the target");
                    assertEquals("still open", TunnelTest.roundTrip(s, "still open"));
                }
            }
        }
    }

    @Test
    void aBrokenFileLeavesEverythingServingAndSaysWhyAsAtStartup() throws Exception {
        try (Target echo = Target.echo()) {
            Path file = write("", "r0 -> " + echo.address());
            try (Pair p = Pair.start(file)) {
                AdminClient admin = new AdminClient(p.outer().adminPort());
                Files.writeString(
                        file, Files.readString(file).replace("\"127.0.0.1:0\", \"target\"", "70000, \"target\""));
                AdminClient.Response r = admin.post("/reload");
                assertEquals(400, r.status(), r.body());
                JsonNode body = JSON.readTree(r.body());
                String startup = assertThrows(
                                ConfigException.class, () -> source(file).load())
                        .getMessage();
                assertEquals(startup, body.get("error").asText(), "the same text as at startup");
                assertEquals(1, admin.sample("relay_config_reloads_total{result=\"failure\"}"));
                assertEquals(
                        1,
                        JSON.readTree(admin.get("/status").body())
                                .get("config")
                                .get("generation")
                                .asInt());
                try (Socket s = p.connect("r0")) {
                    assertEquals("untouched", TunnelTest.roundTrip(s, "untouched"));
                }
            }
        }
    }

    @Test
    void aReloadUnderLoadLosesNoSession() throws Exception {
        int sessions = 300;
        try (Target echo = Target.echo();
                ExecutorService users = Executors.newVirtualThreadPerTaskExecutor()) {
            Path file = write("", "r0 -> " + echo.address());
            try (Pair p = Pair.start(file)) {
                int port = p.outer().port("r0");
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < sessions; i++) {
                    String hello = "user " + i;
                    results.add(users.submit(() -> {
                        try (Socket s = new Socket("127.0.0.1", port)) {
                            s.setSoTimeout(20_000);
                            return TunnelTest.roundTrip(s, hello);
                        }
                    }));
                }
                for (int i = 0; i < 6; i++) {
                    // A second route comes and goes while the users arrive.
                    if (i % 2 == 0) {
                        write("", "r0 -> " + echo.address(), "r1 -> " + echo.address());
                    } else {
                        write("", "r0 -> " + echo.address());
                    }
                    assertTrue(p.outer().reload().ok());
                }
                for (int i = 0; i < sessions; i++) {
                    assertEquals("user " + i, results.get(i).get(), "user " + i);
                }
                assertEquals(sessions, echo.accepted.get());
            }
        }
    }

    @Test
    void aMovedListenerMovesAndAPortInUseKeepsTheOldOne() throws Exception {
        try (Target echo = Target.echo();
                ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path file = write("", "r0 -> " + echo.address());
            try (Pair p = Pair.start(file)) {
                int before = p.outer().port("r0");
                String moved = Files.readString(file)
                        .replace(
                                "\"127.0.0.1:0\", \"target\"",
                                "\"127.0.0.1:" + taken.getLocalPort() + "\", \"target\"");
                Files.writeString(file, moved);
                AdminServer.Reload r = p.outer().reload();
                assertTrue(r.ok());
                assertTrue(
                        r.applied().stream().anyMatch(a -> a.contains("NOT moved")),
                        r.applied().toString());
                assertEquals(before, p.outer().port("r0"), "kept the old port");
                try (Socket s = p.connect("r0")) {
                    assertEquals("kept", TunnelTest.roundTrip(s, "kept"));
                }
                // Another address (every 127.x is loopback), any free port: the listener moves there.
                Files.writeString(file, moved.replace("127.0.0.1:" + taken.getLocalPort(), "127.0.0.2:0"));
                assertTrue(p.outer().reload().ok());
                try (Socket s = new Socket("127.0.0.2", p.outer().port("r0"))) {
                    s.setSoTimeout(10_000);
                    assertEquals("moved", TunnelTest.roundTrip(s, "moved"));
                }
                assertThrows(IOException.class, () -> new Socket("127.0.0.1", before).close(), "the old port closed");
            }
        }
    }

    @Test
    void settingsThatNeedARestartAreReportedAndKept() throws Exception {
        try (Target echo = Target.echo()) {
            Path file = write("", "r0 -> " + echo.address());
            try (Pair p = Pair.start(file)) {
                Files.writeString(file, Files.readString(file).replace(TOKEN, "another-token-0123456789abcdef"));
                AdminServer.Reload r = p.outer().reload();
                assertTrue(r.ok());
                assertEquals(List.of("token"), r.needsRestart());
                try (Socket s = p.connect("r0")) {
                    assertEquals("same token", TunnelTest.roundTrip(s, "same token"));
                }
            }
        }
    }

    @Test
    void theInnerReloadsItsAllowTargetsAndPoolOnRequest() throws Exception {
        try (Target a = Target.echo();
                Target b = Target.echo()) {
            Path file = write("", "ra -> " + a.address(), "rb -> " + b.address());
            ConfigSource<OuterConfig> outerSource = source(file);
            try (Outer outer = Outer.start(outerSource.load(), outerSource)) {
                Path innerFile = dir.resolve("inner.json");
                writeInner(innerFile, outer.controlPort(), 2, a.address(), b.address());
                ConfigSource<InnerConfig> innerSource = new ConfigSource<>() {
                    @Override
                    public InnerConfig load() throws ConfigException {
                        return ConfigFile.load(innerFile, Map.of()).inner(null);
                    }

                    @Override
                    public String describe() {
                        return innerFile.toString();
                    }
                };
                try (Inner inner = Inner.start(innerSource.load(), innerSource)) {
                    Await.until("a pool of 2", () -> outer.pooledConnections() == 2);
                    writeInner(innerFile, outer.controlPort(), 4, a.address());
                    AdminServer.Reload r = inner.reload();
                    assertTrue(
                            r.applied().contains("inner.allowTargets"),
                            r.applied().toString());
                    Await.until("a pool of 4", () -> outer.pooledConnections() == 4);
                    try (Socket s = new Socket("127.0.0.1", outer.port("rb"))) {
                        s.setSoTimeout(10_000);
                        s.getOutputStream().write('x');
                        assertEquals(-1, s.getInputStream().read(), "rb's target is no longer allowed");
                    }
                    try (Socket s = new Socket("127.0.0.1", outer.port("ra"))) {
                        s.setSoTimeout(10_000);
                        assertEquals("still", TunnelTest.roundTrip(s, "still"));
                    }
                    assertEquals(0, b.accepted.get());
                    assertFalse(inner.lastFailure() != null, "no reconnect: " + inner.lastFailure());
                }
            }
        }
    }

    private void writeInner(Path file, int controlPort, int pool, String... allowed) throws IOException {
        Files.writeString(file, """
                { "inner": { "connect": "127.0.0.1:%d", "pool": %d, "allowTargets": [ %s ] },
                  "token": "%s",
                  "tuning": { "heartbeatSeconds": 0.2, "deadPeerSeconds": 1, "openTimeoutSeconds": 5,
                              "reconnectMinSeconds": 0.02, "reconnectMaxSeconds": 0.2 } }
                """.formatted(controlPort, pool, "\"" + String.join("\", \"", allowed) + "\"", TOKEN));
    }

    @Test
    void sighupReloadsTheOuterProcess() throws Exception {
        try (Target echo = Target.echo()) {
            Path file = write("", "r0 -> " + echo.address());
            Path log = dir.resolve("outer.log");
            Process outer = new ProcessBuilder(
                            java(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            "dev.relay.outer.OuterMain",
                            "--config",
                            file.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            try {
                Await.until("the outer to start", () -> read(log).contains("outer listening for inners"));
                // Under nohup (or anything else that starts the JVM with SIGHUP ignored) it cannot be caught at all,
                // and the outer says so; that is the environment's choice, not a failure of the reload.
                Assumptions.assumeFalse(
                        read(log).contains("SIGHUP cannot be caught here"),
                        "SIGHUP is ignored in this environment (nohup?)");
                write("", "r0 -> " + echo.address(), "r1 -> " + echo.address());
                Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(outer.pid())).start();
                assertEquals(0, kill.waitFor(), "kill -HUP");
                Await.until("the reload", () -> read(log).contains("reloaded (generation 2)"));
                Matcher m = Pattern.compile("route r1 listening on 127\\.0\\.0\\.1:(\\d+)")
                        .matcher(read(log));
                assertTrue(m.find(), read(log));
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))), 5000);
                    // No inner: the user waits; the port is open and accepting, which is what the reload did.
                }
            } finally {
                outer.destroy();
                if (!outer.waitFor(10, TimeUnit.SECONDS)) {
                    outer.destroyForcibly();
                }
            }
        }
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
}

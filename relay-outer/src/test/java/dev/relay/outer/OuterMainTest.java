package dev.relay.outer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit statuses and the messages a user sees. */
class OuterMainTest {
    private static final String TOKEN = "main-test-token-0123456789";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private OuterMain.Launch run(Map<String, String> env, String... args) {
        return OuterMain.start(args, env, new PrintStream(out, true), new PrintStream(err, true));
    }

    /** Runs a command line that must not start an outer; returns its exit status. */
    private int exitStatus(Map<String, String> env, String... args) {
        OuterMain.Launch launch = run(env, args);
        assertNull(launch.outer(), "an outer was started");
        return launch.exitStatus();
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path config(String json) throws IOException {
        Path p = dir.resolve("routes.json");
        Files.writeString(p, json);
        return p;
    }

    @Test
    void helpPrintsUsageAndNoSecret() {
        assertEquals(0, exitStatus(Map.of("RELAY_TOKEN", TOKEN), "--help"));
        String usage = out.toString(StandardCharsets.UTF_8);
        assertTrue(usage.contains("--config FILE"), usage);
        assertTrue(!usage.contains(TOKEN));
    }

    @Test
    void aMissingFileExitsWith2AndNamesIt() {
        assertEquals(
                2, exitStatus(Map.of(), "--config", dir.resolve("nope.json").toString()));
        assertTrue(err().contains("nope.json") && err().contains("no such file"), err());
    }

    @Test
    void aBadConfigExitsWith2AndNamesTheField() throws IOException {
        Path p = config("""
                { "outer": { "listen": "127.0.0.1:0" }, "token": "%s",
                  "routes": [ { "name": "ssh", "listen": 70000, "target": "10.0.0.1:22" } ] }
                """.formatted(TOKEN));
        assertEquals(2, exitStatus(Map.of(), "--config", p.toString()));
        assertTrue(err().contains(p.toString()) && err().contains("routes[0]") && err().contains("70000"), err());
    }

    @Test
    void anUnknownArgumentExitsWith2() {
        assertEquals(2, exitStatus(Map.of(), "--frobnicate"));
        assertTrue(err().contains("--frobnicate"), err());
    }

    @Test
    void aRoutePortInUseIsReportedByNameAndPortWithStatus1() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path p = config("""
                    { "outer": { "listen": "127.0.0.1:0" }, "token": "%s",
                      "routes": [ { "name": "busy", "listen": "127.0.0.1:%d", "target": "10.0.0.1:22" } ] }
                    """.formatted(TOKEN, taken.getLocalPort()));
            assertEquals(1, exitStatus(Map.of(), "--config", p.toString()));
            assertTrue(err().contains("route \"busy\"") && err().contains(":" + taken.getLocalPort()), err());
        }
    }

    @Test
    void aGoodConfigStartsAnOuterAndTheEnvironmentTokenIsUsed() throws IOException {
        Path p = config("""
                { "outer": { "listen": "127.0.0.1:0" },
                  "routes": [ { "name": "web", "listen": "127.0.0.1:0", "target": "10.0.0.1:80" } ] }
                """);
        try (Outer outer =
                run(Map.of("RELAY_TOKEN", TOKEN), "--config", p.toString()).outer()) {
            assertNotNull(outer, err());
            assertTrue(outer.controlPort() > 0);
            assertTrue(outer.port("web") > 0);
        }
    }

    @Test
    void genCertWritesAKeyOnlyItsOwnerCanReadAndAFingerprintThatAConfigCanUse() throws IOException {
        Path certs = dir.resolve("certs");
        assertEquals(
                0,
                exitStatus(
                        Map.of(),
                        "--gen-cert",
                        "--name",
                        "relay.example.com",
                        "--name",
                        "127.0.0.1",
                        "--out",
                        certs.toString()),
                err());
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.matches("(?s).*fingerprint: sha256:([0-9A-F]{2}:){31}[0-9A-F]{2}.*"), printed);
        assertEquals(
                "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve("relay.key"))));

        assertEquals(2, exitStatus(Map.of(), "--gen-cert", "--out", certs.toString()));
        assertTrue(err().contains("already exists"), err());

        Path p = config("""
                { "outer": { "listen": "127.0.0.1:0", "tls": { "cert": "certs/relay.crt", "key": "certs/relay.key" } },
                  "token": "%s",
                  "routes": [ { "name": "web", "listen": "127.0.0.1:0", "target": "10.0.0.1:80" } ] }
                """.formatted(TOKEN));
        try (Outer outer = run(Map.of(), "--config", p.toString()).outer()) {
            assertNotNull(outer, err());
        }
    }

    @Test
    void aMissingCertificateIsAConfigErrorNamingTheFile() throws IOException {
        Path p = config("""
                { "outer": { "listen": "127.0.0.1:0", "tls": { "cert": "nope.crt", "key": "nope.key" } },
                  "token": "%s",
                  "routes": [ { "name": "web", "listen": "127.0.0.1:0", "target": "10.0.0.1:80" } ] }
                """.formatted(TOKEN));
        assertEquals(2, exitStatus(Map.of(), "--config", p.toString()));
        assertTrue(err().contains("nope.crt"), err());
    }

    @Test
    void theSampleRoutesJsonIsRefusedForItsPlaceholderToken() {
        assertEquals(2, exitStatus(Map.of(), "--config", "../routes.json"));
        assertTrue(err().contains("placeholder") && err().contains("/dev/urandom"), err());
    }

    @Test
    void aTuningValueItsTimersCannotHoldIsOneLineAndStatus2() throws IOException {
        for (String tuning : new String[] {"\"heartbeatSeconds\": 4000", "\"handshakeTimeoutSeconds\": 3000000"}) {
            err.reset();
            Path p = config("""
                    { "outer": { "listen": "127.0.0.1:0" }, "token": "%s", "tuning": { %s },
                      "routes": [ { "name": "web", "listen": "127.0.0.1:0", "target": "10.0.0.1:80" } ] }
                    """.formatted(TOKEN, tuning));
            assertEquals(2, exitStatus(Map.of(), "--config", p.toString()), err());
            assertEquals(1, err().lines().count(), err());
            assertTrue(err().contains("must be at most"), err());
        }
    }
}

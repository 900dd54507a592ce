package dev.relay.inner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.HostPort;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit statuses, --connect and the messages a user sees. */
class InnerMainTest {
    private static final String TOKEN = "main-test-token-0123456789";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private InnerMain.Launch run(Map<String, String> env, String... args) {
        return InnerMain.start(args, env, new PrintStream(out, true), new PrintStream(err, true));
    }

    /** Runs a command line that must not start an inner; returns its exit status. */
    private int exitStatus(Map<String, String> env, String... args) {
        InnerMain.Launch launch = run(env, args);
        assertNull(launch.inner(), "an inner was started");
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
    void helpPrintsUsage() {
        assertEquals(0, exitStatus(Map.of(), "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--connect HOST:PORT"));
    }

    @Test
    void aShortTokenExitsWith2() throws IOException {
        Path p = config("""
                { "inner": { "connect": "127.0.0.1:7000" }, "token": "short" }
                """);
        assertEquals(2, exitStatus(Map.of(), "--config", p.toString()));
        assertTrue(err().contains("token") && err().contains("16"), err());
        assertTrue(!err().contains("\"short\""), "the message must not echo the secret: " + err());
    }

    @Test
    void aMalformedConnectFlagExitsWith2AndNamesIt() throws IOException {
        Path p = config("""
                { "inner": { "connect": "127.0.0.1:7000" }, "token": "%s" }
                """.formatted(TOKEN));
        assertEquals(2, exitStatus(Map.of(), "--config", p.toString(), "--connect", "no-port-here"));
        assertTrue(err().contains("--connect") && err().contains("no-port-here"), err());
    }

    @Test
    void withoutAnInnerSectionTheMessageSaysWhatIsMissing() throws IOException {
        Path p = config("""
                { "token": "%s" }
                """.formatted(TOKEN));
        assertEquals(2, exitStatus(Map.of(), "--config", p.toString()));
        assertTrue(err().contains("inner.connect"), err());
    }

    @Test
    void connectOnTheCommandLineIsEnoughToStart() throws IOException {
        Path p = config("""
                { "token": "%s" }
                """.formatted(TOKEN));
        try (Inner inner = run(Map.of(), "--config", p.toString(), "--connect", "127.0.0.1:9")
                .inner()) {
            assertNotNull(inner, err());
        }
    }

    @Test
    void connectMayBeRepeatedToDialSeveralOuters() throws IOException {
        Path p = config("""
                { "inner": { "connect": "127.0.0.1:7" }, "token": "%s" }
                """.formatted(TOKEN));
        try (Inner inner = run(
                        Map.of(), "--config", p.toString(), "--connect", "127.0.0.1:9", "--connect", "127.0.0.2:9")
                .inner()) {
            assertNotNull(inner, err());
            assertEquals(List.of(new HostPort("127.0.0.1", 9), new HostPort("127.0.0.2", 9)), inner.outers());
        }
        assertEquals(
                2,
                exitStatus(Map.of(), "--config", p.toString(), "--connect", "127.0.0.1:9", "--connect", "127.0.0.1:9"));
        assertTrue(err().contains("listed twice"), err());
    }

    @Test
    void theSampleRoutesJsonIsRefusedForItsPlaceholderToken() {
        assertEquals(2, exitStatus(Map.of(), "--config", "../routes.json"));
        assertTrue(err().contains("placeholder") && err().contains("/dev/urandom"), err());
    }
}

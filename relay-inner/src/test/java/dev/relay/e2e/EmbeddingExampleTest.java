package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.config.Token;
import dev.relay.inner.Inner;
import dev.relay.outer.Outer;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's embedding example, as written there, so it keeps compiling and working. */
@ExtendWith(NoLeaks.class)
class EmbeddingExampleTest {

    @Test
    void theReadmeExampleExposesALocalPort() throws Exception {
        try (Target app = Target.echo()) {
            int appPort = app.port();
            // --- as in README.md, "Embedding" ---
            Token token = new Token("embedding-example-token-0123");
            Route route = Route.of("app", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", appPort));
            try (Outer outer = Outer.start(OuterConfig.of(new HostPort("127.0.0.1", 0), token, List.of(route)));
                    Inner inner = Inner.start(InnerConfig.of(new HostPort("127.0.0.1", outer.controlPort()), token))) {
                assertTrue(inner.awaitConnected(Duration.ofSeconds(5)));
                int publicPort = outer.port("app");
                // --- end of the example ---
                try (Socket s = new Socket("127.0.0.1", publicPort)) {
                    s.setSoTimeout(10_000);
                    assertEquals("embedded", TunnelTest.roundTrip(s, "embedded"));
                }
            }
        }
    }

    @Test
    void theExampleAboveIsTheOneInTheReadme() throws Exception {
        String md = Files.readString(Path.of("../README.md"));
        int open = md.indexOf("```java\n", md.indexOf("## Embedding"));
        String readme = md.substring(open + 8, md.indexOf("```", open + 8));
        String source = Files.readString(Path.of("src/test/java/dev/relay/e2e/EmbeddingExampleTest.java"));
        String example = flat(source.substring(
                source.indexOf("// --- as in README.md"), source.indexOf("// --- end of the example")));
        int from = 0;
        for (String line : readme.lines().toList()) {
            // The test's two departures from the text: a fixed token, and an assertion around the wait.
            String expected = flat(line.replaceAll("//.*", "")
                    .replace("System.getenv(\"RELAY_TOKEN\")", "\"embedding-example-token-0123\"")
                    .replace(
                            "inner.awaitConnected(Duration.ofSeconds(5));",
                            "assertTrue(inner.awaitConnected(Duration.ofSeconds(5)));"));
            if (expected.isEmpty() || expected.equals("}") || expected.startsWith("runTheTestAgainst")) {
                continue;
            }
            int at = example.indexOf(expected, from);
            assertTrue(at >= 0, "README line not in the test, in order: " + line);
            from = at + expected.length();
        }
    }

    private static String flat(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }
}

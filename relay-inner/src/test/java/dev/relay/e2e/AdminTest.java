package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.AdminConfig;
import dev.relay.config.HostPort;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.config.Token;
import dev.relay.net.Sockets;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admin endpoints of a real outer and inner: metrics in the exposition format that count what the tunnel did,
 * status, health and readiness, the token, and clients that try to hold it up.
 */
@ExtendWith(NoLeaks.class)
class AdminTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HostPort ANY_LOOPBACK_PORT = new HostPort("127.0.0.1", 0);
    /** One line of the text format: a comment, or a sample with optional labels and a number. */
    private static final Pattern LINE = Pattern.compile("# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*"
            + "|[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\\n]|\\\\.)*\",?)*\\})?"
            + " (-?[0-9.eE+-]+|NaN|[+-]Inf)");

    /** A tunnel whose outer (and, when started, inner) serve an admin endpoint on a free loopback port. */
    private static TestTunnel tunnel(Target echo, Token token) throws IOException {
        return tunnel(new HostPort("127.0.0.1", echo.port()), token);
    }

    private static TestTunnel tunnel(HostPort target, Token token) throws IOException {
        Route r0 = Route.of("r0", ANY_LOOPBACK_PORT, target);
        OuterConfig c = new OuterConfig(ANY_LOOPBACK_PORT, TestTunnel.TOKEN, List.of(r0), TestTunnel.FAST)
                .withAdmin(new AdminConfig(ANY_LOOPBACK_PORT, token));
        return new TestTunnel(c, null);
    }

    @Test
    void metricsAreTheTextFormatAndCountWhatTheTunnelDid() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, null)) {
            t.startInner(t.innerConfig().withAdmin(AdminConfig.local(ANY_LOOPBACK_PORT)));
            for (int i = 0; i < 3; i++) {
                try (Socket s = t.connect()) {
                    assertEquals("hello", TunnelTest.roundTrip(s, "hello"));
                }
            }
            AdminClient outer = new AdminClient(t.outer.adminPort());
            Await.until(
                    "the three sessions to end on the outer",
                    () -> outer.sample("relay_sessions_total{route=\"r0\",result=\"ok\"}") == 3);
            AdminClient.Response r = outer.get("/metrics");
            assertEquals(200, r.status());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", r.header("Content-Type"));
            for (String line : r.body().lines().toList()) {
                assertTrue(LINE.matcher(line).matches(), "not the text format: " + line);
            }
            assertEquals(15, outer.sample("relay_bytes_total{route=\"r0\",direction=\"up\"}"));
            assertEquals(15, outer.sample("relay_bytes_total{route=\"r0\",direction=\"down\"}"));
            assertEquals(3, outer.sample("relay_open_duration_seconds_count{route=\"r0\"}"));
            assertEquals(1, outer.sample("relay_inners_connected"));
            assertEquals(0, outer.sample("relay_sessions_active{route=\"r0\"}"));
            assertTrue(outer.sample("process_resident_memory_bytes") > 0);
            assertTrue(outer.sample("process_open_fds") > 0);
            assertTrue(r.body().contains("process_cpu_seconds_total "), "CPU time");
            assertTrue(r.body().contains("process_start_time_seconds "), "start time");

            AdminClient inner = new AdminClient(t.inner.adminPort());
            Await.until(
                    "the sessions to end on the inner",
                    () -> inner.sample("relay_sessions_total{route=\"r0\",result=\"ok\"}") == 3);
            assertEquals(15, inner.sample("relay_bytes_total{route=\"r0\",direction=\"up\"}"));
            assertEquals(
                    1,
                    inner.sample("relay_control_channel_up{outer=\""
                            + t.innerConfig().connect().get(0) + "\"}"));
        }
    }

    @Test
    void aRefusedUserAndAFailedTargetAreCountedByResult() throws Exception {
        try (RefusingPort refusing = new RefusingPort();
                TestTunnel t = tunnel(refusing.address(), null)) {
            t.startInner();
            try (Socket s = t.connect()) {
                s.getOutputStream().write('x');
                assertEquals(-1, s.getInputStream().read());
            }
            AdminClient outer = new AdminClient(t.outer.adminPort());
            // On a pooled connection the inner answers a failed target with a reset before any byte: the outer counts
            // that session as target_failed, like an OpenFailed on the control channel.
            Await.until(
                    "the failure to be counted",
                    () -> outer.sample("relay_sessions_total{route=\"r0\",result=\"target_failed\"}") == 1);
            assertEquals(0, outer.sample("relay_sessions_total{route=\"r0\",result=\"ok\"}"));
            JsonNode route =
                    JSON.readTree(outer.get("/status").body()).get("routes").get(0);
            assertEquals(1, route.get("sessionsTotal").asInt());
        }
    }

    @Test
    void statusHealthAndReadinessSayWhatIsTrue() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, null)) {
            AdminClient outer = new AdminClient(t.outer.adminPort());
            assertEquals(200, outer.get("/healthz").status());
            AdminClient.Response notReady = outer.get("/readyz");
            assertEquals(503, notReady.status());
            assertTrue(notReady.body().contains("no inner is connected"), notReady.body());

            t.startInner();
            Await.until("ready", () -> outer.get("/readyz").status() == 200);
            try (Socket s = t.connect()) {
                assertEquals("x", TunnelTest.roundTrip(s, "x"));
                JsonNode status = JSON.readTree(outer.get("/status").body());
                assertEquals("outer", status.get("side").asText());
                assertEquals(1, status.get("config").get("generation").asInt());
                assertEquals(
                        "test-inner", status.get("inners").get(0).get("name").asText());
                JsonNode route = status.get("routes").get(0);
                assertEquals("r0", route.get("name").asText());
                assertEquals(echo.address(), route.get("target").asText());
                assertEquals(
                        "127.0.0.1:" + t.outer.port("r0"), route.get("listen").asText());
                assertEquals(1, route.get("sessionsActive").asInt());
                assertEquals(1, status.get("sessionsActive").asInt());
            }
            AdminClient.Response page = outer.get("/");
            assertEquals(200, page.status());
            assertTrue(page.header("Content-Type").startsWith("text/html"), page.header("Content-Type"));
            // One self-contained file: it polls this server's status, and loads nothing from anywhere else.
            assertTrue(page.body().contains("fetch(\"status\""), "the page polls /status");
            assertFalse(page.body().contains(" src="), "no script or image loaded from elsewhere");
            assertFalse(page.body().contains("https://"), "no CDN");
            assertEquals(404, outer.get("/nope").status());
            assertEquals(405, outer.post("/status").status());
        }
    }

    @Test
    void aTokenGuardsEverythingButTheProbesAndThePageShell() throws Exception {
        String token = "admin-token-0123456789abcdef";
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, new Token(token))) {
            int port = t.outer.adminPort();
            assertEquals(401, new AdminClient(port).get("/metrics").status());
            assertEquals(
                    401,
                    new AdminClient(port, "admin-token-0123456789abcdeX")
                            .get("/status")
                            .status());
            assertEquals(401, new AdminClient(port).post("/reload").status());
            assertEquals(200, new AdminClient(port, token).get("/metrics").status());
            assertEquals(200, new AdminClient(port).get("/healthz").status());
            assertEquals(503, new AdminClient(port).get("/readyz").status());
            assertEquals(200, new AdminClient(port).get("/").status());
        }
    }

    @Test
    void slowHugeAndMalformedRequestsCannotHoldTheEndpointOrItsMemory() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, null)) {
            int port = t.outer.adminPort();
            int before = NoLeaks.openFiles();
            try {
                // More slow clients than the endpoint takes at once: each sends half a request line and waits.
                for (int i = 0; i < 300; i++) {
                    Socket s = new Socket();
                    slow.add(s);
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    s.getOutputStream().write("GET /metr".getBytes(StandardCharsets.US_ASCII));
                }
                int held = NoLeaks.openFiles() - before - slow.size();
                assertTrue(held <= 140, "descriptors the endpoint holds for 300 slow clients: " + held);

                // A megabyte of headers is refused, not read into memory.
                try (Socket huge = new Socket("127.0.0.1", port)) {
                    huge.setSoTimeout(10_000);
                    OutputStream out = huge.getOutputStream();
                    try {
                        out.write("GET /status HTTP/1.1\r\nX-Big: ".getBytes(StandardCharsets.US_ASCII));
                        out.write("a".repeat(1 << 20).getBytes(StandardCharsets.US_ASCII));
                        out.write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        String answer = new String(huge.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                        assertTrue(answer.isEmpty() || !answer.contains(" 200 "), answer);
                    } catch (IOException closed) {
                        // Reset before all of it was written: refused, as it should be.
                    }
                }
                // Garbage instead of a request line gets an error or a close, never a page.
                try (Socket bad = new Socket("127.0.0.1", port)) {
                    bad.setSoTimeout(10_000);
                    bad.getOutputStream().write("\u0000\u00ff NONSENSE\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    try {
                        String answer = new String(bad.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                        assertTrue(!answer.contains(" 200 "), answer);
                    } catch (IOException reset) {
                        // Closed with a reset: refused.
                    }
                }
            } finally {
                slow.forEach(Sockets::closeQuietly);
            }
            // Once the slow clients go, the endpoint serves again; the tunnel served throughout.
            Await.until("the endpoint to serve again", () -> servesHealthz(port));
        }
    }

    /** Whether /healthz answers 200 now; while the endpoint is still shedding the slow clients, it may just close. */
    private static boolean servesHealthz(int port) {
        try {
            return new AdminClient(port).get("/healthz").status() == 200;
        } catch (AssertionError | UncheckedIOException notYet) {
            return false;
        }
    }
}

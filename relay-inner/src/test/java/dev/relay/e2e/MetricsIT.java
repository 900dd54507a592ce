package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.AdminConfig;
import dev.relay.config.HostPort;
import dev.relay.config.OuterConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics against the real Prometheus tools: promtool's checker, and a Prometheus server that scrapes it. */
class MetricsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HostPort ANY = new HostPort("127.0.0.1", 0);

    @TempDir
    Path dir;

    private static TestTunnel tunnel(Target echo) throws Exception {
        OuterConfig c = new OuterConfig(ANY, TestTunnel.TOKEN, List.of(TestTunnel.route("r0", echo)), TestTunnel.FAST)
                .withAdmin(AdminConfig.local(ANY));
        TestTunnel t = new TestTunnel(c, null);
        t.startInner(t.innerConfig().withAdmin(AdminConfig.local(ANY)));
        for (int i = 0; i < 3; i++) {
            try (Socket s = t.connect()) {
                assertEquals("m", TunnelTest.roundTrip(s, "m"));
            }
        }
        return t;
    }

    @Test
    void promtoolFindsNothingWrongWithEitherSidesMetrics() throws Exception {
        OutsideProgram.requireInstalled("promtool");
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo)) {
            for (int port : new int[] {t.outer.adminPort(), t.inner.adminPort()}) {
                String metrics = new AdminClient(port).get("/metrics").body();
                Process p = new ProcessBuilder("promtool", "check", "metrics")
                        .redirectErrorStream(true)
                        .start();
                p.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().close();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                p.getInputStream().transferTo(out);
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), "promtool check metrics:\n" + out + "\non:\n" + metrics);
                assertEquals("", out.toString(StandardCharsets.UTF_8).trim(), "promtool's complaints");
            }
        }
    }

    @Test
    void aRealPrometheusServerScrapesTheOuter() throws Exception {
        OutsideProgram.requireInstalled("prometheus");
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo)) {
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: relay-outer
                        static_configs:
                          - targets: ["127.0.0.1:%d"]
                    """.formatted(t.outer.adminPort()));
            try (OutsideProgram prometheus = OutsideProgram.start(
                    dir.resolve("prometheus.log"),
                    "prometheus",
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:0")) {
                int port = prometheus.awaitListening(1).get(0);
                Await.until(
                        "Prometheus to scrape relay's outer with success",
                        Duration.ofSeconds(60),
                        () -> value(port, "up{job=\"relay-outer\"}") == 1);
                Await.until(
                        "Prometheus to have relay's session count",
                        Duration.ofSeconds(30),
                        () -> value(port, "relay_sessions_total{route=\"r0\",result=\"ok\"}") == 3);
                assertTrue(value(port, "relay_inners_connected") == 1, prometheus.log());
            }
        }
    }

    /** The value of an instant query, or -1 when Prometheus has no answer yet. */
    private static double value(int port, String query) {
        AdminClient.Response r =
                new AdminClient(port).get("/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
        try {
            JsonNode result = JSON.readTree(r.body()).path("data").path("result");
            return result.isEmpty() ? -1 : result.get(0).get("value").get(1).asDouble();
        } catch (IOException e) {
            return -1;
        }
    }
}

package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/deploy.md for real: two outer processes and one inner process started as the page's systemd units start them,
 * with the page's JSON files, behind a real HAProxy with the page's config. Only addresses, ports, file paths and the
 * fingerprint are replaced: each outer gets a loopback address of its own (127.x.y.z) as it would a host of its own.
 * Users through HAProxy reach the target; when one outer stops, HAProxy's check on /readyz takes it out and new users
 * are served by the other. Every process is stopped by the test.
 */
class SeveralOutersIT {
    @TempDir
    Path dir;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void twoOutersBehindHaproxyServeOneInnerAndOneCanGoAway() throws Exception {
        OutsideProgram.requireInstalled("haproxy");
        InetAddress ipA = randomLoopback();
        InetAddress ipB = randomLoopback();
        // The same three ports on both outers, as the page gives every outer the same file.
        int[] ports = commonFreePorts(3, ipA, ipB);
        int control = ports[0];
        int admin = ports[1];
        int route = ports[2];
        InetSocketAddress front = HaproxyIT.freeAddress();
        TestCert cert = TestCert.shared();
        Files.copy(cert.cert(), dir.resolve("relay.crt"));
        Files.copy(cert.key(), dir.resolve("relay.key"));

        try (Target echo = Target.echo()) {
            Path outerA = writeOuter("outer-a.json", ipA, control, admin, route, echo);
            Path outerB = writeOuter("outer-b.json", ipB, control, admin, route, echo);
            String innerJson = replace(
                    DeployDoc.block("inner.json"),
                    "outer-a.example.com:7000",
                    host(ipA) + ":" + control,
                    "outer-b.example.com:7000",
                    host(ipB) + ":" + control,
                    "sha256:AB:CD:...",
                    cert.fingerprint(),
                    "192.168.1.5:80",
                    echo.address(),
                    "127.0.0.1:9701",
                    "127.0.0.1:0");
            Path inner = Files.writeString(dir.resolve("inner.json"), innerJson);
            String haproxyCfg = replace(
                    DeployDoc.block("haproxy.cfg"),
                    "203.0.113.10:8080",
                    host(front.getAddress()) + ":" + front.getPort(),
                    "10.0.0.21:8080",
                    host(ipA) + ":" + route,
                    "10.0.0.22:8080",
                    host(ipB) + ":" + route,
                    "port 9700",
                    "port " + admin);
            Path cfg = Files.writeString(dir.resolve("haproxy.cfg"), haproxyCfg);
            for (String side : List.of("outer", "inner")) {
                verifyUnit(side);
            }

            List<OutsideProgram> started = new ArrayList<>();
            try (OutsideProgram a = started(started, unitCommand("outer", outerA), "outer-a.log");
                    OutsideProgram b = started(started, unitCommand("outer", outerB), "outer-b.log")) {
                // An outer with no inner is up but not ready: the balancer must send it nobody.
                Await.until(
                        "outer-a's admin endpoint to answer (log: " + a.log() + ")",
                        Duration.ofSeconds(30),
                        () -> readyz(ipA, admin) != -1);
                assertEquals(503, readyz(ipA, admin), "outer-a has no inner yet");
                try (OutsideProgram in = started(started, unitCommand("inner", inner), "inner.log")) {
                    serveThroughHaproxy(a, b, in, ipA, ipB, control, admin, front, cfg);
                }
            } finally {
                for (OutsideProgram p : started) {
                    assertFalse(p.isAlive(), "still running: " + p);
                }
            }
        }
    }

    private void serveThroughHaproxy(
            OutsideProgram a,
            OutsideProgram b,
            OutsideProgram in,
            InetAddress ipA,
            InetAddress ipB,
            int control,
            int admin,
            InetSocketAddress front,
            Path cfg)
            throws Exception {
        Await.until(
                "both outers to be ready, with the inner connected (inner log: " + in.log() + ")",
                Duration.ofSeconds(30),
                () -> ready(ipA, admin) && ready(ipB, admin));
        try (OutsideProgram haproxy =
                OutsideProgram.start(dir.resolve("haproxy.log"), "haproxy", "-f", cfg.toString(), "-db")) {
            haproxy.awaitListening(1);
            for (int i = 0; i < 6; i++) {
                assertEquals("user " + i, through(front, "user " + i), haproxy.log());
            }
            // leastconn on idle outers takes turns; both served, each seeing the user's own address.
            Await.until("both outers to log their sessions", () -> sessions(a) > 0 && sessions(b) > 0);
            assertTrue(a.log().contains("user=127.0.0.2:"), "the PROXY header gave the user's address: " + a.log());

            a.close();
            Await.until(
                    "HAProxy to take outer-a out (log: " + haproxy.log() + ")",
                    Duration.ofSeconds(20),
                    () -> haproxy.log().contains("outer-a is DOWN"));
            int before = sessions(b);
            for (int i = 0; i < 6; i++) {
                assertEquals("after " + i, through(front, "after " + i), haproxy.log());
            }
            Await.until("outer-b to serve every new user", () -> sessions(b) == before + 6);
            assertTrue(in.isAlive(), "the inner runs on: " + in.log());
            assertTrue(in.log().contains("outer at " + host(ipA) + ":" + control), in.log());
        }
    }

    private Path writeOuter(String name, InetAddress ip, int control, int admin, int route, Target echo)
            throws IOException {
        String json = replace(
                DeployDoc.block("outer.json"),
                "\"0.0.0.0:7000\"",
                "\"" + host(ip) + ":" + control + "\"",
                "\"0.0.0.0:9700\"",
                "\"" + host(ip) + ":" + admin + "\"",
                "\"listen\": 8080",
                "\"listen\": \"" + host(ip) + ":" + route + "\"",
                "\"10.0.0.10\"",
                "\"127.0.0.0/8\"",
                "192.168.1.5:80",
                echo.address());
        return Files.writeString(dir.resolve(name), json);
    }

    /** The unit's ExecStart, run from this test's classes instead of /opt/relay, with {@code config} for its file. */
    private static List<String> unitCommand(String side, Path config) throws IOException {
        Matcher exec = Pattern.compile("(?m)^ExecStart=(.*)$").matcher(DeployDoc.block("relay-" + side + ".service"));
        assertTrue(exec.find());
        List<String> words = new ArrayList<>(List.of(exec.group(1).split(" ")));
        assertEquals(List.of("/usr/bin/java", "-jar", "/opt/relay/relay-" + side + ".jar"), words.subList(0, 3));
        List<String> command = new ArrayList<>(List.of(
                java(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.relay." + side + "." + (side.equals("outer") ? "OuterMain" : "InnerMain")));
        for (String w : words.subList(3, words.size())) {
            command.add(w.equals("/etc/relay/" + side + ".json") ? config.toString() : w);
        }
        assertTrue(command.contains(config.toString()), "the unit names /etc/relay/" + side + ".json: " + words);
        return command;
    }

    /** {@code systemd-analyze verify} finds nothing to say about the page's unit. */
    private void verifyUnit(String side) throws Exception {
        OutsideProgram.requireInstalled("systemd-analyze");
        String unit = DeployDoc.block("relay-" + side + ".service").replace("/usr/bin/java", java());
        Path file = Files.writeString(dir.resolve("relay-" + side + ".service"), unit);
        Process p = new ProcessBuilder("systemd-analyze", "verify", file.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), out);
        assertEquals("", out, "systemd-analyze verify relay-" + side + ".service");
    }

    private OutsideProgram started(List<OutsideProgram> all, List<String> command, String log) throws IOException {
        OutsideProgram p = OutsideProgram.start(dir.resolve(log), command.toArray(String[]::new));
        all.add(p);
        return p;
    }

    private boolean ready(InetAddress ip, int port) {
        return readyz(ip, port) == 200;
    }

    /** The status /readyz answers with, or -1 when nothing answers. */
    private int readyz(InetAddress ip, int port) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://" + host(ip) + ":" + port + "/readyz"))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** A user from 127.0.0.2, through HAProxy: sends {@code text} and reads the echo. */
    private static String through(InetSocketAddress front, String text) throws IOException {
        try (Socket user = new Socket()) {
            user.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
            user.connect(front, 5000);
            user.setSoTimeout(10_000);
            return TunnelTest.roundTrip(user, text);
        }
    }

    private static int sessions(OutsideProgram outer) {
        return outer.log().split("session open ", -1).length - 1;
    }

    /** Replaces each pair in turn, failing when the page no longer has the text, so that it cannot drift untested. */
    private static String replace(String text, String... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            assertTrue(text.contains(pairs[i]), "docs/deploy.md no longer has " + pairs[i] + " in:\n" + text);
            text = text.replace(pairs[i], pairs[i + 1]);
        }
        return text;
    }

    private static String host(InetAddress a) {
        return a.getHostAddress();
    }

    private static InetAddress randomLoopback() throws IOException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return InetAddress.getByAddress(
                new byte[] {127, (byte) r.nextInt(1, 255), (byte) r.nextInt(1, 255), (byte) r.nextInt(2, 255)});
    }

    /** {@code n} ports free on every one of {@code addresses}, found by binding them all, then released. */
    private static int[] commonFreePorts(int n, InetAddress... addresses) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        int[] ports = new int[n];
        try {
            for (int found = 0; found < n; ) {
                ServerSocket first = new ServerSocket(0, 1, addresses[0]);
                held.add(first);
                int p = first.getLocalPort();
                boolean free = true;
                for (int i = 1; i < addresses.length && free; i++) {
                    try {
                        held.add(new ServerSocket(p, 1, addresses[i]));
                    } catch (IOException taken) {
                        free = false;
                    }
                }
                if (free) {
                    ports[found++] = p;
                }
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    private static String java() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}

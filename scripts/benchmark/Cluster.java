package benchmark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two outers and two inners, each {@code java -jar} with no JVM flags, plain TCP: each inner dials both outers, each
 * outer lists both inners in {@code outer.inners} with a token of their own, and offers one echo route to the run's echo
 * target. relay's default limits (tuning.maxSessions 8,000) hold the 5,000 sessions each outer and each inner carries.
 * Started only by the scale section, and stopped at its end.
 */
final class Cluster implements AutoCloseable {
    static final List<String> OUTERS = List.of("outer-1", "outer-2");
    static final List<String> INNERS = List.of("inner-a", "inner-b");
    static final Duration READY = Duration.ofSeconds(40);
    static final long POLL_MILLIS = 100;
    private static final Pattern INNER_SESSIONS =
            Pattern.compile("(?m)^relay_inner_sessions_total\\{[^}]*inner=\"([^\"]+)\"[^}]*} ([0-9.eE+]+)$");

    private final Run run;
    private final Map<String, Process> processes = new LinkedHashMap<>();
    final int[] controlPorts = new int[OUTERS.size()];
    final int[] adminPorts = new int[OUTERS.size()];
    final int[] routePorts = new int[OUTERS.size()];
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Cluster(Run run) {
        this.run = run;
    }

    static Cluster start(Run run) throws Exception {
        Cluster c = run.closing(new Cluster(run));
        c.startAll();
        return c;
    }

    private void startAll() throws Exception {
        Map<String, String> tokens = new LinkedHashMap<>();
        SecureRandom random = new SecureRandom();
        for (String inner : INNERS) {
            tokens.put(inner, HexFormat.of().formatHex(random.generateSeed(Run.TOKEN_BYTES)));
        }
        StringBuilder inners = new StringBuilder();
        tokens.forEach((name, token) -> inners.append(inners.isEmpty() ? "" : ", ")
                .append("\"%s\": { \"token\": \"%s\" }".formatted(name, token)));
        List<String> connect = new ArrayList<>();
        for (int i = 0; i < OUTERS.size(); i++) {
            controlPorts[i] = Net.freePort();
            adminPorts[i] = Net.freePort();
            routePorts[i] = Net.freePort();
            connect.add("\"127.0.0.1:" + controlPorts[i] + "\"");
            String json = """
                    {
                      "outer": { "listen": "127.0.0.1:%d", "admin": { "listen": "127.0.0.1:%d" }, "inners": { %s } },
                      "routes": [ { "name": "echo", "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" } ]
                    }
                    """.formatted(
                            controlPorts[i],
                            adminPorts[i],
                            inners,
                            routePorts[i],
                            run.targets.ports().echo());
            start(OUTERS.get(i), run.outerJar(), json);
        }
        for (String inner : INNERS) {
            String json = """
                    {
                      "inner": { "connect": [ %s ], "name": "%s", "pool": %d },
                      "token": "%s"
                    }
                    """.formatted(String.join(", ", connect), inner, run.options.pool(), tokens.get(inner));
            start(inner, run.innerJar(), json);
        }
        awaitReady();
        System.out.println("  cluster: " + describe());
    }

    private void start(String name, Path jar, String json) throws IOException {
        Path file = Files.writeString(run.work.resolve("scale-" + name + ".json"), json);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        processes.put(
                name,
                run.children.start(
                        "scale-" + name,
                        Children.java(List.of(), "-jar", jar.toString(), "--config", file.toString())));
    }

    String describe() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < OUTERS.size(); i++) {
            b.append(OUTERS.get(i))
                    .append(" pid ")
                    .append(processes.get(OUTERS.get(i)).pid())
                    .append(" (route port ")
                    .append(routePorts[i])
                    .append("), ");
        }
        for (String inner : INNERS) {
            b.append(inner).append(" pid ").append(processes.get(inner).pid()).append(", ");
        }
        return b.append("each inner on both outers, pool ")
                .append(run.options.pool())
                .toString();
    }

    /** The four processes, outers first, by name. */
    Map<String, ProcessHandle> handles() {
        Map<String, ProcessHandle> out = new LinkedHashMap<>();
        processes.forEach((n, p) -> out.put(n, p.toHandle()));
        return out;
    }

    /** Until each outer has both inners connected and one byte echoes through each route port. */
    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + READY.toNanos();
        for (int i = 0; i < OUTERS.size(); i++) {
            while (!(innersConnected(i) == INNERS.size() && echoes(routePorts[i]))) {
                processes.forEach((n, p) -> {
                    if (!p.isAlive()) {
                        throw run.children.exited("scale-" + n, p);
                    }
                });
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(OUTERS.get(i) + " did not have both inners and an echo within "
                            + READY.toSeconds() + " s; see " + run.work);
                }
                Thread.sleep(POLL_MILLIS);
            }
        }
    }

    private int innersConnected(int outer) {
        try {
            Matcher m = Pattern.compile("(?m)^relay_inners_connected (\\S+)$").matcher(metrics(outer));
            return m.find() ? (int) Double.parseDouble(m.group(1)) : 0;
        } catch (IOException | InterruptedException | RuntimeException notYet) {
            return 0;
        }
    }

    private static boolean echoes(int port) {
        try (Socket s = new Socket()) {
            s.setSoTimeout(RelayPair.PROBE_MILLIS);
            s.connect(new InetSocketAddress(Net.LOOPBACK, port), RelayPair.PROBE_MILLIS);
            s.getOutputStream().write('r');
            return s.getInputStream().read() == 'r';
        } catch (IOException notYet) {
            return false;
        }
    }

    String metrics(int outer) throws IOException, InterruptedException {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPorts[outer] + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build();
        return http.send(get, HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Sessions each outer has started on each inner so far, keyed "outer → inner", from the outers' /metrics. */
    Map<String, Long> sessionsByPair() throws IOException, InterruptedException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < OUTERS.size(); i++) {
            Matcher m = INNER_SESSIONS.matcher(metrics(i));
            while (m.find()) {
                out.merge(OUTERS.get(i) + " → " + m.group(1), (long) Double.parseDouble(m.group(2)), Long::sum);
            }
        }
        return out;
    }

    @Override
    public void close() {
        // Inners first, so the outers do not log them as lost while they stop.
        List<Process> order = new ArrayList<>(processes.values());
        Collections.reverse(order);
        order.forEach(Children::stop);
    }
}

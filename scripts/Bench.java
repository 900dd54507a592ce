import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * {@code make bench}: relay side by side with a direct loopback connection, in one run, as issue 3 asks; and relay with
 * TLS between inner and outer, as issue 4 asks (a second outer and inner, set up as a user would with --gen-cert).
 *
 * <p>Runs in source-launcher mode ({@code $JAVA_HOME/bin/java scripts/Bench.java}), JDK classes only. The bench
 * process holds the targets (echo, sink, source) and the delay proxies, all on virtual threads with blocking I/O;
 * the outers and inners are child processes it starts from copies of the jars, and it ends exactly those, by their
 * handles, in a {@code finally} and in a shutdown hook. Everything binds 127.0.0.1, on ephemeral ports.
 *
 * <p>Threads: {@code main} runs the measurements one after another and is the only client except in the bulk and
 * concurrent-session tests, which add their own client threads.
 */
public final class Bench {
    static final InetAddress LOOPBACK = loopback();
    /** Write size for the bulk tests, and the targets' read size. */
    static final int CHUNK = 64 * 1024;

    static final Duration BULK_WARMUP = Duration.ofMillis(500);
    static final Duration BULK_MEASURE = Duration.ofSeconds(2);
    /** Bulk rounds per direction and stream count; the table shows the median. */
    static final int BULK_ROUNDS = 3;
    /** Sequential opens before any count: with a few hundred the JIT has not yet compiled the relay's open path. */
    static final int OPEN_WARMUP = 2_000;

    static final int OPEN_SESSIONS = 2_000;
    static final int OPEN_ROUNDS = 4;
    static final int PING_SIZE = 64;
    static final int PING_WARMUP = 2_000;
    static final int PING_ROUNDS = 20_000;
    static final int PING_ROUNDS_SPLIT = 4;
    static final int CONCURRENT = 5_000;
    /** Opens in flight at once while building up the concurrent sessions; below the accept backlogs. */
    static final int OPEN_PARALLEL = 64;

    static final Duration LINK_DELAY = Duration.ofMillis(10);
    static final int DELAY_WARMUP = 10;
    static final int DELAY_SESSIONS = 100;
    /** The delayed opens of each pool setting come in this many rounds, the plain and TLS inner taking turns. */
    static final int DELAY_ROUNDS = 4;

    static final int POOL = 8;
    /** What {@code --only} can pick. */
    static final List<String> SECTIONS = List.of("bulk", "open", "ping", "sessions", "link");
    /**
     * Flags for the outer and inner JVMs (see docs/performance.md for how they were chosen): the serial collector and
     * a small starting heap keep resident memory close to what the program actually holds, so per-session figures are
     * stable from run to run; the 512 MiB cap is far above what 5,000 sessions need.
     */
    static final String DEFAULT_JVM_FLAGS = "-XX:+UseSerialGC -Xms32m -Xmx512m";
    /** One log line per session open and close would cost more than some of what is measured; failures still log. */
    static final List<String> QUIET_SESSION_LOGS = List.of(
            "-Dorg.slf4j.simpleLogger.log.dev.relay.session.Session=warn",
            "-Dorg.slf4j.simpleLogger.log.dev.relay.outer.Outer=warn",
            "-Dorg.slf4j.simpleLogger.log.dev.relay.inner.Opener=warn");

    /** Ways a client reaches the target; each is a column of the table. */
    enum Via {
        DIRECT("direct"),
        /** One outer and one inner, plain TCP between them. */
        RELAY("relay"),
        /** A second outer and inner, TLS 1.3 between them (self-signed certificate, fingerprint pinned). */
        RELAY_TLS("relay (TLS)"),
        /**
         * Two chained {@code scripts/MinimalRelay.java} processes: relay's design with nothing else, the floor for
         * bulk, open and ping-pong on this machine.
         */
        MINIMAL("minimal relay");

        final String label;

        Via(String label) {
            this.label = label;
        }
    }

    /** The three target ports as one way of reaching them sees them. */
    record Endpoints(int echo, int sink, int source) {}

    /** The outer's certificate and key as {@code --gen-cert} wrote them, and the fingerprint it printed. */
    record TlsFiles(Path cert, Path key, String fingerprint) {}

    /**
     * One outer and the inner serving it: plain TCP between them, or TLS when {@code tls} is set. Its files and logs
     * are named {@code outer<suffix>}, {@code inner<suffix>}, ...
     */
    static final class Relay {
        final Via via;
        final String suffix;
        final TlsFiles tls;
        int controlPort;
        Endpoints ports;
        Process outer;
        Process inner;

        Relay(Via via, String suffix, TlsFiles tls) {
            this.via = via;
            this.suffix = suffix;
            this.tls = tls;
        }
    }

    /** What /proc says about one process at one moment. */
    record Sample(long rssKiB, int fds, int threads) {
        double rssMB() {
            return rssKiB * 1024 / 1e6;
        }
    }

    /** Percentiles of a set of durations, in nanoseconds; {@code failed} counts attempts that did not complete. */
    record Latency(long[] samples, long p50, long p99, int failed) {
        static Latency of(long[] nanos, int failed) {
            long[] s = nanos.clone();
            Arrays.sort(s);
            return new Latency(s, percentile(s, 0.50), percentile(s, 0.99), failed);
        }

        int n() {
            return samples.length;
        }

        /** The percentiles over all the samples of several rounds. */
        static Latency merge(List<Latency> rounds) {
            long[] all =
                    rounds.stream().flatMapToLong(l -> Arrays.stream(l.samples)).toArray();
            return of(all, rounds.stream().mapToInt(Latency::failed).sum());
        }

        private static long percentile(long[] sorted, double q) {
            if (sorted.length == 0) {
                return -1;
            }
            int rank = (int) Math.ceil(q * sorted.length);
            return sorted[Math.max(0, rank - 1)];
        }
    }

    /** A row of the main table: one value per {@link Via}, NaN where not measured. */
    static final class Row {
        final String metric;
        final String format;
        final EnumMap<Via, Double> values = new EnumMap<>(Via.class);
        final EnumMap<Via, String> notes = new EnumMap<>(Via.class);

        Row(String metric, String format) {
            this.metric = metric;
            this.format = format;
        }

        double get(Via v) {
            return values.getOrDefault(v, Double.NaN);
        }

        String cell(Via v) {
            if (notes.containsKey(v)) {
                return notes.get(v);
            }
            double x = get(v);
            return Double.isNaN(x) ? "n/a" : String.format(Locale.ROOT, format, x);
        }
    }

    // ---- options ----

    final Path outerJar;
    final Path innerJar;
    final List<String> jvmFlags;
    final boolean quick;
    final int concurrent;
    /** Pool size for the inner of the loopback tests; the delayed-open test runs both {@link #POOL} and 0 anyway. */
    final int loopbackPool;
    /** Seconds to wait with all concurrent sessions open, printing the pids, so the processes can be inspected. */
    final int holdPeak;
    /** The sections to run ({@link #SECTIONS}); empty means all of them, and only a full run gives PASS/FAIL lines. */
    final Set<String> only;

    final Path work;
    final String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    final long started = System.nanoTime();

    // ---- what is running ----

    final List<Process> children = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    Targets targets;
    /** The plain pair, which every PASS/FAIL line judges and the memory test measures. */
    Relay plain;
    /** The TLS pair. */
    Relay secure;
    /** The two minimal relay processes. */
    final List<Process> minimal = new ArrayList<>();
    /** The ways measured in this run, the table's columns. */
    final List<Via> vias = List.of(Via.values());

    // ---- results ----

    final Map<String, Row> rows = new LinkedHashMap<>();
    final List<String> verdicts = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    final Map<String, Sample[]> memory = new LinkedHashMap<>();
    Sample emptyJvm;
    String concurrentNote = "";

    Bench(
            Path outerJar,
            Path innerJar,
            List<String> jvmFlags,
            boolean quick,
            int concurrent,
            int loopbackPool,
            int holdPeak,
            Set<String> only)
            throws IOException {
        this.outerJar = outerJar;
        this.innerJar = innerJar;
        this.jvmFlags = jvmFlags;
        this.quick = quick;
        this.concurrent = concurrent;
        this.loopbackPool = loopbackPool;
        this.holdPeak = holdPeak;
        this.only = only;
        this.work = Files.createTempDirectory("relay-bench-");
    }

    public static void main(String[] args) throws Exception {
        Path outerJar = Path.of("relay-outer.jar");
        Path innerJar = Path.of("relay-inner.jar");
        String flags = System.getenv().getOrDefault("BENCH_JVM_FLAGS", DEFAULT_JVM_FLAGS);
        boolean quick = false;
        int concurrent = CONCURRENT;
        int pool = POOL;
        int holdPeak = 0;
        Set<String> only = Set.of();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--outer-jar" -> outerJar = Path.of(args[++i]);
                case "--inner-jar" -> innerJar = Path.of(args[++i]);
                case "--jvm-flags" -> flags = args[++i];
                case "--sessions" -> concurrent = Integer.parseInt(args[++i]);
                case "--pool" -> pool = Integer.parseInt(args[++i]);
                case "--hold-peak" -> holdPeak = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                case "--only" -> {
                    only = Set.of(args[++i].split(","));
                    if (!SECTIONS.containsAll(only)) {
                        System.err.println("bench: --only takes a comma-separated list of " + SECTIONS);
                        System.exit(2);
                    }
                }
                default -> {
                    System.err.println("usage: java scripts/Bench.java [--outer-jar F] [--inner-jar F]"
                            + " [--jvm-flags \"...\"] [--sessions N] [--pool N] [--hold-peak SECONDS] [--quick]"
                            + " [--only " + String.join(",", SECTIONS) + "]");
                    System.exit(2);
                }
            }
        }
        for (Path jar : List.of(outerJar, innerJar)) {
            if (!Files.isRegularFile(jar)) {
                System.err.println("bench: " + jar + " not found; run make jars");
                System.exit(1);
            }
        }
        List<String> jvmFlags = List.of(flags.trim().split("\\s+")).stream()
                .filter(s -> !s.isEmpty())
                .toList();
        Bench b = new Bench(outerJar, innerJar, jvmFlags, quick, concurrent, pool, holdPeak, only);
        Thread hook = new Thread(b::stopChildren, "bench-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int status;
        try {
            status = b.run();
        } finally {
            b.stopChildren();
        }
        System.exit(status);
    }

    int run() throws Exception {
        System.out.println("relay bench: logs and configs in " + work);
        System.out.println("relay bench: child JVM flags: " + String.join(" ", jvmFlags));
        // Copies, so a rebuild of the jars during the run cannot pull classes out from under a running JVM.
        Path outerCopy = Files.copy(outerJar, work.resolve("relay-outer.jar"), StandardCopyOption.REPLACE_EXISTING);
        Path innerCopy = Files.copy(innerJar, work.resolve("relay-inner.jar"), StandardCopyOption.REPLACE_EXISTING);

        targets = new Targets();
        closeables.add(targets);
        Endpoints direct =
                new Endpoints(targets.echo.getLocalPort(), targets.sink.getLocalPort(), targets.source.getLocalPort());
        plain = new Relay(Via.RELAY, "", null);
        startRelay(plain, outerCopy, innerCopy);
        startTlsRelay(outerCopy, innerCopy);
        Process empty = startEmptyJvm();

        Map<Via, Endpoints> endpoints = new EnumMap<>(Via.class);
        endpoints.put(Via.DIRECT, direct);
        endpoints.put(Via.RELAY, plain.ports);
        endpoints.put(Via.RELAY_TLS, secure.ports);
        endpoints.put(Via.MINIMAL, startMinimal(direct));

        List<Process> running = new ArrayList<>(List.of(plain.outer, plain.inner, secure.outer, secure.inner));
        running.addAll(minimal);
        settle(running, Duration.ofSeconds(10));
        waitStable(empty, Duration.ofSeconds(5));
        memory.put("idle at start", new Sample[] {sample(plain.outer), sample(plain.inner)});
        emptyJvm = sample(empty);
        stop(empty);

        if (runs("bulk")) {
            String turns = vias.stream().map(v -> v.label).collect(Collectors.joining(", "));
            section("bulk throughput (median of " + BULK_ROUNDS + " rounds, " + turns + " taking turns)");
            Duration measure = quick ? Duration.ofSeconds(1) : BULK_MEASURE;
            for (int streams : new int[] {1, 4}) {
                for (boolean forward : new boolean[] {true, false}) {
                    String what =
                            streams + (streams == 1 ? " stream, " : " streams, ") + (forward ? "forward" : "reverse");
                    Row r = row("bulk, " + what + ", Gbit/s", "%.2f");
                    var rounds = interleaved(r, vias, BULK_ROUNDS, v -> {
                        Endpoints e = endpoints.get(v);
                        return bulk(forward ? e.sink() : e.source(), forward, streams, measure);
                    });
                    for (Via v : rounds.keySet()) {
                        double[] g = rounds.get(v).stream()
                                .mapToDouble(Double::doubleValue)
                                .sorted()
                                .toArray();
                        if (g.length == BULK_ROUNDS) {
                            r.values.put(v, g[g.length / 2]);
                        }
                        System.out.printf(
                                Locale.ROOT,
                                "  %-13s %-19s %s Gbit/s%n",
                                v.label,
                                what,
                                rounds.get(v).stream()
                                        .map(x -> String.format(Locale.ROOT, "%.2f", x))
                                        .toList());
                    }
                }
            }
        }

        if (runs("open")) {
            section("open → first echoed byte (" + OPEN_ROUNDS + " rounds, taking turns)");
            Row open50 = row("open → first echoed byte, p50, µs", "%.0f");
            Row open99 = row("open → first echoed byte, p99, µs", "%.0f");
            int openN = (quick ? 500 : OPEN_SESSIONS) / OPEN_ROUNDS;
            for (Via v : vias) {
                // Warm-up: the JIT compiles the open path before anything counts.
                opens(new InetSocketAddress(LOOPBACK, endpoints.get(v).echo()), quick ? 300 : OPEN_WARMUP, 0, 0);
            }
            // What the outer and inner spend per session (the pool's refill included) bounds back-to-back opens on a
            // machine with few cores, so it is measured around each round of theirs.
            Row cpu = row("CPU time of the relay processes per open, µs", "%.0f");
            cpu.notes.put(Via.DIRECT, "—");
            Map<Via, Duration> cpuSpent = new EnumMap<>(Via.class);
            var openRounds = interleaved(
                    open50,
                    vias,
                    OPEN_ROUNDS,
                    v -> withCpu(
                            v,
                            cpuSpent,
                            () -> opens(
                                    new InetSocketAddress(
                                            LOOPBACK, endpoints.get(v).echo()),
                                    0,
                                    openN,
                                    0)));
            for (Via v : openRounds.keySet()) {
                Latency l = Latency.merge(openRounds.get(v));
                if (openRounds.get(v).size() == OPEN_ROUNDS) {
                    report(v, "opens", l, 1e3, "µs");
                    open50.values.put(v, l.p50() / 1e3);
                    open99.values.put(v, l.p99() / 1e3);
                    failures(open50, v, l);
                    cpuPer(cpu, v, cpuSpent, l.n() + l.failed(), "open");
                }
            }
        }

        if (runs("ping")) {
            section(PING_SIZE + "-byte ping-pong (" + PING_ROUNDS_SPLIT + " rounds, taking turns)");
            Row ping50 = row(PING_SIZE + "-byte ping-pong, p50, µs", "%.1f");
            Row ping99 = row(PING_SIZE + "-byte ping-pong, p99, µs", "%.1f");
            Row cpu = row("CPU time of the relay processes per round trip, µs", "%.1f");
            cpu.notes.put(Via.DIRECT, "—");
            Map<Via, Duration> cpuSpent = new EnumMap<>(Via.class);
            Map<Via, Socket> pingSessions = new EnumMap<>(Via.class);
            try {
                for (Via v : vias) {
                    try {
                        Socket s = connect(endpoints.get(v).echo());
                        s.setSoTimeout(15_000);
                        pingSessions.put(v, s);
                        pingPong(s, quick ? 500 : PING_WARMUP);
                    } catch (IOException e) {
                        ping50.notes.put(v, "error");
                        problems.add(v.label + ", ping-pong: " + e);
                    }
                }
                int perRound = (quick ? 5_000 : PING_ROUNDS) / PING_ROUNDS_SPLIT;
                var pingRounds = interleaved(ping50, vias, PING_ROUNDS_SPLIT, v -> {
                    Socket s = pingSessions.get(v);
                    if (s == null) {
                        throw new IOException("no session");
                    }
                    return withCpu(v, cpuSpent, () -> pingPong(s, perRound));
                });
                for (Via v : pingRounds.keySet()) {
                    if (pingRounds.get(v).size() == PING_ROUNDS_SPLIT) {
                        Latency l = Latency.merge(pingRounds.get(v));
                        report(v, "round trips on one session", l, 1e3, "µs");
                        ping50.values.put(v, l.p50() / 1e3);
                        ping99.values.put(v, l.p99() / 1e3);
                        cpuPer(cpu, v, cpuSpent, l.n(), "round trip");
                    }
                }
            } finally {
                pingSessions.values().forEach(Bench::closeQuietly);
            }
        }

        if (runs("sessions")) {
            section(concurrent + " concurrent sessions (direct and plain relay only)");
            Row worked = row(String.format(Locale.ROOT, "%,d concurrent sessions that work", concurrent), "%.0f");
            for (Via v : List.of(Via.DIRECT, Via.RELAY)) {
                measure(worked, v, () -> concurrentSessions(v, endpoints.get(v).echo(), worked));
            }
            worked.notes.put(Via.RELAY_TLS, "not measured (plain only)");
            worked.notes.put(Via.MINIMAL, "not measured");
        }

        if (runs("link")) {
            section("open with " + LINK_DELAY.toMillis() + " ms each way between inner and outer");
            delayedOpens(innerCopy, direct);
        }

        if (only.isEmpty()) {
            verdicts();
            floorLine();
            tlsLines();
        }
        print();
        return 0;
    }

    boolean runs(String section) {
        return only.isEmpty() || only.contains(section);
    }

    // ---- the relay under test ----

    /** Starts an outer, then an inner with the pool set. */
    void startRelay(Relay r, Path outerCopy, Path innerCopy) throws Exception {
        r.controlPort = freePort();
        r.ports = new Endpoints(freePort(), freePort(), freePort());
        r.outer = spawn(
                "outer" + r.suffix,
                outerCopy,
                writeConfig(r, "outer" + r.suffix + ".json", r.controlPort, loopbackPool));
        waitListening(r, Duration.ofSeconds(20));
        String inner = "inner" + r.suffix;
        r.inner = spawn(inner, innerCopy, writeConfig(r, inner + ".json", r.controlPort, loopbackPool));
        awaitReady(r, inner, Duration.ofSeconds(30));
        System.out.println(r.via.label + ": outer pid " + r.outer.pid() + " (control port " + r.controlPort
                + "), inner pid " + r.inner.pid() + ", pool " + loopbackPool);
    }

    /**
     * The TLS pair, set up as a user would: {@code relay-outer.jar --gen-cert} writes a self-signed certificate and
     * key and prints the fingerprint, the outer gets {@code outer.tls.cert}/{@code key}, the inner pins the
     * fingerprint. Every build has TLS, so a step that fails ends the run.
     */
    void startTlsRelay(Path outerCopy, Path innerCopy) throws Exception {
        Path dir = work.resolve("tls");
        List<String> cmd = List.of(
                javaBin(), "-jar", outerCopy.toString(), "--gen-cert", "--name", "127.0.0.1", "--out", dir.toString());
        Process gen = start("gen-cert", cmd);
        if (!gen.waitFor(60, TimeUnit.SECONDS) || gen.exitValue() != 0) {
            throw new IllegalStateException("--gen-cert failed:\n" + tail(log("gen-cert")));
        }
        String fingerprint = Files.readAllLines(log("gen-cert")).stream()
                .filter(l -> l.startsWith("fingerprint: "))
                .map(l -> l.substring("fingerprint: ".length()).trim())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("--gen-cert printed no fingerprint"));
        Relay r = new Relay(
                Via.RELAY_TLS,
                "-tls",
                new TlsFiles(
                        dir.resolve("relay.crt").toAbsolutePath(),
                        dir.resolve("relay.key").toAbsolutePath(),
                        fingerprint));
        startRelay(r, outerCopy, innerCopy);
        String seen = probeTls(r);
        secure = r;
        System.out.println(r.via.label + ": the control port speaks " + seen);
    }

    /**
     * Checks that the TLS outer's control port speaks TLS 1.3 with the certificate {@code --gen-cert} made: one
     * handshake from the bench, which then closes the connection (the outer logs it as dropped before authenticating).
     * The outer says "(TLS 1.3)" in its "listening for inners" line too, but that INFO line is muted here with the
     * per-session ones ({@link #QUIET_SESSION_LOGS}).
     */
    String probeTls(Relay r) throws Exception {
        X509Certificate[] presented = new X509Certificate[1];
        TrustManager record = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                presented[0] = chain[0]; // compared with the pinned fingerprint below
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, new TrustManager[] {record}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress(LOOPBACK, r.controlPort), 5_000);
            s.setSoTimeout(5_000);
            s.startHandshake();
            String protocol = s.getSession().getProtocol();
            String fingerprint = "sha256:"
                    + HexFormat.ofDelimiter(":")
                            .withUpperCase()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(presented[0].getEncoded()));
            if (!protocol.equals("TLSv1.3") || !fingerprint.equalsIgnoreCase(r.tls.fingerprint())) {
                throw new IllegalStateException("the TLS control port spoke " + protocol + " with certificate "
                        + fingerprint + ", expected TLSv1.3 and " + r.tls.fingerprint());
            }
            return protocol + " (" + s.getSession().getCipherSuite() + "), certificate " + fingerprint.substring(0, 22)
                    + "… as pinned";
        }
    }

    /** The JSON config both programs of a pair read (the outer ignores the inner's part). */
    Path writeConfig(Relay r, String name, int connectPort, int pool) throws IOException {
        String outerTls = r.tls == null ? "" : """
                , "tls": { "cert": "%s", "key": "%s" }""".formatted(r.tls.cert(), r.tls.key());
        String innerTls = r.tls == null ? "" : """
                , "tls": { "fingerprint": "%s" }""".formatted(r.tls.fingerprint());
        String json = """
                {
                  "outer": { "listen": "127.0.0.1:%d"%s },
                  "inner": { "connect": "127.0.0.1:%d", "pool": %d%s },
                  "token": "%s",
                  "routes": [
                    { "name": "echo",   "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" },
                    { "name": "sink",   "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" },
                    { "name": "source", "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" }
                  ],
                  "tuning": { "maxSessions": 8000 }
                }
                """.formatted(
                        r.controlPort,
                        outerTls,
                        connectPort,
                        pool,
                        innerTls,
                        token,
                        r.ports.echo(),
                        targets.echo.getLocalPort(),
                        r.ports.sink(),
                        targets.sink.getLocalPort(),
                        r.ports.source(),
                        targets.source.getLocalPort());
        Path file = Files.writeString(work.resolve(name), json);
        // The file holds the token: only this user may read it, or the programs warn about it.
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    Process spawn(String name, Path jar, Path config) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin());
        cmd.addAll(jvmFlags);
        cmd.addAll(QUIET_SESSION_LOGS);
        cmd.addAll(List.of("-jar", jar.toString(), "--config", config.toString()));
        return start(name, cmd);
    }

    Process start(String name, List<String> cmd) throws IOException {
        Files.writeString(work.resolve(name + ".cmd"), String.join(" ", cmd) + "\n");
        Process p = new ProcessBuilder(cmd)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log(name).toFile())
                .start();
        children.add(p);
        return p;
    }

    Path log(String name) {
        return work.resolve(name + ".log");
    }

    /**
     * Starts the two hops of the minimal relay ({@code scripts/MinimalRelay.java}, same JVM flags as the outer and
     * inner), the second towards the targets, and returns the first hop's ports.
     */
    Endpoints startMinimal(Endpoints targetPorts) throws Exception {
        Path src = Path.of("scripts", "MinimalRelay.java").toAbsolutePath();
        if (!Files.isRegularFile(src)) {
            throw new IllegalStateException(src + " not found (run the bench from the repository's top)");
        }
        Endpoints second = new Endpoints(freePort(), freePort(), freePort());
        Endpoints first = new Endpoints(freePort(), freePort(), freePort());
        Process towardsTargets = startHop("minimal-2", src, second, targetPorts);
        minimal.add(towardsTargets);
        Process towardsClient = startHop("minimal-1", src, first, second);
        minimal.add(towardsClient);
        awaitLine(towardsTargets, "minimal-2", "minimal relay: listening", Duration.ofSeconds(30));
        awaitLine(towardsClient, "minimal-1", "minimal relay: listening", Duration.ofSeconds(30));
        System.out.println(Via.MINIMAL.label + ": pids " + towardsClient.pid() + " → " + towardsTargets.pid()
                + " (scripts/MinimalRelay.java, two hops)");
        return first;
    }

    Process startHop(String name, Path src, Endpoints listen, Endpoints to) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin());
        cmd.addAll(jvmFlags);
        cmd.add(src.toString());
        cmd.add(listen.echo() + ":" + to.echo());
        cmd.add(listen.sink() + ":" + to.sink());
        cmd.add(listen.source() + ":" + to.source());
        return start(name, cmd);
    }

    /** Waits until {@code p}'s log has {@code line}; fails if it exits first or the time runs out. */
    void awaitLine(Process p, String name, String line, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(log(name)).contains(line)) {
                return;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException(
                        name + " exited with status " + p.exitValue() + ":\n" + tail(log(name)));
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(name + " did not start within " + timeout.toSeconds() + " s");
    }

    /** An idle JVM with the same flags, for the resident memory an empty JVM needs on this machine. */
    Process startEmptyJvm() throws IOException {
        Path src = Files.writeString(
                work.resolve("Idle.java"),
                "public class Idle { public static void main(String[] a) throws Exception { System.in.read(); } }\n");
        var javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        if (javac == null || javac.run(null, null, null, "-d", work.toString(), src.toString()) != 0) {
            throw new IllegalStateException("cannot compile " + src);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin());
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", work.toString(), "Idle"));
        return start("empty-jvm", cmd);
    }

    /** Waits until the pair's control port accepts, or fails if its outer exits first. */
    void waitListening(Relay r, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int port = r.controlPort;
        while (System.nanoTime() < deadline) {
            if (!r.outer.isAlive()) {
                throw new IllegalStateException("the outer" + r.suffix + " exited with status " + r.outer.exitValue()
                        + ":\n" + tail(log("outer" + r.suffix)));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(LOOPBACK, port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("the outer did not listen on " + port + " within " + timeout);
    }

    /**
     * Waits until one byte echoes through the relay's echo route, which needs an authenticated inner; fails if the
     * inner {@code name} exits first. Waiting for either outcome, rather than for a fixed second, holds on a loaded
     * machine where the JVM starts slowly.
     */
    void awaitReady(Relay r, String name, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int echoPort = r.ports.echo();
        while (System.nanoTime() < deadline) {
            if (r.inner.waitFor(50, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " exited with status " + r.inner.exitValue() + ":\n"
                        + tail(log(name)) + "\nsee " + work);
            }
            if (!r.outer.isAlive()) {
                throw new IllegalStateException("the outer" + r.suffix + " exited:\n" + tail(log("outer" + r.suffix)));
            }
            try (Socket s = new Socket()) {
                s.setSoTimeout(1_000);
                s.connect(new InetSocketAddress(LOOPBACK, echoPort), 1_000);
                s.getOutputStream().write('r');
                if (s.getInputStream().read() == 'r') {
                    return;
                }
            } catch (IOException notYet) {
                // No inner yet: the outer holds the user until its open timeout; ask again.
            }
        }
        throw new IllegalStateException("nothing echoed through the relay within " + timeout + "; see " + work);
    }

    void stopChildren() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Closing the rest matters more than why one did not close.
            }
        }
        for (Process p : children) {
            stop(p);
        }
        // The logs stay for reading; the copies of the jars are only needed while the processes run.
        for (String jar : List.of("relay-outer.jar", "relay-inner.jar")) {
            try {
                Files.deleteIfExists(work.resolve(jar));
            } catch (IOException ignored) {
                // A leftover copy in a temp directory does no harm.
            }
        }
    }

    /** Ends one process this bench started: SIGTERM, then SIGKILL if it has not gone within five seconds. */
    static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    // ---- measurements ----

    interface Measurement {
        double run() throws Exception;
    }

    /** Runs one measurement into {@code r}; a failure is recorded in the table instead of ending the run. */
    void measure(Row r, Via v, Measurement m) {
        try {
            r.values.put(v, m.run());
        } catch (Exception e) {
            r.notes.put(v, "error");
            String why = v.label + ", " + r.metric + ": " + e;
            problems.add(why);
            System.out.println("  FAILED " + why);
        }
    }

    interface PerVia<T> {
        T run(Via v) throws Exception;
    }

    interface Timed<T> {
        T run() throws Exception;
    }

    /** Runs {@code m} on way {@code v}, adding to {@code spent} the CPU time that way's relay processes used meanwhile. */
    <T> T withCpu(Via v, Map<Via, Duration> spent, Timed<T> m) throws Exception {
        Duration before = cpuTime(v);
        T result = m.run();
        if (v != Via.DIRECT) {
            spent.merge(v, cpuTime(v).minus(before), Duration::plus);
        }
        return result;
    }

    /** Puts in {@code row}, and prints, the CPU time {@code v}'s relay processes spent per {@code what}. */
    static void cpuPer(Row row, Via v, Map<Via, Duration> spent, int count, String what) {
        if (spent.containsKey(v) && count > 0) {
            double micros = spent.get(v).toNanos() / 1e3 / count;
            row.values.put(v, micros);
            System.out.printf(
                    Locale.ROOT, "  %-13s CPU time of the relay processes: %.1f µs per %s%n", v.label, micros, what);
        }
    }

    /**
     * Runs {@code rounds} rounds of a measurement, each of {@code ways} taking its turn in every round, so whatever
     * drifts during the run (CPU frequency, a neighbour, the JIT) falls on all of them alike. A way that fails is
     * noted in {@code row} and left out of later rounds.
     */
    <T> Map<Via, List<T>> interleaved(Row row, List<Via> ways, int rounds, PerVia<T> m) {
        Map<Via, List<T>> out = new EnumMap<>(Via.class);
        for (Via v : ways) {
            out.put(v, new ArrayList<>());
        }
        for (int round = 0; round < rounds; round++) {
            for (Via v : ways) {
                if (row.notes.containsKey(v)) {
                    continue;
                }
                try {
                    out.get(v).add(m.run(v));
                } catch (Exception e) {
                    row.notes.put(v, "error");
                    String why = v.label + ", " + row.metric + ": " + e;
                    problems.add(why);
                    System.out.println("  FAILED " + why);
                }
            }
        }
        return out;
    }

    /** Aggregate bytes per second received over {@code streams} connections, after a warm-up, in Gbit/s. */
    double bulk(int port, boolean forward, int streams, Duration measure) throws Exception {
        LongAdder received = forward ? targets.sunk : new LongAdder();
        AtomicInteger active = forward ? targets.sinkActive : targets.sourceActive;
        AtomicBoolean stop = new AtomicBoolean();
        List<Socket> sockets = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicInteger errors = new AtomicInteger();
        try {
            for (int i = 0; i < streams; i++) {
                Socket s = connect(port);
                sockets.add(s);
                // Platform threads: the client is a plain program, not part of what is measured.
                threads.add(Thread.ofPlatform().name("bulk-client-" + i).start(() -> {
                    byte[] buf = new byte[CHUNK];
                    try {
                        if (forward) {
                            OutputStream out = s.getOutputStream();
                            while (!stop.get()) {
                                out.write(buf);
                            }
                        } else {
                            InputStream in = s.getInputStream();
                            for (int n; !stop.get() && (n = in.read(buf)) >= 0; ) {
                                received.add(n);
                            }
                        }
                    } catch (IOException e) {
                        if (!stop.get()) {
                            errors.incrementAndGet();
                        }
                    }
                }));
            }
            Thread.sleep(BULK_WARMUP.toMillis());
            long c0 = received.sum();
            long t0 = System.nanoTime();
            Thread.sleep(measure.toMillis());
            long c1 = received.sum();
            long t1 = System.nanoTime();
            if (errors.get() > 0) {
                throw new IOException(errors.get() + " of " + streams + " streams failed");
            }
            return (c1 - c0) * 8.0 / ((t1 - t0) / 1e9) / 1e9;
        } finally {
            stop.set(true);
            sockets.forEach(Bench::closeQuietly);
            for (Thread t : threads) {
                t.join(10_000);
            }
            // The next measurement starts only when this one's target connections are gone.
            awaitZero(active, Duration.ofSeconds(15));
        }
    }

    /** Sequential sessions: connect, write one byte, read it back, close; the time from connect to the echo. */
    Latency opens(InetSocketAddress to, int warmup, int n, long pauseNanos) throws IOException {
        long[] nanos = new long[n];
        int done = 0;
        int failed = 0;
        for (int i = 0; i < warmup + n; i++) {
            long t = openOnce(to, (byte) i);
            if (t < 0) {
                failed++;
                if (failed > Math.max(10, n / 10)) {
                    throw new IOException(failed + " sessions failed to echo");
                }
                continue;
            }
            if (i >= warmup && done < n) {
                nanos[done++] = t;
            }
            if (pauseNanos > 0) {
                LockSupport.parkNanos(pauseNanos);
            }
        }
        return Latency.of(Arrays.copyOf(nanos, done), failed);
    }

    /** One session's open → first echoed byte time in nanoseconds, or -1 if it did not echo. */
    static long openOnce(InetSocketAddress to, byte b) {
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(15_000);
            s.connect(to, 15_000);
            s.getOutputStream().write(b);
            int r = s.getInputStream().read();
            long t = System.nanoTime() - t0;
            return r == (b & 0xff) ? t : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /** {@code rounds} round trips of {@link #PING_SIZE} bytes on an open session to the echo target. */
    static Latency pingPong(Socket s, int rounds) throws IOException {
        long[] nanos = new long[rounds];
        byte[] ping = new byte[PING_SIZE];
        byte[] pong = new byte[PING_SIZE];
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        for (int i = 0; i < rounds; i++) {
            ping[0] = (byte) i;
            long t0 = System.nanoTime();
            out.write(ping);
            if (in.readNBytes(pong, 0, PING_SIZE) != PING_SIZE || pong[0] != ping[0]) {
                throw new IOException("the echo ended or changed the bytes at round trip " + i);
            }
            nanos[i] = System.nanoTime() - t0;
        }
        return Latency.of(nanos, 0);
    }

    /**
     * Opens {@code concurrent} sessions to the echo port, each checked with a unique payload when opened and again
     * once all are open, then closes them. For the relay it records memory, descriptors and threads of the outer and
     * inner before, at peak and after. Returns how many sessions passed both checks.
     */
    double concurrentSessions(Via v, int echoPort, Row row) throws Exception {
        boolean relay = v == Via.RELAY;
        int n = concurrent;
        Socket[] sockets = new Socket[n];
        byte[][] payloads = new byte[n][];
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < n; i++) {
            payloads[i] = new byte[16];
            random.nextBytes(payloads[i]);
            payloads[i][0] = (byte) (i >> 24);
            payloads[i][1] = (byte) (i >> 16);
            payloads[i][2] = (byte) (i >> 8);
            payloads[i][3] = (byte) i;
        }
        Sample[] base = null;
        if (relay) {
            settle(List.of(plain.outer, plain.inner), Duration.ofSeconds(10));
            base = new Sample[] {sample(plain.outer), sample(plain.inner)};
            memory.put("idle before", base);
        }
        boolean[] ok = new boolean[n];
        long t0 = System.nanoTime();
        try {
            forEach(n, i -> {
                try {
                    Socket s = connect(echoPort);
                    s.setSoTimeout(30_000);
                    sockets[i] = s;
                    ok[i] = echoes(s, payloads[i]);
                } catch (IOException e) {
                    ok[i] = false;
                }
            });
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            int first = count(ok);
            if (relay) {
                settle(List.of(plain.outer, plain.inner), Duration.ofSeconds(20));
                memory.put(
                        "peak, " + String.format(Locale.ROOT, "%,d", n) + " open and idle",
                        new Sample[] {sample(plain.outer), sample(plain.inner)});
                if (holdPeak > 0) {
                    System.out.println("  holding " + holdPeak + " s at peak: outer pid " + plain.outer.pid()
                            + ", inner pid " + plain.inner.pid());
                    Thread.sleep(holdPeak * 1000L);
                }
            }
            forEach(n, i -> {
                try {
                    ok[i] = ok[i] && echoes(sockets[i], payloads[i]);
                } catch (IOException e) {
                    ok[i] = false;
                }
            });
            int both = count(ok);
            System.out.printf(
                    Locale.ROOT,
                    "  %-13s %d of %d echoed when opened (in %.1f s), %d of %d again with all" + " open%n",
                    v.label,
                    first,
                    n,
                    openSeconds,
                    both,
                    n);
            if (relay) {
                concurrentNote =
                        String.format(Locale.ROOT, "opened in %.1f s, %d at a time", openSeconds, OPEN_PARALLEL);
            }
            row.notes.put(v, String.format(Locale.ROOT, "%,d / %,d", both, n));
            return both;
        } finally {
            for (Socket s : sockets) {
                closeQuietly(s);
            }
            if (relay) {
                long t = System.nanoTime();
                boolean back = awaitFdsNear(base, Duration.ofSeconds(30));
                settle(List.of(plain.outer, plain.inner), Duration.ofSeconds(10));
                memory.put("after close", new Sample[] {sample(plain.outer), sample(plain.inner)});
                System.out.printf(
                        Locale.ROOT,
                        "  relay       descriptors %s baseline %.1f s after closing%n",
                        back ? "back near" : "NOT back to",
                        (System.nanoTime() - t) / 1e9);
            }
            awaitZero(targets.echoActive, Duration.ofSeconds(30));
        }
    }

    interface IndexTask {
        void run(int i);
    }

    /** Runs {@code task} for 0..n-1 on virtual threads, at most {@link #OPEN_PARALLEL} at a time. */
    static void forEach(int n, IndexTask task) throws InterruptedException {
        Semaphore slots = new Semaphore(OPEN_PARALLEL);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                slots.acquire();
                int k = i;
                ex.submit(() -> {
                    try {
                        task.run(k);
                    } finally {
                        slots.release();
                    }
                });
            }
        }
    }

    static boolean echoes(Socket s, byte[] payload) throws IOException {
        s.getOutputStream().write(payload);
        byte[] back = s.getInputStream().readNBytes(payload.length);
        return Arrays.equals(back, payload);
    }

    static int count(boolean[] ok) {
        int c = 0;
        for (boolean b : ok) {
            c += b ? 1 : 0;
        }
        return c;
    }

    /**
     * Open latency across a link with {@link #LINK_DELAY} each way: each pair's inner reaches its outer through a
     * delay proxy of its own, pool on and pool off (fresh inners each time; the outers stay); direct is the client
     * reaching the echo target through the same kind of proxy. The inners the loopback tests used are stopped first,
     * since an outer serves one inner at a time. With both pool settings the plain and the TLS inner run side by side
     * and take turns, {@link #DELAY_ROUNDS} rounds each.
     */
    void delayedOpens(Path innerCopy, Endpoints direct) throws Exception {
        Row on =
                row("open → first echoed byte, " + LINK_DELAY.toMillis() + " ms each way, pool on, median, ms", "%.1f");
        Row off = row(
                "open → first echoed byte, " + LINK_DELAY.toMillis() + " ms each way, pool off, median, ms", "%.1f");
        on.notes.put(Via.MINIMAL, "not measured");
        off.notes.put(Via.MINIMAL, "not measured");
        int n = quick ? 40 : DELAY_SESSIONS;
        DelayProxy toTarget = new DelayProxy("link-direct", direct.echo(), LINK_DELAY);
        closeables.add(toTarget);

        measure(on, Via.DIRECT, () -> {
            Latency l = opens(new InetSocketAddress(LOOPBACK, toTarget.port()), DELAY_WARMUP, n, 0);
            report(Via.DIRECT, "opens across the link", l, 1e6, "ms");
            off.values.put(Via.DIRECT, l.p50() / 1e6);
            return l.p50() / 1e6;
        });
        List<Relay> pairs = List.of(plain, secure);
        for (Relay r : pairs) {
            stop(r.inner);
        }
        delayedRelays(pairs, innerCopy, "-delay-pool", POOL, n, on);
        delayedRelays(pairs, innerCopy, "-delay-nopool", 0, n, off);
    }

    /** One pool setting of {@link #delayedOpens}: a fresh inner per pair behind its own link, taking turns. */
    void delayedRelays(List<Relay> pairs, Path innerCopy, String name, int pool, int n, Row row) {
        Map<Via, Relay> byVia = new EnumMap<>(Via.class);
        Map<Via, DelayProxy> links = new EnumMap<>(Via.class);
        List<Via> ways = new ArrayList<>();
        String setting = "pool " + pool;
        try {
            for (Relay r : pairs) {
                measure(row, r.via, () -> {
                    DelayProxy link = new DelayProxy("link" + r.suffix, r.controlPort, LINK_DELAY);
                    closeables.add(link);
                    links.put(r.via, link);
                    String innerName = "inner" + r.suffix + name;
                    r.inner = spawn(innerName, innerCopy, writeConfig(r, innerName + ".json", link.port(), pool));
                    byVia.put(r.via, r);
                    awaitReady(r, innerName, Duration.ofSeconds(30));
                    ways.add(r.via);
                    return Double.NaN;
                });
            }
            List<Process> procs = ways.stream()
                    .map(byVia::get)
                    .flatMap(r -> Stream.of(r.outer, r.inner))
                    .toList();
            // The pools fill in the background: start when the descriptor counts stop moving.
            settle(procs, Duration.ofSeconds(10));
            for (Via v : ways) {
                measure(row, v, () -> {
                    opens(new InetSocketAddress(LOOPBACK, byVia.get(v).ports.echo()), DELAY_WARMUP, 0, 0);
                    return Double.NaN;
                });
            }
            var rounds = interleaved(
                    row,
                    ways.stream().filter(v -> !row.notes.containsKey(v)).toList(),
                    DELAY_ROUNDS,
                    v -> opens(
                            new InetSocketAddress(LOOPBACK, byVia.get(v).ports.echo()), 0, n / DELAY_ROUNDS, 0));
            for (Via v : rounds.keySet()) {
                if (rounds.get(v).size() == DELAY_ROUNDS) {
                    Latency l = Latency.merge(rounds.get(v));
                    report(v, "opens, " + setting, l, 1e6, "ms");
                    failures(row, v, l);
                    row.values.put(v, l.p50() / 1e6);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Relay r : byVia.values()) {
                stop(r.inner);
            }
            links.values().forEach(Bench::closeQuietly);
        }
    }

    // ---- waiting on the children ----

    /** Waits until the descriptor counts of {@code ps} stop changing (unchanged for half a second), or the timeout. */
    static void settle(List<Process> ps, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = -1;
        int same = 0;
        while (System.nanoTime() < deadline && same < 5) {
            long now = 0;
            for (Process p : ps) {
                now += sample(p).fds();
            }
            same = now == last ? same + 1 : 0;
            last = now;
            Thread.sleep(100);
        }
    }

    /** Waits until the resident size of {@code p} stops growing, or the timeout. */
    static void waitStable(Process p, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = -1;
        int same = 0;
        while (System.nanoTime() < deadline && same < 3) {
            long now = sample(p).rssKiB();
            same = Math.abs(now - last) < 256 ? same + 1 : 0;
            last = now;
            Thread.sleep(200);
        }
    }

    /** Waits until the outer and inner hold at most a few more descriptors than {@code base}; false on timeout. */
    boolean awaitFdsNear(Sample[] base, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (sample(plain.outer).fds() <= base[0].fds() + 8
                    && sample(plain.inner).fds() <= base[1].fds() + 8) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    static void awaitZero(AtomicInteger active, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (active.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    /** VmRSS and Threads from /proc/PID/status, and the entries of /proc/PID/fd; zeros once the process is gone. */
    /** User and system CPU time so far of the processes between the client and the targets on way {@code v}. */
    Duration cpuTime(Via v) {
        List<Process> between = switch (v) {
            case DIRECT -> List.of();
            case RELAY -> List.of(plain.outer, plain.inner);
            case RELAY_TLS -> List.of(secure.outer, secure.inner);
            case MINIMAL -> minimal;
        };
        return between.stream()
                .map(p -> p.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }

    static Sample sample(Process p) {
        long rss = 0;
        int threads = 0;
        int fds = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.replaceAll("[^0-9]", ""));
                }
            }
            try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(p.pid()), "fd"))) {
                fds = (int) s.count();
            }
        } catch (IOException | UncheckedIOException gone) {
            // The process ended between two reads.
        }
        return new Sample(rss, fds, threads);
    }

    // ---- the targets ----

    /**
     * Echo, sink and source servers on ephemeral loopback ports. Each accept loop runs on a virtual thread named after
     * its server, and each connection on a virtual thread of its own; {@link #close} closes the listeners and every
     * connection still open.
     */
    static final class Targets implements AutoCloseable {
        final ServerSocket echo = listen();
        final ServerSocket sink = listen();
        final ServerSocket source = listen();
        final LongAdder sunk = new LongAdder();
        final AtomicInteger echoActive = new AtomicInteger();
        final AtomicInteger sinkActive = new AtomicInteger();
        final AtomicInteger sourceActive = new AtomicInteger();
        final Set<Socket> open = ConcurrentHashMap.newKeySet();

        Targets() {
            serve("echo", echo, echoActive, Targets::echo);
            serve("sink", sink, sinkActive, this::sink);
            serve("source", source, sourceActive, Targets::source);
        }

        interface Handler {
            void handle(Socket s) throws IOException;
        }

        private void serve(String name, ServerSocket server, AtomicInteger active, Handler h) {
            Thread.ofVirtual().name(name + "-accept").start(() -> {
                while (!server.isClosed()) {
                    Socket s;
                    try {
                        s = server.accept();
                    } catch (IOException closed) {
                        return;
                    }
                    active.incrementAndGet();
                    open.add(s);
                    Thread.ofVirtual().name(name + "-conn").start(() -> {
                        try (s) {
                            s.setTcpNoDelay(true);
                            h.handle(s);
                        } catch (IOException peerGone) {
                            // Clients end bulk streams by closing; nothing to report.
                        } finally {
                            open.remove(s);
                            active.decrementAndGet();
                        }
                    });
                }
            });
        }

        // Small buffers: 5,000 idle echo connections live in this process too.
        private static void echo(Socket s) throws IOException {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        }

        private void sink(Socket s) throws IOException {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[CHUNK];
            for (int n; (n = in.read(buf)) >= 0; ) {
                sunk.add(n);
            }
        }

        private static void source(Socket s) throws IOException {
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[CHUNK];
            while (true) {
                out.write(buf);
            }
        }

        @Override
        public void close() {
            closeQuietly(echo);
            closeQuietly(sink);
            closeQuietly(source);
            open.forEach(Bench::closeQuietly);
        }
    }

    // ---- the delay proxy ----

    /**
     * A link with a fixed one-way delay: accepts on an ephemeral loopback port, connects to {@code upstream}, and
     * forwards each chunk, in each direction and in order, {@code delay} after it was read. No chunk leaves before
     * the TCP handshake a real link would need has completed (one round trip, 2 × delay, after accept), so a direct
     * connection across it costs two round trips before its first byte returns, as on a real link. Per direction a
     * {@code <name>-read} thread stamps chunks and a {@code <name>-write} thread releases them when due.
     */
    static final class DelayProxy implements AutoCloseable {
        private static final byte[] EOF = new byte[0];
        private static final byte[] FAILED = new byte[0];

        private final ServerSocket server = listen();
        private final String name;
        private final int upstream;
        private final long delay;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        record Chunk(byte[] data, long dueNanos) {}

        DelayProxy(String name, int upstream, Duration delay) {
            this.name = name;
            this.upstream = upstream;
            this.delay = delay.toNanos();
            Thread.ofVirtual().name(name + "-accept").start(this::acceptLoop);
        }

        int port() {
            return server.getLocalPort();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                Socket down;
                try {
                    down = server.accept();
                } catch (IOException closed) {
                    return;
                }
                long accepted = System.nanoTime();
                open.add(down);
                Thread.ofVirtual().name(name + "-connect").start(() -> {
                    Socket up = new Socket();
                    open.add(up);
                    try {
                        down.setTcpNoDelay(true);
                        up.setTcpNoDelay(true);
                        up.connect(new InetSocketAddress(LOOPBACK, upstream), 5_000);
                    } catch (IOException e) {
                        closeBoth(down, up);
                        return;
                    }
                    pipe(down, up, accepted);
                    pipe(up, down, accepted);
                });
            }
        }

        private void pipe(Socket from, Socket to, long accepted) {
            BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
            long handshakeDone = accepted + 2 * delay;
            Thread.ofVirtual().name(name + "-read").start(() -> {
                byte[] buf = new byte[CHUNK];
                try {
                    InputStream in = from.getInputStream();
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        long sent = Math.max(System.nanoTime(), handshakeDone);
                        queue.add(new Chunk(Arrays.copyOf(buf, n), sent + delay));
                    }
                    queue.add(new Chunk(EOF, Math.max(System.nanoTime(), handshakeDone) + delay));
                } catch (IOException e) {
                    queue.add(new Chunk(FAILED, System.nanoTime()));
                }
            });
            Thread.ofVirtual().name(name + "-write").start(() -> {
                try {
                    OutputStream out = to.getOutputStream();
                    while (true) {
                        Chunk c = queue.take();
                        for (long wait; (wait = c.dueNanos() - System.nanoTime()) > 0; ) {
                            LockSupport.parkNanos(wait);
                        }
                        if (c.data() == FAILED) {
                            closeBoth(from, to);
                            return;
                        }
                        if (c.data() == EOF) {
                            to.shutdownOutput();
                            if (from.isOutputShutdown()) {
                                closeBoth(from, to);
                            }
                            return;
                        }
                        out.write(c.data());
                    }
                } catch (IOException | InterruptedException e) {
                    closeBoth(from, to);
                }
            });
        }

        private void closeBoth(Socket a, Socket b) {
            closeQuietly(a);
            closeQuietly(b);
            open.remove(a);
            open.remove(b);
        }

        @Override
        public void close() {
            closeQuietly(server);
            open.forEach(Bench::closeQuietly);
        }
    }

    // ---- results ----

    Row row(String metric, String format) {
        return rows.computeIfAbsent(metric, m -> new Row(m, format));
    }

    static void report(Via v, String what, Latency l, double unit, String unitName) {
        String failed = l.failed() > 0 ? ", " + l.failed() + " failed" : "";
        System.out.printf(
                Locale.ROOT,
                "  %-13s %d %s: p50 %.1f %s, p99 %.1f %s%s%n",
                v.label,
                l.n(),
                what,
                l.p50() / unit,
                unitName,
                l.p99() / unit,
                unitName,
                failed);
    }

    void failures(Row r, Via v, Latency l) {
        if (l.failed() > 0) {
            problems.add(v.label + ", " + r.metric + ": " + l.failed() + " sessions did not echo");
        }
    }

    void verdicts() {
        // Bulk: every one of the four bulk rows at half of direct or better.
        LowestBulk bulk = lowestBulk(Via.RELAY);
        verdict(
                bulk.complete() && bulk.ratio() >= 0.5,
                "bulk ≥ 0.5× direct, 1 and 4 streams, both directions",
                bulk.complete()
                        ? String.format(Locale.ROOT, "lowest %.2f× (%s)", bulk.ratio(), bulk.what())
                        : "not measured");

        Row open = rows.get("open → first echoed byte, p50, µs");
        double added = open.get(Via.RELAY) - open.get(Via.DIRECT);
        verdict(
                added <= 150,
                "open → first byte p50 within 150 µs of direct",
                String.format(
                        Locale.ROOT, "+%.0f µs (%.0f vs %.0f µs)", added, open.get(Via.RELAY), open.get(Via.DIRECT)));

        double ping = rows.get("64-byte ping-pong, p50, µs").get(Via.RELAY);
        verdict(ping < 90, "64-byte ping-pong p50 < 90 µs", String.format(Locale.ROOT, "%.1f µs", ping));

        Row worked = rows.values().stream()
                .filter(r -> r.metric.contains("concurrent sessions"))
                .findFirst()
                .get();
        double w = worked.get(Via.RELAY);
        verdict(
                w == concurrent,
                String.format(Locale.ROOT, "%,d concurrent sessions all work", concurrent),
                Double.isNaN(w) ? "not measured" : String.format(Locale.ROOT, "%,.0f of %,d", w, concurrent));

        double perThousand = mbPerThousand();
        verdict(
                perThousand <= 20,
                "≤ 20 MB resident (outer + inner) per 1,000 idle sessions",
                Double.isNaN(perThousand) ? "not measured" : String.format(Locale.ROOT, "%.1f MB", perThousand));

        Sample[] before = memory.get("idle before");
        Sample[] after = memory.get("after close");
        if (before != null && after != null) {
            boolean fdsBack = after[0].fds() <= before[0].fds() + 8 && after[1].fds() <= before[1].fds() + 8;
            boolean threadsBack =
                    after[0].threads() <= before[0].threads() + 2 && after[1].threads() <= before[1].threads() + 2;
            verdict(
                    fdsBack && threadsBack,
                    "descriptors and threads back to baseline after the sessions end",
                    String.format(
                            Locale.ROOT,
                            "fds %d→%d outer, %d→%d inner; threads %d→%d, %d→%d",
                            before[0].fds(),
                            after[0].fds(),
                            before[1].fds(),
                            after[1].fds(),
                            before[0].threads(),
                            after[0].threads(),
                            before[1].threads(),
                            after[1].threads()));
        }

        Row delayed = rows.values().stream()
                .filter(r -> r.metric.contains("pool on"))
                .findFirst()
                .get();
        double ratio = delayed.get(Via.RELAY) / delayed.get(Via.DIRECT);
        verdict(
                ratio <= 0.6,
                "open across a 10 ms link, pooled ≤ 0.6× direct",
                Double.isNaN(ratio)
                        ? "not measured"
                        : String.format(
                                Locale.ROOT,
                                "%.2f× (%.1f vs %.1f ms)",
                                ratio,
                                delayed.get(Via.RELAY),
                                delayed.get(Via.DIRECT)));
    }

    /** How relay compares with the minimal relay measured in the same run: the floor its design allows here. */
    void floorLine() {
        LowestBulk floor = lowestBulk(Via.MINIMAL);
        LowestBulk relay = lowestBulk(Via.RELAY);
        Row open = rows.get("open → first echoed byte, p50, µs");
        Row ping = rows.get("64-byte ping-pong, p50, µs");
        verdicts.add(String.format(
                Locale.ROOT,
                "info  the floor here, %s (scripts/MinimalRelay.java) in this run: bulk"
                        + " lowest %.2f× direct (relay %.2f×); open p50 +%.0f µs over direct (relay +%.0f µs); 64-byte"
                        + " ping-pong p50 %.1f µs (relay %.1f µs)",
                Via.MINIMAL.label,
                floor.complete() ? floor.ratio() : Double.NaN,
                relay.complete() ? relay.ratio() : Double.NaN,
                open.get(Via.MINIMAL) - open.get(Via.DIRECT),
                open.get(Via.RELAY) - open.get(Via.DIRECT),
                ping.get(Via.MINIMAL),
                ping.get(Via.RELAY)));
    }

    /**
     * The bulk row where {@code v} does worst against direct, among those measured: its ratio (infinite when none
     * was), the row's short name, and whether every bulk row was measured.
     */
    record LowestBulk(double ratio, String what, boolean complete) {}

    LowestBulk lowestBulk(Via v) {
        double worst = Double.POSITIVE_INFINITY;
        String what = "";
        boolean complete = true;
        for (Row r : rows.values()) {
            if (r.metric.startsWith("bulk")) {
                double ratio = r.get(v) / r.get(Via.DIRECT);
                if (Double.isNaN(ratio)) {
                    complete = false;
                } else if (ratio < worst) {
                    worst = ratio;
                    what = r.metric.replace("bulk, ", "").replace(", Gbit/s", "");
                }
            }
        }
        return new LowestBulk(worst, what, complete);
    }

    void verdict(boolean pass, String target, String detail) {
        verdicts.add((pass ? "PASS" : "FAIL") + "  " + target + ": " + detail);
    }

    /**
     * Lines about the TLS pair, for information: issue 3's targets are judged on the plain pair. The last two say how
     * many round trips TLS adds to an open across the link.
     */
    void tlsLines() {
        String tls = Via.RELAY_TLS.label;
        LowestBulk bulk = lowestBulk(Via.RELAY_TLS);
        Row there = rows.get("bulk, " + bulk.what() + ", Gbit/s");
        info(
                tls + ", bulk",
                bulk.ratio() == Double.POSITIVE_INFINITY
                        ? "not measured"
                        : String.format(
                                Locale.ROOT,
                                "lowest %.2f× direct (%s; plain relay %.2f× there)",
                                bulk.ratio(),
                                bulk.what(),
                                there.get(Via.RELAY) / there.get(Via.DIRECT)));
        Row open = rows.get("open → first echoed byte, p50, µs");
        info(
                tls + ", open → first byte p50",
                String.format(
                        Locale.ROOT,
                        "+%.0f µs over direct (%.0f vs %.0f µs;" + " plain relay +%.0f µs)",
                        open.get(Via.RELAY_TLS) - open.get(Via.DIRECT),
                        open.get(Via.RELAY_TLS),
                        open.get(Via.DIRECT),
                        open.get(Via.RELAY) - open.get(Via.DIRECT)));
        Row ping = rows.get(PING_SIZE + "-byte ping-pong, p50, µs");
        info(
                tls + ", 64-byte ping-pong p50",
                String.format(
                        Locale.ROOT, "%.1f µs (plain relay %.1f µs)", ping.get(Via.RELAY_TLS), ping.get(Via.RELAY)));

        double rtt = 2 * LINK_DELAY.toNanos() / 1e6;
        for (String setting : List.of("pool on", "pool off")) {
            Row r = rows.values().stream()
                    .filter(x -> x.metric.contains(setting + ","))
                    .findFirst()
                    .orElse(null);
            double added = r == null ? Double.NaN : r.get(Via.RELAY_TLS) - r.get(Via.RELAY);
            String expect = setting.equals("pool on")
                    ? "expected none: a pooled connection did its TLS handshake before the user came"
                    : "expected one: a new TLS 1.3 connection needs one round trip more, full or resumed";
            info(
                    tls + " vs plain, open across a " + LINK_DELAY.toMillis() + " ms link, " + setting,
                    Double.isNaN(added)
                            ? "not measured"
                            : String.format(
                                    Locale.ROOT,
                                    "%+.1f ms (%.1f vs %.1f ms) = %+.1f round trips; %s",
                                    added,
                                    r.get(Via.RELAY_TLS),
                                    r.get(Via.RELAY),
                                    added / rtt,
                                    expect));
        }
    }

    void info(String what, String detail) {
        verdicts.add("info  " + what + ": " + detail);
    }

    /** Growth of outer + inner resident memory from idle to peak, per 1,000 sessions that worked. */
    double mbPerThousand() {
        Sample[] before = memory.get("idle before");
        Sample[] peak = memory.entrySet().stream()
                .filter(e -> e.getKey().startsWith("peak"))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse(null);
        double worked = rows.values().stream()
                .filter(r -> r.metric.contains("concurrent sessions"))
                .findFirst()
                .map(r -> r.get(Via.RELAY))
                .orElse(Double.NaN);
        if (before == null || peak == null || Double.isNaN(worked) || worked == 0) {
            return Double.NaN;
        }
        double grown = peak[0].rssMB() + peak[1].rssMB() - before[0].rssMB() - before[1].rssMB();
        return grown / (worked / 1000.0);
    }

    void print() {
        StringBuilder o = new StringBuilder();
        Runtime.Version jdk = Runtime.version();
        String now = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
        o.append("\n## relay bench, ").append(now).append("\n\n");
        o.append("- JDK: ")
                .append(jdk)
                .append(" (")
                .append(System.getProperty("java.vm.vendor"))
                .append(", ")
                .append(System.getProperty("java.vm.name"))
                .append(")\n");
        o.append("- CPUs: ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" (")
                .append(cpuModel())
                .append("), ")
                .append(System.getProperty("os.name"))
                .append(' ')
                .append(System.getProperty("os.version"))
                .append("\n");
        o.append("- build: ").append(build()).append("\n");
        o.append("- outer and inner JVM flags: `")
                .append(String.join(" ", jvmFlags))
                .append("`\n");
        o.append("- pool: ").append(loopbackPool).append(" (inner.pool) for the loopback tests\n");
        o.append("- ")
                .append(Via.RELAY_TLS.label)
                .append(": a second outer and inner, TLS 1.3 between them, certificate from --gen-cert, fingerprint")
                .append(" pinned\n");
        o.append("- logs: ").append(work).append("\n\n");

        List<Via> others = vias.stream().filter(v -> v != Via.DIRECT).toList();
        o.append("| metric | ").append(Via.DIRECT.label);
        for (Via v : others) {
            o.append(" | ").append(v.label).append(" | ").append(v.label).append("/direct");
        }
        o.append(" |\n|---|---:");
        others.forEach(v -> o.append("|---:|---:"));
        o.append("|\n");
        for (Row r : rows.values()) {
            o.append("| ").append(r.metric).append(" | ").append(r.cell(Via.DIRECT));
            for (Via v : others) {
                double ratio = r.get(v) / r.get(Via.DIRECT);
                o.append(" | ")
                        .append(r.cell(v))
                        .append(" | ")
                        .append(Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio));
            }
            o.append(" |\n");
        }

        o.append("\n| outer and inner (plain relay), ")
                .append(String.format(Locale.ROOT, "%,d", concurrent))
                .append(" sessions | outer | inner | outer + inner |\n|---|---:|---:|---:|\n");
        if (emptyJvm != null) {
            o.append(String.format(
                    Locale.ROOT, "| resident MB, an empty JVM with the same flags | %.1f | | |%n", emptyJvm.rssMB()));
        }
        for (var e : memory.entrySet()) {
            Sample[] s = e.getValue();
            o.append(String.format(
                    Locale.ROOT,
                    "| resident MB, %s | %.1f | %.1f | %.1f |%n",
                    e.getKey(),
                    s[0].rssMB(),
                    s[1].rssMB(),
                    s[0].rssMB() + s[1].rssMB()));
        }
        for (var e : memory.entrySet()) {
            Sample[] s = e.getValue();
            o.append(String.format(
                    Locale.ROOT,
                    "| descriptors / threads, %s | %d / %d | %d / %d | |%n",
                    e.getKey(),
                    s[0].fds(),
                    s[0].threads(),
                    s[1].fds(),
                    s[1].threads()));
        }
        double per = mbPerThousand();
        o.append(String.format(
                Locale.ROOT,
                "| resident MB per 1,000 idle sessions (peak − idle before) | | | %s |%n",
                Double.isNaN(per) ? "n/a" : String.format(Locale.ROOT, "%.1f", per)));
        if (!concurrentNote.isEmpty()) {
            o.append("\nSessions ").append(concurrentNote).append(".\n");
        }

        o.append("\n");
        verdicts.forEach(v -> o.append("    ").append(v).append('\n'));
        if (!problems.isEmpty()) {
            o.append("\nProblems during the run:\n");
            problems.forEach(p -> o.append("  - ").append(p).append('\n'));
        }
        o.append(String.format(
                Locale.ROOT, "%nbench took %.0f s; logs in %s%n", (System.nanoTime() - started) / 1e9, work));
        System.out.print(o);
    }

    // ---- small things ----

    void section(String name) {
        System.out.printf(Locale.ROOT, "%n[%5.1f s] %s%n", (System.nanoTime() - started) / 1e9, name);
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The commit the jars were presumably built from, and whether relay's sources differ from it. */
    static String build() {
        String head = git("rev-parse", "--short", "HEAD");
        if (head == null || head.isEmpty()) {
            return "unknown (not a git checkout)";
        }
        String changed = git("status", "--porcelain", "--", "relay-core", "relay-outer", "relay-inner");
        return "commit " + head + (changed == null || changed.isEmpty() ? "" : " with uncommitted changes to relay");
    }

    /** The output of a read-only git command in the current directory, or null if it failed. */
    static String git(String... args) {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        try {
            Process git = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes()).trim();
            return git.waitFor() == 0 ? out : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse("unknown model");
        } catch (IOException e) {
            return "unknown model";
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    static ServerSocket listen() {
        try {
            // A deep backlog so bursts of opens queue instead of dropping SYNs.
            return new ServerSocket(0, 4096, LOOPBACK);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An ephemeral port that was free a moment ago, for the relay's config (the relay binds it next). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(LOOPBACK, port), 30_000);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // Nothing more can be done with it.
        }
    }

    static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}

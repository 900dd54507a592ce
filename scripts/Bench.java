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
import java.security.SecureRandom;
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
import java.util.stream.Stream;

/**
 * {@code make bench}: relay side by side with a direct loopback connection, in one run, as issue 3 asks.
 *
 * <p>Runs in source-launcher mode ({@code $JAVA_HOME/bin/java scripts/Bench.java}), JDK classes only. The bench
 * process holds the targets (echo, sink, source) and the delay proxies, all on virtual threads with blocking I/O;
 * the outer and inner are child processes it starts from copies of the jars, and it ends exactly those, by their
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
    static final int POOL = 8;
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
    static final String POOL_UNSUPPORTED = "pool: not supported by this build";

    /** Ways a client reaches the target; each is a column of the table. */
    enum Via {
        DIRECT("direct"),
        RELAY("relay");
        // ---- TLS column goes here ----
        // Once relay has a TLS mode: add RELAY_TLS("relay (TLS)"), start a second outer and inner pair with TLS on
        // in run() (as startRelay does for plain TCP), put its route ports in run()'s endpoints map, and every row of
        // the table gains a "relay (TLS)" column and its ratio to direct. Not implemented yet.

        final String label;

        Via(String label) {
            this.label = label;
        }
    }

    /** The three target ports as one way of reaching them sees them. */
    record Endpoints(int echo, int sink, int source) {
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
            long[] all = rounds.stream().flatMapToLong(l -> Arrays.stream(l.samples)).toArray();
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
    final Path work;
    final String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    final long started = System.nanoTime();

    // ---- what is running ----

    final List<Process> children = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    Targets targets;
    Process outer;
    Process inner;
    int controlPort;
    Endpoints relayPorts;
    boolean poolSupported = true;

    // ---- results ----

    final Map<String, Row> rows = new LinkedHashMap<>();
    final List<String> verdicts = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    final Map<String, Sample[]> memory = new LinkedHashMap<>();
    Sample emptyJvm;
    String concurrentNote = "";

    Bench(Path outerJar, Path innerJar, List<String> jvmFlags, boolean quick, int concurrent, int loopbackPool,
          int holdPeak) throws IOException {
        this.outerJar = outerJar;
        this.innerJar = innerJar;
        this.jvmFlags = jvmFlags;
        this.quick = quick;
        this.concurrent = concurrent;
        this.loopbackPool = loopbackPool;
        this.holdPeak = holdPeak;
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
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--outer-jar" -> outerJar = Path.of(args[++i]);
                case "--inner-jar" -> innerJar = Path.of(args[++i]);
                case "--jvm-flags" -> flags = args[++i];
                case "--sessions" -> concurrent = Integer.parseInt(args[++i]);
                case "--pool" -> pool = Integer.parseInt(args[++i]);
                case "--hold-peak" -> holdPeak = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> {
                    System.err.println("usage: java scripts/Bench.java [--outer-jar F] [--inner-jar F]"
                            + " [--jvm-flags \"...\"] [--sessions N] [--pool N] [--hold-peak SECONDS] [--quick]");
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
        List<String> jvmFlags = List.of(flags.trim().split("\\s+")).stream().filter(s -> !s.isEmpty()).toList();
        Bench b = new Bench(outerJar, innerJar, jvmFlags, quick, concurrent, pool, holdPeak);
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
        Endpoints direct = new Endpoints(targets.echo.getLocalPort(), targets.sink.getLocalPort(),
                targets.source.getLocalPort());
        startRelay(outerCopy, innerCopy);
        Process empty = startEmptyJvm();

        Map<Via, Endpoints> endpoints = new EnumMap<>(Via.class);
        endpoints.put(Via.DIRECT, direct);
        endpoints.put(Via.RELAY, relayPorts);

        settle(List.of(outer, inner), Duration.ofSeconds(10));
        waitStable(empty, Duration.ofSeconds(5));
        memory.put("idle at start", new Sample[] {sample(outer), sample(inner)});
        emptyJvm = sample(empty);
        stop(empty);

        section("bulk throughput (median of " + BULK_ROUNDS + " rounds, direct and relay taking turns)");
        Duration measure = quick ? Duration.ofSeconds(1) : BULK_MEASURE;
        for (int streams : new int[] {1, 4}) {
            for (boolean forward : new boolean[] {true, false}) {
                String what = streams + (streams == 1 ? " stream, " : " streams, ") + (forward ? "forward" : "reverse");
                Row r = row("bulk, " + what + ", Gbit/s", "%.2f");
                var rounds = interleaved(r, BULK_ROUNDS, v -> {
                    Endpoints e = endpoints.get(v);
                    return bulk(forward ? e.sink() : e.source(), forward, streams, measure);
                });
                for (Via v : rounds.keySet()) {
                    double[] g = rounds.get(v).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    if (g.length == BULK_ROUNDS) {
                        r.values.put(v, g[g.length / 2]);
                    }
                    System.out.printf(Locale.ROOT, "  %-6s %-19s %s Gbit/s%n", v.label, what, rounds.get(v).stream()
                            .map(x -> String.format(Locale.ROOT, "%.2f", x)).toList());
                }
            }
        }

        section("open → first echoed byte (" + OPEN_ROUNDS + " rounds, taking turns)");
        Row open50 = row("open → first echoed byte, p50, µs", "%.0f");
        Row open99 = row("open → first echoed byte, p99, µs", "%.0f");
        int openN = (quick ? 500 : OPEN_SESSIONS) / OPEN_ROUNDS;
        for (Via v : Via.values()) {
            // Warm-up: the JIT compiles the open path before anything counts.
            opens(new InetSocketAddress(LOOPBACK, endpoints.get(v).echo()), quick ? 300 : OPEN_WARMUP, 0, 0);
        }
        var openRounds = interleaved(open50, OPEN_ROUNDS,
                v -> opens(new InetSocketAddress(LOOPBACK, endpoints.get(v).echo()), 0, openN, 0));
        for (Via v : openRounds.keySet()) {
            Latency l = Latency.merge(openRounds.get(v));
            if (openRounds.get(v).size() == OPEN_ROUNDS) {
                report(v, "opens", l, 1e3, "µs");
                open50.values.put(v, l.p50() / 1e3);
                open99.values.put(v, l.p99() / 1e3);
                failures(open50, v, l);
            }
        }

        section(PING_SIZE + "-byte ping-pong (" + PING_ROUNDS_SPLIT + " rounds, taking turns)");
        Row ping50 = row(PING_SIZE + "-byte ping-pong, p50, µs", "%.1f");
        Row ping99 = row(PING_SIZE + "-byte ping-pong, p99, µs", "%.1f");
        Map<Via, Socket> pingSessions = new EnumMap<>(Via.class);
        try {
            for (Via v : Via.values()) {
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
            var pingRounds = interleaved(ping50, PING_ROUNDS_SPLIT, v -> {
                Socket s = pingSessions.get(v);
                if (s == null) {
                    throw new IOException("no session");
                }
                return pingPong(s, perRound);
            });
            for (Via v : pingRounds.keySet()) {
                if (pingRounds.get(v).size() == PING_ROUNDS_SPLIT) {
                    Latency l = Latency.merge(pingRounds.get(v));
                    report(v, "round trips on one session", l, 1e3, "µs");
                    ping50.values.put(v, l.p50() / 1e3);
                    ping99.values.put(v, l.p99() / 1e3);
                }
            }
        } finally {
            pingSessions.values().forEach(Bench::closeQuietly);
        }

        section(concurrent + " concurrent sessions");
        Row worked = row(String.format(Locale.ROOT, "%,d concurrent sessions that work", concurrent), "%.0f");
        for (Via v : Via.values()) {
            measure(worked, v, () -> concurrentSessions(v, endpoints.get(v).echo(), worked));
        }

        section("open with " + LINK_DELAY.toMillis() + " ms each way between inner and outer");
        delayedOpens(innerCopy, direct);

        verdicts();
        print();
        return 0;
    }

    // ---- the relay under test ----

    /** Starts the outer, then an inner with the pool set; falls back to no pool when this build rejects the field. */
    void startRelay(Path outerCopy, Path innerCopy) throws Exception {
        controlPort = freePort();
        relayPorts = new Endpoints(freePort(), freePort(), freePort());
        Path outerConfig = writeConfig("outer.json", controlPort, null);
        outer = spawn("outer", outerCopy, outerConfig);
        waitListening(outer, controlPort, Duration.ofSeconds(20));
        inner = spawn("inner", innerCopy, writeConfig("inner.json", controlPort, loopbackPool));
        if (!awaitReady(inner, relayPorts.echo(), Duration.ofSeconds(30))) {
            if (inner.exitValue() == 2 && Files.readString(log("inner")).contains("pool")) {
                poolSupported = false;
                System.out.println(POOL_UNSUPPORTED);
                inner = spawn("inner-nopool", innerCopy, writeConfig("inner-nopool.json", controlPort, null));
            }
            if (poolSupported || !awaitReady(inner, relayPorts.echo(), Duration.ofSeconds(30))) {
                throw new IllegalStateException("the inner did not start; see " + work);
            }
        }
        System.out.println("relay: outer pid " + outer.pid() + " (control port " + controlPort + "), inner pid "
                + inner.pid() + ", " + (poolSupported ? "pool " + loopbackPool : "no pool"));
    }

    /** The JSON config both programs read; {@code pool} null leaves the field out. */
    Path writeConfig(String name, int connectPort, Integer pool) throws IOException {
        String json = """
                {
                  "outer": { "listen": "127.0.0.1:%d" },
                  "inner": { "connect": "127.0.0.1:%d"%s },
                  "token": "%s",
                  "routes": [
                    { "name": "echo",   "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" },
                    { "name": "sink",   "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" },
                    { "name": "source", "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" }
                  ],
                  "tuning": { "maxSessions": 8000 }
                }
                """.formatted(controlPort, connectPort, pool == null ? "" : ", \"pool\": " + pool, token,
                relayPorts.echo(), targets.echo.getLocalPort(), relayPorts.sink(), targets.sink.getLocalPort(),
                relayPorts.source(), targets.source.getLocalPort());
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
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log(name).toFile()).start();
        children.add(p);
        return p;
    }

    Path log(String name) {
        return work.resolve(name + ".log");
    }

    /** An idle JVM with the same flags, for the resident memory an empty JVM needs on this machine. */
    Process startEmptyJvm() throws IOException {
        Path src = Files.writeString(work.resolve("Idle.java"),
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

    /** Waits until {@code port} accepts, or fails if {@code p} exits first. */
    void waitListening(Process p, int port, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the outer exited with status " + p.exitValue() + ":\n"
                        + tail(log("outer")));
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
     * Waits until one byte echoes through the relay's echo route, which needs an authenticated inner. Returns false if
     * the inner exits first (as it does, with status 2, when the config has a field this build does not know). Waiting
     * for either outcome, rather than for a fixed second, holds on a loaded machine where the JVM starts slowly.
     */
    boolean awaitReady(Process p, int echoPort, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (p.waitFor(50, TimeUnit.MILLISECONDS)) {
                return false;
            }
            if (!outer.isAlive()) {
                throw new IllegalStateException("the outer exited:\n" + tail(log("outer")));
            }
            try (Socket s = new Socket()) {
                s.setSoTimeout(1_000);
                s.connect(new InetSocketAddress(LOOPBACK, echoPort), 1_000);
                s.getOutputStream().write('r');
                if (s.getInputStream().read() == 'r') {
                    return true;
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

    /**
     * Runs {@code rounds} rounds of a measurement, each way of reaching the target taking its turn in every round, so
     * whatever drifts during the run (CPU frequency, a neighbour, the JIT) falls on both alike. A way that fails is
     * noted in {@code row} and left out of later rounds.
     */
    <T> Map<Via, List<T>> interleaved(Row row, int rounds, PerVia<T> m) {
        Map<Via, List<T>> out = new EnumMap<>(Via.class);
        for (Via v : Via.values()) {
            out.put(v, new ArrayList<>());
        }
        for (int round = 0; round < rounds; round++) {
            for (Via v : Via.values()) {
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
            settle(List.of(outer, inner), Duration.ofSeconds(10));
            base = new Sample[] {sample(outer), sample(inner)};
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
                settle(List.of(outer, inner), Duration.ofSeconds(20));
                memory.put("peak, " + String.format(Locale.ROOT, "%,d", n) + " open and idle",
                        new Sample[] {sample(outer), sample(inner)});
                if (holdPeak > 0) {
                    System.out.println("  holding " + holdPeak + " s at peak: outer pid " + outer.pid() + ", inner pid "
                            + inner.pid());
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
            System.out.printf(Locale.ROOT, "  %-6s %d of %d echoed when opened (in %.1f s), %d of %d again with all"
                    + " open%n", v.label, first, n, openSeconds, both, n);
            if (relay) {
                concurrentNote = String.format(Locale.ROOT, "opened in %.1f s, %d at a time", openSeconds,
                        OPEN_PARALLEL);
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
                settle(List.of(outer, inner), Duration.ofSeconds(10));
                memory.put("after close", new Sample[] {sample(outer), sample(inner)});
                System.out.printf(Locale.ROOT, "  relay  descriptors %s baseline %.1f s after closing%n",
                        back ? "back near" : "NOT back to", (System.nanoTime() - t) / 1e9);
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
     * Open latency across a link with {@link #LINK_DELAY} each way: the inner reaches the outer through a delay
     * proxy, pool on and pool off (a fresh inner each); direct is the client reaching the echo target through the same
     * kind of proxy. The inner the loopback tests used is stopped first, since the outer serves one inner at a time.
     */
    void delayedOpens(Path innerCopy, Endpoints direct) throws Exception {
        Row on = row("open → first echoed byte, " + LINK_DELAY.toMillis() + " ms each way, pool on, median, ms",
                "%.1f");
        Row off = row("open → first echoed byte, " + LINK_DELAY.toMillis() + " ms each way, pool off, median, ms",
                "%.1f");
        int n = quick ? 30 : DELAY_SESSIONS;
        DelayProxy toTarget = new DelayProxy("link-direct", direct.echo(), LINK_DELAY);
        DelayProxy toOuter = new DelayProxy("link-relay", controlPort, LINK_DELAY);
        closeables.add(toTarget);
        closeables.add(toOuter);

        measure(on, Via.DIRECT, () -> {
            Latency l = opens(new InetSocketAddress(LOOPBACK, toTarget.port()), DELAY_WARMUP, n, 0);
            report(Via.DIRECT, "opens across the link", l, 1e6, "ms");
            off.values.put(Via.DIRECT, l.p50() / 1e6);
            return l.p50() / 1e6;
        });
        stop(inner);
        if (poolSupported) {
            measure(on, Via.RELAY, () -> delayedRelay(innerCopy, "inner-delay-pool", POOL, toOuter.port(), n, on));
        } else {
            on.notes.put(Via.RELAY, POOL_UNSUPPORTED);
        }
        measure(off, Via.RELAY, () -> delayedRelay(innerCopy, "inner-delay-nopool", poolSupported ? 0 : null,
                toOuter.port(), n, off));
    }

    double delayedRelay(Path innerCopy, String name, Integer pool, int proxyPort, int n, Row row) throws Exception {
        Process p = spawn(name, innerCopy, writeConfig(name + ".json", proxyPort, pool));
        inner = p;
        try {
            if (!awaitReady(p, relayPorts.echo(), Duration.ofSeconds(30))) {
                throw new IllegalStateException(name + " exited with status " + p.exitValue());
            }
            // The pool fills in the background: start when the descriptor counts stop moving.
            settle(List.of(outer, p), Duration.ofSeconds(10));
            Latency l = opens(new InetSocketAddress(LOOPBACK, relayPorts.echo()), DELAY_WARMUP, n, 0);
            report(Via.RELAY, "opens, " + (pool == null ? "no pool" : "pool " + pool), l, 1e6, "ms");
            failures(row, Via.RELAY, l);
            return l.p50() / 1e6;
        } finally {
            stop(p);
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
            if (sample(outer).fds() <= base[0].fds() + 8 && sample(inner).fds() <= base[1].fds() + 8) {
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

        record Chunk(byte[] data, long dueNanos) {
        }

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
        System.out.printf(Locale.ROOT, "  %-6s %d %s: p50 %.1f %s, p99 %.1f %s%s%n", v.label, l.n(), what,
                l.p50() / unit, unitName, l.p99() / unit, unitName, failed);
    }

    void failures(Row r, Via v, Latency l) {
        if (l.failed() > 0) {
            problems.add(v.label + ", " + r.metric + ": " + l.failed() + " sessions did not echo");
        }
    }

    void verdicts() {
        // Bulk: every one of the four bulk rows at half of direct or better.
        double worst = Double.POSITIVE_INFINITY;
        String worstRow = "";
        boolean bulkMeasured = true;
        for (Row r : rows.values()) {
            if (r.metric.startsWith("bulk")) {
                double ratio = r.get(Via.RELAY) / r.get(Via.DIRECT);
                if (Double.isNaN(ratio)) {
                    bulkMeasured = false;
                } else if (ratio < worst) {
                    worst = ratio;
                    worstRow = r.metric.replace("bulk, ", "").replace(", Gbit/s", "");
                }
            }
        }
        verdict(bulkMeasured && worst >= 0.5, "bulk ≥ 0.5× direct, 1 and 4 streams, both directions",
                bulkMeasured ? String.format(Locale.ROOT, "lowest %.2f× (%s)", worst, worstRow) : "not measured");

        Row open = rows.get("open → first echoed byte, p50, µs");
        double added = open.get(Via.RELAY) - open.get(Via.DIRECT);
        verdict(added <= 150, "open → first byte p50 within 150 µs of direct",
                String.format(Locale.ROOT, "+%.0f µs (%.0f vs %.0f µs)", added, open.get(Via.RELAY),
                        open.get(Via.DIRECT)));

        double ping = rows.get("64-byte ping-pong, p50, µs").get(Via.RELAY);
        verdict(ping < 90, "64-byte ping-pong p50 < 90 µs", String.format(Locale.ROOT, "%.1f µs", ping));

        Row worked = rows.values().stream().filter(r -> r.metric.contains("concurrent sessions")).findFirst().get();
        double w = worked.get(Via.RELAY);
        verdict(w == concurrent, String.format(Locale.ROOT, "%,d concurrent sessions all work", concurrent),
                Double.isNaN(w) ? "not measured" : String.format(Locale.ROOT, "%,.0f of %,d", w, concurrent));

        double perThousand = mbPerThousand();
        verdict(perThousand <= 20, "≤ 20 MB resident (outer + inner) per 1,000 idle sessions",
                Double.isNaN(perThousand) ? "not measured" : String.format(Locale.ROOT, "%.1f MB", perThousand));

        Sample[] before = memory.get("idle before");
        Sample[] after = memory.get("after close");
        if (before != null && after != null) {
            boolean fdsBack = after[0].fds() <= before[0].fds() + 8 && after[1].fds() <= before[1].fds() + 8;
            boolean threadsBack = after[0].threads() <= before[0].threads() + 2
                    && after[1].threads() <= before[1].threads() + 2;
            verdict(fdsBack && threadsBack, "descriptors and threads back to baseline after the sessions end",
                    String.format(Locale.ROOT, "fds %d→%d outer, %d→%d inner; threads %d→%d, %d→%d",
                            before[0].fds(), after[0].fds(), before[1].fds(), after[1].fds(),
                            before[0].threads(), after[0].threads(), before[1].threads(), after[1].threads()));
        }

        Row delayed = rows.values().stream().filter(r -> r.metric.contains("pool on")).findFirst().get();
        double ratio = delayed.get(Via.RELAY) / delayed.get(Via.DIRECT);
        verdict(ratio <= 0.6, "open across a 10 ms link, pooled ≤ 0.6× direct",
                Double.isNaN(ratio) ? (poolSupported ? "not measured" : POOL_UNSUPPORTED)
                        : String.format(Locale.ROOT, "%.2f× (%.1f vs %.1f ms)", ratio, delayed.get(Via.RELAY),
                        delayed.get(Via.DIRECT)));
    }

    void verdict(boolean pass, String target, String detail) {
        verdicts.add((pass ? "PASS" : "FAIL") + "  " + target + ": " + detail);
    }

    /** Growth of outer + inner resident memory from idle to peak, per 1,000 sessions that worked. */
    double mbPerThousand() {
        Sample[] before = memory.get("idle before");
        Sample[] peak = memory.entrySet().stream().filter(e -> e.getKey().startsWith("peak")).map(Map.Entry::getValue)
                .findFirst().orElse(null);
        double worked = rows.values().stream().filter(r -> r.metric.contains("concurrent sessions")).findFirst()
                .map(r -> r.get(Via.RELAY)).orElse(Double.NaN);
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
        o.append("- JDK: ").append(jdk).append(" (").append(System.getProperty("java.vm.vendor")).append(", ")
                .append(System.getProperty("java.vm.name")).append(")\n");
        o.append("- CPUs: ").append(Runtime.getRuntime().availableProcessors()).append(" (").append(cpuModel())
                .append("), ").append(System.getProperty("os.name")).append(' ')
                .append(System.getProperty("os.version")).append("\n");
        o.append("- build: ").append(build()).append("\n");
        o.append("- outer and inner JVM flags: `").append(String.join(" ", jvmFlags)).append("`\n");
        o.append("- ").append(poolSupported ? "pool: " + loopbackPool + " (inner.pool) for the loopback tests"
                : POOL_UNSUPPORTED).append("\n");
        o.append("- logs: ").append(work).append("\n\n");

        List<Via> others = Arrays.stream(Via.values()).filter(v -> v != Via.DIRECT).toList();
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
                o.append(" | ").append(r.cell(v)).append(" | ")
                        .append(Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio));
            }
            o.append(" |\n");
        }

        o.append("\n| outer and inner, ").append(String.format(Locale.ROOT, "%,d", concurrent))
                .append(" sessions | outer | inner | outer + inner |\n|---|---:|---:|---:|\n");
        if (emptyJvm != null) {
            o.append(String.format(Locale.ROOT, "| resident MB, an empty JVM with the same flags | %.1f | | |%n",
                    emptyJvm.rssMB()));
        }
        for (var e : memory.entrySet()) {
            Sample[] s = e.getValue();
            o.append(String.format(Locale.ROOT, "| resident MB, %s | %.1f | %.1f | %.1f |%n", e.getKey(),
                    s[0].rssMB(), s[1].rssMB(), s[0].rssMB() + s[1].rssMB()));
        }
        for (var e : memory.entrySet()) {
            Sample[] s = e.getValue();
            o.append(String.format(Locale.ROOT, "| descriptors / threads, %s | %d / %d | %d / %d | |%n", e.getKey(),
                    s[0].fds(), s[0].threads(), s[1].fds(), s[1].threads()));
        }
        double per = mbPerThousand();
        o.append(String.format(Locale.ROOT, "| resident MB per 1,000 idle sessions (peak − idle before) | | | %s |%n",
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
        o.append(String.format(Locale.ROOT, "%nbench took %.0f s; logs in %s%n",
                (System.nanoTime() - started) / 1e9, work));
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
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown model");
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

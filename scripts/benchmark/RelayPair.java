package benchmark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One outer and the inner serving it, each {@code java -jar} on the run's copy of its jar with {@code --config}: plain
 * TCP between them, or TLS 1.3 set up as a user would (a certificate from {@code --gen-cert}, its fingerprint pinned on
 * the inner). Its files and logs are named {@code <id>-outer}, {@code <id>-inner}, ...
 */
final class RelayPair extends Column implements LinkSection.Across {
    /**
     * For the tuned column only: one log line per session open and close costs some of what is measured (failures
     * still log). The other columns log as shipped, since turning this off takes flags a user does not pass.
     */
    static final List<String> QUIET_SESSION_LOGS = List.of(
            "-Dorg.slf4j.simpleLogger.log.dev.relay.session.Session=warn",
            "-Dorg.slf4j.simpleLogger.log.dev.relay.outer.Outer=warn",
            "-Dorg.slf4j.simpleLogger.log.dev.relay.inner.Opener=warn");
    /** Room above the 5,000 concurrent sessions of a default run, so the outer's limit is not what they meet. */
    static final int MAX_SESSIONS = 8_000;

    static final Duration OUTER_START = Duration.ofSeconds(20);
    /** Until one byte echoes: the inner's JVM start, its handshake and its pool's first fill, on a busy machine. */
    static final Duration INNER_START = Duration.ofSeconds(30);
    /** A readiness probe that waits longer than this asks again. */
    static final int PROBE_MILLIS = 1_000;

    static final long POLL_MILLIS = 50;

    private final boolean tls;
    private final List<String> jvmFlags;
    private Run run;
    private TlsCert cert;
    private int controlPort;
    private Endpoints ports;
    private Process outer;
    private Process inner;

    RelayPair(String id, String label, boolean tls, List<String> jvmFlags, Set<String> sections) {
        super(id, label, sections);
        this.tls = tls;
        this.jvmFlags = jvmFlags;
    }

    @Override
    String description() {
        String how = jvmFlags.isEmpty() ? "java -jar, no JVM flags" : "JVM flags " + String.join(" ", jvmFlags);
        return (tls
                        ? "an outer and an inner, TLS 1.3 between them, certificate from --gen-cert, fingerprint pinned"
                        : "an outer and an inner, plain TCP between them")
                + "; " + how;
    }

    @Override
    void start(Run run) throws Exception {
        this.run = run;
        int pool = run.options.pool();
        if (tls) {
            cert = TlsCert.generate(run, id + "-cert");
        }
        controlPort = Net.freePort();
        ports = Net.freePorts();
        String outerName = id + "-outer";
        outer = run.children.start(outerName, command(run.outerJar(), config(outerName, controlPort, pool)));
        awaitListening(outerName);
        startInner(id + "-inner", controlPort, pool);
        System.out.println(label + ": outer pid " + outer.pid() + " (control port " + controlPort + "), inner pid "
                + inner.pid() + ", pool " + pool);
        if (tls) {
            System.out.println(label + ": the control port speaks " + cert.probe(controlPort));
        }
    }

    @Override
    Endpoints ports() {
        return ports;
    }

    /** The outer, then the inner: the memory table's two columns. */
    @Override
    List<Process> processes() {
        return Stream.of(outer, inner).filter(Objects::nonNull).toList();
    }

    @Override
    public int farPort() {
        return controlPort;
    }

    @Override
    public void stopNear() {
        Children.stop(inner);
    }

    @Override
    public void startNear(String tag, int via, int pool) throws Exception {
        stopNear();
        startInner(id + "-inner-" + tag, via, pool);
    }

    private void startInner(String name, int connectPort, int pool) throws Exception {
        inner = run.children.start(name, command(run.innerJar(), config(name, connectPort, pool)));
        awaitReady(name);
    }

    private List<String> command(Path jar, Path config) {
        return Children.java(jvmFlags, "-jar", jar.toString(), "--config", config.toString());
    }

    /** The config file both programs of the pair read, each its own part; the inner dials {@code connectPort}. */
    private Path config(String name, int connectPort, int pool) throws IOException {
        String outerTls = !tls ? "" : """
                , "tls": { "cert": "%s", "key": "%s" }""".formatted(cert.cert(), cert.key());
        String innerTls = !tls ? "" : """
                , "tls": { "fingerprint": "%s" }""".formatted(cert.fingerprint());
        Endpoints to = run.targets.ports();
        String json = """
                {
                  "outer": { "listen": "127.0.0.1:%d"%s },
                  "inner": { "connect": "127.0.0.1:%d", "pool": %d%s },
                  "token": "%s",
                  "routes": [
                    { "name": "echo",   "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" },
                    { "name": "sink",   "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" },
                    { "name": "source", "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d" },
                    { "name": "udp-echo", "listen": "127.0.0.1:%d", "target": "127.0.0.1:%d", "protocol": "udp" }
                  ],
                  "tuning": { "maxSessions": %d }
                }
                """.formatted(
                        controlPort,
                        outerTls,
                        connectPort,
                        pool,
                        innerTls,
                        run.token,
                        ports.echo(),
                        to.echo(),
                        ports.sink(),
                        to.sink(),
                        ports.source(),
                        to.source(),
                        ports.udpEcho(),
                        to.udpEcho(),
                        MAX_SESSIONS);
        Path file = Files.writeString(run.work.resolve(name + ".json"), json);
        // The file holds the token: only this user may read it, or the programs warn about it.
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** Waits until the control port accepts; fails if the outer exits first. */
    private void awaitListening(String name) throws Exception {
        long deadline = System.nanoTime() + OUTER_START.toNanos();
        while (System.nanoTime() < deadline) {
            if (!outer.isAlive()) {
                throw run.children.exited(name, outer);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(Net.LOOPBACK, controlPort), PROBE_MILLIS);
                return;
            } catch (IOException notYet) {
                Thread.sleep(POLL_MILLIS);
            }
        }
        throw new IllegalStateException(name + " did not listen on " + controlPort + " within " + OUTER_START);
    }

    /**
     * Waits until one byte echoes through the echo route, which needs an authenticated inner; fails if either program
     * exits first. Waiting for the echo, rather than for a fixed second, holds on a loaded machine where the JVM starts
     * slowly.
     */
    private void awaitReady(String name) throws Exception {
        long deadline = System.nanoTime() + INNER_START.toNanos();
        while (System.nanoTime() < deadline) {
            if (inner.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                throw run.children.exited(name, inner);
            }
            if (!outer.isAlive()) {
                throw run.children.exited(id + "-outer", outer);
            }
            try (Socket s = new Socket()) {
                s.setSoTimeout(PROBE_MILLIS);
                s.connect(new InetSocketAddress(Net.LOOPBACK, ports.echo()), PROBE_MILLIS);
                s.getOutputStream().write('r');
                if (s.getInputStream().read() == 'r') {
                    return;
                }
            } catch (IOException notYet) {
                // No inner yet: the outer holds the user until its open timeout; ask again.
            }
        }
        throw new IllegalStateException(
                "nothing echoed through " + label + " within " + INNER_START + "; see " + run.work);
    }
}

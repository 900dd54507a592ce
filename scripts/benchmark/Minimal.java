package benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Two chained {@code scripts/MinimalRelay.java} processes, client → hop 1 → hop 2 → target as client → outer → inner →
 * target, with no JVM flags, as relay's default columns run: relay's design with nothing else, the floor for bulk,
 * open, ping-pong, request/response, a burst and UDP on this machine. With {@code tls}, the link between the two hops is
 * TLS 1.3 with a handshake per connection (resumed where the JDK can), the floor for relay with TLS on (TCP only).
 */
final class Minimal extends Column {
    /** Relative to the repository's top, where scripts/bench runs the bench. */
    static final Path SOURCE = Path.of("scripts", "MinimalRelay.java");

    static final String READY = "minimal relay: listening";
    static final Duration START = Duration.ofSeconds(30);

    private final boolean tls;
    private final List<Process> hops = new ArrayList<>();
    private Endpoints ports;

    /** Whether the link between the two hops is TLS, with a handshake per connection. */
    boolean tls() {
        return tls;
    }

    Minimal(String id, String label, boolean tls, Set<String> sections) {
        super(id, label, sections);
        this.tls = tls;
    }

    @Override
    String description() {
        return "two chained " + SOURCE + " processes, relay's design and nothing else"
                + (tls ? ", TLS 1.3 between them (JSSE defaults, a handshake per connection)" : "")
                + "; no JVM flags";
    }

    @Override
    void start(Run run) throws Exception {
        Path classes = compiled(run);
        Endpoints second = Net.freePorts();
        Endpoints first = Net.freePorts();
        // The UDP hop between the two is a TCP connection per flow, like relay's data connection.
        int udpLink = Net.freePort();
        Endpoints targets = run.targets.ports();
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        if (tls) {
            TlsCert cert = TlsCert.generate(run, id + "-cert");
            in.addAll(List.of("cert=" + cert.cert(), "key=" + cert.key()));
        } else {
            in.add("t2u:" + udpLink + ":" + targets.udpEcho());
            out.add("u2t:" + first.udpEcho() + ":" + udpLink);
        }
        Process towardsTargets = hop(run, id + "-2", classes, second, targets, tls ? "tls-in:" : "", in);
        Process towardsClient = hop(run, id + "-1", classes, first, second, tls ? "tls-out:" : "", out);
        run.children.awaitLine(towardsTargets, id + "-2", READY, START);
        run.children.awaitLine(towardsClient, id + "-1", READY, START);
        ports = first;
        System.out.println(
                label + ": pids " + towardsClient.pid() + " → " + towardsTargets.pid() + " (" + SOURCE + ", two hops)");
    }

    @Override
    Endpoints ports() {
        return ports;
    }

    @Override
    List<Process> processes() {
        return List.copyOf(hops);
    }

    /**
     * MinimalRelay's classes, compiled once for every hop of both columns. Run from source, each hop compiled itself
     * at start: javac in four JVMs, seconds of CPU while the other columns start, and its classes in the hops' idle
     * memory.
     */
    private static synchronized Path compiled(Run run) throws IOException {
        Path src = SOURCE.toAbsolutePath();
        if (!Files.isRegularFile(src)) {
            throw new IllegalStateException(src + " not found: run the bench from the repository's top");
        }
        Path classes = run.work.resolve("minimal-classes");
        return Files.isRegularFile(classes.resolve("MinimalRelay.class")) ? classes : Children.compile(src, classes);
    }

    private Process hop(
            Run run, String name, Path classes, Endpoints listen, Endpoints to, String kind, List<String> more)
            throws Exception {
        List<String> args = new ArrayList<>();
        args.addAll(List.of("-cp", classes.toString(), "MinimalRelay"));
        args.add(kind + listen.echo() + ":" + to.echo());
        args.add(kind + listen.sink() + ":" + to.sink());
        args.add(kind + listen.source() + ":" + to.source());
        args.addAll(more);
        Process p = run.children.start(name, Children.java(args));
        hops.add(p);
        return p;
    }
}

package dev.relay.e2e;

import dev.relay.auth.Handshake;
import dev.relay.config.ClientTls;
import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.config.Token;
import dev.relay.config.Tuning;
import dev.relay.inner.Inner;
import dev.relay.outer.Outer;
import dev.relay.protocol.Channel;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.Message;
import dev.relay.protocol.OuterToInner;
import dev.relay.tls.Tls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

/** A real outer and inner in this JVM, on loopback, ephemeral ports everywhere, with short timers. */
final class TestTunnel implements AutoCloseable {
    static final Token TOKEN = new Token("test-token-0123456789abcdef");
    static final Tuning FAST = Tuning.DEFAULTS
            .withHeartbeat(Duration.ofMillis(200), Duration.ofMillis(1000))
            .withOpenTimeout(Duration.ofSeconds(5))
            .withHandshake(Duration.ofSeconds(5))
            .withReconnect(Duration.ofMillis(20), Duration.ofMillis(200));

    private OuterConfig outerConfig;
    /** Null for a plain control port. */
    private final TestCert cert;

    private InnerConfig innerConfig;
    Outer outer;
    Inner inner;

    TestTunnel(OuterConfig outerConfig, TestCert cert) throws IOException {
        this.outerConfig = outerConfig;
        this.cert = cert;
        ClientTls innerTls = cert == null ? null : cert.pinned();
        this.outer = Outer.start(outerConfig);
        this.innerConfig = new InnerConfig(
                        new HostPort("127.0.0.1", outer.controlPort()),
                        TOKEN,
                        "test-inner",
                        InnerConfig.DEFAULT_POOL,
                        outerConfig.tuning())
                .withTls(innerTls);
    }

    /** An outer with these routes and no inner yet, over plain TCP. */
    static TestTunnel outerOnly(Tuning tuning, Route... routes) throws IOException {
        return outerOnly(null, tuning, routes);
    }

    /** The same, over TLS with {@code cert} pinned by the inner when it is not null. */
    static TestTunnel outerOnly(TestCert cert, Tuning tuning, Route... routes) throws IOException {
        OuterConfig c = new OuterConfig(new HostPort("127.0.0.1", 0), TOKEN, List.of(routes), tuning)
                .withTls(cert == null ? null : cert.server());
        return new TestTunnel(c, cert);
    }

    /** An outer and a connected inner with one route named "r0" to {@code target}. */
    static TestTunnel to(Target target) throws IOException, InterruptedException {
        return to(target, InnerConfig.DEFAULT_POOL);
    }

    /** The same, with the inner keeping {@code pool} idle data connections, over TLS when {@code cert} is set. */
    static TestTunnel to(Target target, int pool, TestCert cert) throws IOException, InterruptedException {
        return to(target, pool, cert, FAST);
    }

    /** The same, with {@code tuning} instead of {@link #FAST}. */
    static TestTunnel to(Target target, int pool, TestCert cert, Tuning tuning)
            throws IOException, InterruptedException {
        TestTunnel t = outerOnly(cert, tuning, route("r0", target)).pool(pool);
        t.startInner();
        return t;
    }

    static TestTunnel to(Target target, int pool) throws IOException, InterruptedException {
        return to(target, pool, null);
    }

    static Route route(String name, Target target) {
        return Route.of(name, new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", target.port()));
    }

    InnerConfig innerConfig() {
        return innerConfig;
    }

    /** Sets the inner's pool size for the next {@link #startInner()}. */
    TestTunnel pool(int size) {
        innerConfig = innerConfig.withPool(size);
        return this;
    }

    void startInner() throws InterruptedException, IOException {
        startInner(innerConfig);
    }

    /** Starts an inner and waits until the outer has it. */
    void startInner(InnerConfig config) throws InterruptedException, IOException {
        launchInner(config);
        if (!inner.awaitConnected(Duration.ofSeconds(10))) {
            throw new AssertionError("inner did not connect: " + inner.lastFailure());
        }
        Await.until("outer sees the inner", () -> outer.innerConnected());
    }

    /** Starts an inner that is expected not to get in; the test watches what happens. */
    void launchInner(InnerConfig config) throws IOException {
        inner = Inner.start(config);
    }

    void stopInner() {
        inner.close();
        inner = null;
    }

    /** Stops the outer and starts a new one on the same control and route ports. */
    void restartOuter() throws IOException {
        List<Route> fixed = outerConfig.routes().stream()
                .map(r -> r.withListen(r.listen().withPort(outer.port(r.name()))))
                .toList();
        OuterConfig again = outerConfig
                .withListen(outerConfig.listen().withPort(outer.controlPort()))
                .withRoutes(fixed);
        outer.close();
        outer = Outer.start(again);
        outerConfig = again;
    }

    /** A user of {@code route}. */
    Socket connect(String route) throws IOException {
        return dial(outer.port(route));
    }

    /**
     * A connection to the control port, for a test to speak the protocol on, or to abuse it: raw TCP, or TLS with the
     * certificate pinned when the tunnel has one.
     */
    Socket controlConnection() throws IOException {
        Socket s = dial(outer.controlPort());
        if (cert == null) {
            return s;
        }
        try {
            return Tls.connect(Tls.client(cert.pinned()), s, new HostPort("127.0.0.1", outer.controlPort()), false);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** A test speaking as the inner on its own control channel: authenticated, welcomed, and taken by the outer. */
    record ScriptedInner(Socket socket, Channel channel, String id) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Opens a control channel for a {@link ScriptedInner} and waits until the outer has taken it. */
    ScriptedInner scriptedInner() throws IOException {
        Socket control = controlConnection();
        try {
            Channel ch = new Channel(control);
            Handshake.dial(ch, TOKEN, Purpose.CONTROL, "scripted", null);
            String id =
                    ch.expect(OuterToInner.class, OuterToInner.Welcome.class).channel();
            Await.until("the outer to take the scripted inner", () -> outer.innerConnected());
            return new ScriptedInner(control, ch, id);
        } catch (IOException | RuntimeException | Error e) {
            control.close();
            throw e;
        }
    }

    /** The next Open on a scripted control channel, past its heartbeats. */
    static OuterToInner.Open nextOpen(Channel control) throws IOException {
        while (true) {
            OuterToInner m = control.read(OuterToInner.class);
            if (m instanceof OuterToInner.Open o) {
                return o;
            }
            if (!(m instanceof Message.Heartbeat)) {
                throw new AssertionError("expected an Open or a Heartbeat, got " + m);
            }
        }
    }

    /**
     * Makes {@code s}, a connection to the control port, a pooled connection of {@code scripted} with the full exchange,
     * and waits until the outer holds it.
     */
    Channel scriptedPooled(ScriptedInner scripted, Socket s) throws IOException {
        int before = outer.pooledConnections();
        Channel c = new Channel(s);
        Handshake.dial(c, TOKEN, Purpose.POOL, "scripted", scripted.id());
        Await.until("the pooled connection", () -> outer.pooledConnections() > before);
        return c;
    }

    private static Socket dial(int port) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(30_000);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    Socket connect() throws IOException {
        return connect("r0");
    }

    @Override
    public void close() {
        if (inner != null) {
            inner.close();
        }
        outer.close();
    }
}

package dev.relay.outer;

import dev.relay.admin.AdminServer;
import dev.relay.admin.RouteStats;
import dev.relay.config.ConfigException;
import dev.relay.config.ConfigSource;
import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.net.Descriptors;
import dev.relay.net.LogLimiter;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.Endpoints;
import dev.relay.protocol.Frames;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import dev.relay.session.Sessions;
import dev.relay.tls.Tls;
import dev.relay.tls.TlsSetupException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.SocketException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public side of the tunnel, and the handle an embedding program holds: {@link #start} binds the control port and
 * every route's port, {@link #close} stops everything. This class holds the routes, the users waiting for an inner,
 * and the sessions; the {@link ControlPort} holds everything that arrives from the inners, and the {@link Dispatcher}
 * decides which inner serves each new session, and where it goes when that inner fails it.
 *
 * <p>Threads: {@code control-acceptor} and one {@code route-<name>} per route accept; the control port's threads
 * authenticate the inner's connections and read its control channel; two threads per session copy bytes; the
 * {@code outer-timer} platform thread reaps what is stale and ends handshakes that overrun their deadline.
 */
public final class Outer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Outer.class);

    /** Connections to the control port still proving themselves, at most; more are closed at accept. */
    public static final int MAX_HANDSHAKES = 256;
    /** The same, from any one source address other than the connected inner's. */
    public static final int MAX_HANDSHAKES_PER_SOURCE = 16;
    /** How long {@link #close} waits for session threads to finish after closing their sockets. */
    public static final Duration CLOSE_GRACE = Duration.ofSeconds(2);
    /**
     * How often the reaper looks for users who waited too long, idle sessions and old pooled connections: a quarter
     * of the open timeout, so a user is closed at most a quarter late, but within these bounds.
     */
    static final long MIN_REAP_MILLIS = 50;
    /** See {@link #MIN_REAP_MILLIS}. */
    static final long MAX_REAP_MILLIS = 1000;

    /** The configuration in force; a reload replaces it whole, and new work reads it, never a half of it. */
    private volatile OuterConfig config;

    private final ConfigSource<OuterConfig> source;
    private final Instant startedAt = Instant.now();
    private volatile Instant loadedAt = startedAt;
    private final AtomicLong generation = new AtomicLong(1);
    private final LongAdder reloadsApplied = new LongAdder();
    private final LongAdder reloadsFailed = new LongAdder();
    private volatile AdminServer admin;
    private final ReentrantLock reloading = new ReentrantLock();
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Threads.platformDaemons("outer-timer"));
    private final ControlPort control;
    private final Map<String, RoutePort> routes = new ConcurrentHashMap<>();
    private final PendingOpens pending = new PendingOpens();
    private final Balancer balancer = new Balancer();
    private final Dispatcher dispatcher;
    private final Sessions sessions = new Sessions();
    private final Admission admission;
    private final SessionStarter starter;
    private final Map<String, RouteStats> stats = new ConcurrentHashMap<>();
    /** One address at its limit could otherwise write a line per connection attempt. */
    private final LogLimiter limitRefusals = new LogLimiter(Duration.ofSeconds(1), "refused");

    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong retired = new AtomicLong();
    private final List<Thread> acceptors = new CopyOnWriteArrayList<>();

    private Outer(OuterConfig config, ConfigSource<OuterConfig> source, SSLContext tls, ServerSocket controlServer) {
        this.config = config;
        this.source = source;
        this.control = new ControlPort(this, config, tls, timer, controlServer);
        this.dispatcher = new Dispatcher(this, control, pending, balancer);
        this.admission = new Admission(config.tuning().maxSessions());
        balancer.health(config.tuning().healthFailures(), config.tuning().healthSkip());
        this.starter = new SessionStarter(this, pending, balancer, sessions, admission);
    }

    /**
     * Binds the control port and every route, then starts serving. Routes listen even while no inner is connected;
     * a user who arrives then waits up to the open timeout for one.
     *
     * @throws TlsSetupException when the certificate or key cannot be used
     * @throws IOException naming the route and port when a port cannot be bound
     */
    public static Outer start(OuterConfig config) throws IOException {
        return start(config, null);
    }

    /**
     * The same, for an outer that can reload: {@code source} is where {@link #reload()} (SIGHUP, {@code POST /reload})
     * reads the configuration again.
     */
    public static Outer start(OuterConfig config, ConfigSource<OuterConfig> source) throws IOException {
        // Fails early if the route list cannot be sent to an inner in one frame.
        Frames.encode(ControlPort.welcome(config, Nonce.sessionId()));
        SSLContext tls = config.tls() == null ? null : Tls.server(config.tls());
        int max = config.tuning().maxSessions();
        int others = MAX_HANDSHAKES + InnerConfig.MAX_POOL + config.routes().size();
        Descriptors.check(LOG, max, others, "maxSessions " + max);
        Outer outer = new Outer(
                config,
                source,
                tls,
                Acceptor.bind("control port", config.listen().resolve()));
        try {
            for (Route r : config.routes()) {
                outer.routes.put(r.name(), outer.bind(r, r.listen()));
            }
            if (config.admin() != null) {
                outer.admin = AdminServer.start(config.admin(), "outer", new OuterAdmin(outer));
            }
        } catch (IOException e) {
            outer.close();
            throw e;
        }
        outer.acceptors.add(Threads.start("control-acceptor", outer.control::run));
        outer.routes.values().forEach(outer::serve);
        long reapEvery = Math.clamp(config.tuning().openTimeout().toMillis() / 4, MIN_REAP_MILLIS, MAX_REAP_MILLIS);
        outer.timer.scheduleAtFixedRate(outer::reap, reapEvery, reapEvery, TimeUnit.MILLISECONDS);
        LOG.info(
                "outer listening for inners on {} ({})",
                config.listen().withPort(outer.controlPort()),
                tls == null ? "plain TCP" : "TLS 1.3");
        if (tls == null) {
            LOG.warn("the control port is plain TCP: traffic between inner and outer is not encrypted; "
                    + "set outer.tls (make certs, or java -jar relay-outer.jar --gen-cert)");
        }
        return outer;
    }

    /** A listener for {@code route} bound on {@code at}, not yet serving; the exception names the route and port. */
    RoutePort bind(Route route, HostPort at) throws IOException {
        if (route.isUdp()) {
            return new UdpListener(this, route, UdpListener.bind(route.withListen(at)));
        }
        return new RouteListener(this, route, Acceptor.bind("route \"" + route.name() + "\"", at.resolve()));
    }

    /** Starts a bound listener's accept (or receive) loop. */
    void serve(RoutePort l) {
        acceptors.add(Threads.start("route-" + l.route().name(), l::run));
        String udp = l.route().isUdp() ? "udp " : "";
        LOG.info(
                "route {} listening on {}{} -> {}{}",
                l.route().name(),
                udp,
                l.listening(),
                udp,
                l.route().target());
    }

    /**
     * Reads the configuration again from where it came from and applies it, without dropping a session; see
     * {@link #reload(OuterConfig)}. A file that does not load changes nothing: the error is logged as at startup.
     */
    public AdminServer.Reload reload() {
        if (source == null) {
            return AdminServer.Reload.failed("this outer was started without a file to re-read");
        }
        OuterConfig next;
        try {
            next = source.load();
        } catch (ConfigException e) {
            reloadsFailed.increment();
            LOG.error("reload refused, the configuration in force is unchanged: {}", e.getMessage());
            return AdminServer.Reload.failed(e.getMessage());
        }
        return reload(next);
    }

    /**
     * Applies a new configuration while serving: routes added are bound, removed ones stop accepting (their sessions
     * run to their end), changed ones apply to new sessions; the inner learns the new table. What needs a restart is
     * reported and left as it was.
     */
    public AdminServer.Reload reload(OuterConfig next) {
        reloading.lock();
        try {
            AdminServer.Reload r = new OuterReload(this, config, next).apply();
            (r.ok() ? reloadsApplied : reloadsFailed).increment();
            return r;
        } finally {
            reloading.unlock();
        }
    }

    /** The port of the admin endpoint, or -1 when there is none. */
    public int adminPort() {
        AdminServer a = admin;
        return a == null ? -1 : a.port();
    }

    /** The control port actually bound (useful when configured as 0). */
    public int controlPort() {
        return control.port();
    }

    /** The public port a route actually bound. */
    public int port(String route) {
        RoutePort l = routes.get(route);
        if (l == null) {
            throw new IllegalArgumentException("no route named \"" + route + "\"");
        }
        return l.port();
    }

    /** Whether an authenticated inner is connected now. */
    public boolean innerConnected() {
        return control.inners().anyOpen();
    }

    /** The names of the inners connected now. */
    public Set<String> connectedInners() {
        Set<String> names = new TreeSet<>();
        for (InnerLink l : control.inners().all()) {
            if (l.isOpen()) {
                names.add(l.name());
            }
        }
        return names;
    }

    /** Sessions (and UDP flows) of {@code route} started on the inner named {@code inner}, so far. */
    public long sessionsStarted(String route, String inner) {
        return balancer.load(route, inner).sessions();
    }

    /** Sessions of {@code route} retried on another inner after {@code inner} could not reach the target. */
    public long sessionsRetried(String route, String inner) {
        return balancer.load(route, inner).retries();
    }

    /** False while {@code inner}'s own health checks find the target of {@code route} down. */
    public boolean innerTargetUp(String route, String inner) {
        return balancer.load(route, inner).targetUp();
    }

    /** Times {@code inner} was skipped on {@code route} after its target failed repeatedly. */
    public long innerSkips(String route, String inner) {
        return balancer.load(route, inner).skips();
    }

    /** Sessions relaying bytes now. */
    public int activeSessions() {
        return sessions.size();
    }

    /** UDP flows on every route now, relaying or waiting for the inner. */
    public int activeFlows() {
        int n = 0;
        for (RoutePort r : routes.values()) {
            if (r instanceof UdpListener u) {
                n += u.flows();
            }
        }
        return n;
    }

    /** Idle data connections the inner has opened in advance. */
    public int pooledConnections() {
        return control.inners().pooled();
    }

    /** Pooled connections closed so far for being idle too long (each one is replaced by the inner). */
    public long pooledConnectionsRetired() {
        return retired.get();
    }

    /** Pooled connections so far given back to the pool after a session, to carry another. */
    public long pooledConnectionsReused() {
        return dispatcher.reused();
    }

    /** Pooled connections so far that authenticated with a ticket, in one frame instead of a round trip. */
    public long pooledConnectionsTicketed() {
        return control.ticketed();
    }

    /** Data connections so far that authenticated in one frame (DataAuth, over TLS) instead of a round trip. */
    public long dataConnectionsInOneFrame() {
        return control.dataInOneFrame();
    }

    /** Connections so far that carried streams (over TLS), and streams so far that authenticated as data connections. */
    public long streamConnections() {
        return control.muxes();
    }

    public long dataStreams() {
        return control.streams();
    }

    /** Users waiting for the inner to answer. */
    public int pendingOpens() {
        return pending.size();
    }

    // ---- users ----

    /** A user the route's allow list admitted; runs on the route's acceptor thread (or its PROXY reader's). */
    void userArrived(Route route, User user) {
        if (closed.get()) {
            user.close();
            return;
        }
        String refused = admission.tryAcquire(route, user.address().getAddress());
        if (refused != null) {
            stats(route).failed(RouteStats.Result.OVER_LIMIT, refused);
            limitRefusals.event(
                    more -> LOG.warn("route={} user={} refused: {}{}", route.name(), user.describe(), refused, more));
            user.close();
            return;
        }
        try {
            Sockets.tune(user.socket());
        } catch (SocketException e) {
            admission.release(route, user.address().getAddress());
            user.close();
            return;
        }
        String id = Nonce.sessionId();
        InnerLink chosen = dispatcher.choose(route);
        if (dispatcher.tryPooled(chosen, id, route, user, null)) {
            return;
        }
        PendingOpen p = new PendingOpen(
                id,
                route,
                user,
                System.nanoTime() + config.tuning().openTimeout().toNanos());
        pending.add(p);
        // With no inner chosen, ask looks again: one that came up after the first look, but snapshotted the waiting
        // users before this one was added, would otherwise never hear of it. Its compare-and-set keeps it to one.
        dispatcher.ask(p, null, null, chosen);
    }

    /**
     * The first datagram of a new UDP flow, on the route's receive loop: takes a session slot for it and asks the inner
     * for a data connection, like a TCP user's; returns why not when a limit refuses it. Never waits.
     */
    String openFlow(UdpFlow flow) {
        if (closed.get()) {
            return "outer shutting down";
        }
        Route route = flow.route();
        String refused = admission.tryAcquire(route, flow.user().getAddress());
        if (refused != null) {
            // Counted by the caller as a dropped datagram: a flood over the limit is not a stream of users.
            return refused;
        }
        InnerLink chosen = dispatcher.choose(route);
        if (dispatcher.tryPooled(chosen, flow.id(), route, null, flow)) {
            return null;
        }
        PendingOpen p = new PendingOpen(
                flow, System.nanoTime() + config.tuning().openTimeout().toNanos());
        pending.add(p);
        dispatcher.ask(p, null, null, chosen);
        return null;
    }

    /** The Open with the user's addresses when the route writes a PROXY header to its target. */
    static OuterToInner.Open open(OuterToInner.Open o, Route route, User user) {
        return route.proxyProtocol() == null
                ? o
                : o.withAddresses(Endpoints.of(user.address()), Endpoints.of(user.local()));
    }

    // ---- what the admin endpoint and a reload see ----

    OuterConfig config() {
        return config;
    }

    /** Puts a checked configuration in force, for new work from now on. */
    void config(OuterConfig next) {
        config = next;
        admission.globalLimit(next.tuning().maxSessions());
        balancer.health(next.tuning().healthFailures(), next.tuning().healthSkip());
        loadedAt = Instant.now();
        generation.incrementAndGet();
    }

    Map<String, RoutePort> listeners() {
        return routes;
    }

    ControlPort control() {
        return control;
    }

    Balancer balancer() {
        return balancer;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    SessionStarter starter() {
        return starter;
    }

    boolean isClosed() {
        return closed.get();
    }

    Map<String, RouteStats> allStats() {
        return stats;
    }

    String source() {
        return source == null ? null : source.describe();
    }

    Instant startedAt() {
        return startedAt;
    }

    Instant loadedAt() {
        return loadedAt;
    }

    long generation() {
        return generation.get();
    }

    long reloads(boolean applied) {
        return (applied ? reloadsApplied : reloadsFailed).sum();
    }

    /** Replaces the admin endpoint (a reload moved it), after the response to the request that asked is sent. */
    void admin(AdminServer next) {
        AdminServer before = admin;
        admin = next;
        if (before != null) {
            Threads.start("admin-restart", before::close);
        }
    }

    AdminServer admin() {
        return admin;
    }

    /** A route's counters, kept by name across reloads. */
    RouteStats stats(Route route) {
        return stats.computeIfAbsent(route.name(), k -> new RouteStats());
    }

    /** Closes users who waited too long, idle sessions and old pooled connections; runs on {@code outer-timer}. */
    private void reap() {
        try {
            long now = System.nanoTime();
            List<PendingOpen> expired = pending.takeExpired(now);
            boolean inner = innerConnected();
            String why = (inner ? "inner did not answer within " : "no inner connected within ")
                    + config.tuning().openTimeout().toMillis() + "ms";
            RouteStats.Result result = inner ? RouteStats.Result.TIMEOUT : RouteStats.Result.NO_INNER;
            expired.forEach(p -> starter.drop(p, result, why));
            sessions.closeIdle();
            for (RoutePort r : routes.values()) {
                if (r instanceof UdpListener u) {
                    u.reapIdle();
                }
            }
            for (InnerLink l : control.inners().all()) {
                retired.addAndGet(l.retireIdle(config.tuning().poolMaxIdle(), now));
            }
        } catch (RuntimeException e) {
            LOG.error("bug: reaper failed", e);
        }
    }

    /** Stops accepting, closes the control channel, waiting users and sessions; waits briefly for their threads. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        AdminServer a = admin;
        if (a != null) {
            a.close();
        }
        control.stopAccepting();
        routes.values().forEach(RoutePort::close);
        // Once the acceptors have left accept(), no user can arrive half-registered behind the drain below, and the
        // listening sockets are really released, so a restarted outer can bind the same ports at once.
        for (Thread t : new ArrayList<>(acceptors)) {
            try {
                t.join(CLOSE_GRACE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        control.closeLinks();
        pending.takeAll().forEach(p -> starter.drop(p, RouteStats.Result.ERROR, "outer shutting down"));
        dispatcher.closeAll();
        timer.shutdownNow();
        sessions.closeAll("outer shutting down", CLOSE_GRACE);
        LOG.info("outer stopped");
    }
}

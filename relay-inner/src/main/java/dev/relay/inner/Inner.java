package dev.relay.inner;

import dev.relay.admin.AdminServer;
import dev.relay.admin.RouteStats;
import dev.relay.auth.AuthException;
import dev.relay.auth.Handshake;
import dev.relay.config.ConfigException;
import dev.relay.config.ConfigSource;
import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.Route.ProxyVersion;
import dev.relay.net.Descriptors;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.OuterToInner;
import dev.relay.session.DatagramSession;
import dev.relay.session.Sessions;
import dev.relay.tls.FingerprintMismatch;
import dev.relay.tls.Tls;
import dev.relay.tls.TlsSetupException;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The private side of the tunnel, and the handle an embedding program holds: {@link #start} begins dialling every
 * outer in {@code inner.connect} and keeps a control channel open to each for as long as the handle is open, each
 * reconnecting with its own backoff and jitter whenever its outer is down or restarts. Any outer can serve any of the
 * routes it offers; losing one ends only the sessions that ran over it.
 *
 * <p>Threads: one {@code inner-connector-<host:port>} per outer ({@link Connector}) dials, authenticates and then reads
 * that outer's control channel; {@code inner-writer} writes to it while connected; {@code open-<id>} reaches a target
 * and dials a data connection for one session; two threads per session copy bytes.
 */
public final class Inner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Inner.class);

    /**
     * Connections being opened at once, at most, of each kind and for each outer: to targets, and to that outer. A
     * burst of users queues here instead of knocking on the control port thousands of times at once, and a hostile
     * outer cannot make this inner open connections without bound, nor hold up another outer's; the two kinds are
     * counted apart so that targets that do not answer cannot hold up the pool's refills or another route's data
     * connections.
     */
    public static final int MAX_CONCURRENT_DIALS = 64;
    /** How long {@link #close} waits for session threads to finish after closing their sockets. */
    public static final Duration CLOSE_GRACE = Duration.ofSeconds(2);

    /** The configuration in force; a reload replaces it whole. */
    private volatile InnerConfig config;

    private final SSLContext tls;
    private final ConfigSource<InnerConfig> source;
    private final Instant startedAt = Instant.now();
    private volatile Instant loadedAt = startedAt;
    private final AtomicLong generation = new AtomicLong(1);
    private final LongAdder reloadsApplied = new LongAdder();
    private final LongAdder reloadsFailed = new LongAdder();
    private volatile AdminServer admin;
    private final ReentrantLock reloading = new ReentrantLock();
    private final Sessions sessions = new Sessions();
    /** UDP flows relaying now; each one's DatagramSession removes itself when it ends. */
    private final Set<DatagramSession> flows = ConcurrentHashMap.newKeySet();

    private final AtomicBoolean closed = new AtomicBoolean();
    /** One per outer, in the order of inner.connect; a reload replaces the map whole, under {@link #reloading}. */
    private volatile Map<HostPort, Connector> connectors = Map.of();

    private final AtomicReference<String> lastFailure = new AtomicReference<>();
    private final ReentrantLock stateLock = new ReentrantLock();
    private final Condition stateChanged = stateLock.newCondition();
    /** Sessions, and Opens on their way to becoming one, counted from the moment an Open is read, across outers. */
    private final SessionSlots sessionSlots;

    private final Map<String, RouteStats> stats = new ConcurrentHashMap<>();

    private Inner(InnerConfig config, ConfigSource<InnerConfig> source, SSLContext tls) {
        this.config = config;
        this.source = source;
        this.tls = tls;
        this.sessionSlots = new SessionSlots(config.tuning().maxSessions());
    }

    /**
     * Starts dialling the outers; returns at once.
     *
     * @throws TlsSetupException when the TLS trust material (inner.tls.ca) cannot be read
     * @throws IOException when the admin endpoint's port cannot be bound
     */
    public static Inner start(InnerConfig config) throws IOException {
        return start(config, null);
    }

    /**
     * The same, for an inner that can reload ({@code source}: see {@link #reload()}) and may serve an admin endpoint.
     *
     * @throws IOException when the admin endpoint's port cannot be bound
     */
    public static Inner start(InnerConfig config, ConfigSource<InnerConfig> source) throws IOException {
        Inner inner = new Inner(config, source, config.tls() == null ? null : Tls.client(config.tls()));
        if (config.admin() != null) {
            inner.admin = AdminServer.start(config.admin(), "inner", new InnerAdmin(inner));
        }
        int max = config.tuning().maxSessions();
        long perOuter = Pool.MAX_KEPT_PER_SLOT * config.pool() + 2L * MAX_CONCURRENT_DIALS + 1;
        Descriptors.check(LOG, max, perOuter * config.connect().size(), "maxSessions " + max);
        if (config.tls() == null) {
            LOG.warn("connecting to the outer over plain TCP: set inner.tls to encrypt and verify the outer");
        }
        if (config.allowTargets().isEmpty()) {
            LOG.info("inner.allowTargets is not set: this inner connects to whatever targets the outer's routes name");
        }
        inner.reloading.lock();
        try {
            inner.connectTo(config.connect());
        } finally {
            inner.reloading.unlock();
        }
        return inner;
    }

    /** Whether a control channel to at least one outer is open now. */
    public boolean connected() {
        return connectors.values().stream().anyMatch(c -> c.link() != null);
    }

    /** Whether a control channel to {@code outer} is open now. */
    public boolean connectedTo(HostPort outer) {
        Connector c = connectors.get(outer);
        return c != null && c.link() != null;
    }

    /** The outers this inner dials now, in the order configured. */
    public List<HostPort> outers() {
        return List.copyOf(connectors.keySet());
    }

    /** Waits up to {@code timeout} for a control channel to be open to every outer; returns whether they are. */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        stateLock.lock();
        try {
            while (!connectors.values().stream().allMatch(c -> c.link() != null)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                stateChanged.awaitNanos(left);
            }
            return true;
        } finally {
            stateLock.unlock();
        }
    }

    /** Why the last connection attempt or control channel failed, to any outer, if one did. */
    public String lastFailure() {
        return lastFailure.get();
    }

    /** Sessions relaying bytes now. */
    public int activeSessions() {
        return sessions.size();
    }

    /** UDP flows relaying now. */
    public int activeFlows() {
        return flows.size();
    }

    /**
     * Reads the configuration again from where it came from and applies what can change while running: the outers
     * (added ones are dialled, removed ones let go), allowTargets (the outers' routes are filtered again), the pool's
     * size, and the admin endpoint. The rest is reported as needing a restart. A file that does not load changes
     * nothing.
     */
    public AdminServer.Reload reload() {
        if (source == null) {
            return AdminServer.Reload.failed("this inner was started without a file to re-read");
        }
        reloading.lock();
        try {
            InnerConfig next;
            try {
                next = source.load();
            } catch (ConfigException e) {
                reloadsFailed.increment();
                LOG.error("reload refused, the configuration in force is unchanged: {}", e.getMessage());
                return AdminServer.Reload.failed(e.getMessage());
            }
            AdminServer.Reload r = new InnerReload(this, config, next).apply();
            reloadsApplied.increment();
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

    // ---- what the admin endpoint and a reload see ----

    /** Puts a checked configuration in force: what can change while running, from now on. */
    void config(InnerConfig next) {
        config = next;
        loadedAt = Instant.now();
        generation.incrementAndGet();
    }

    /** Every outer's connector, in the order configured. */
    Collection<Connector> connectors() {
        return connectors.values();
    }

    /**
     * Makes the outers dialled exactly {@code outers}: starts a connector for each new one, and closes those no longer
     * listed (their control channel and pool; sessions already running over them finish on their own). Runs under
     * {@link #reloading}.
     */
    void connectTo(List<HostPort> outers) {
        Map<HostPort, Connector> before = connectors;
        Map<HostPort, Connector> next = new LinkedHashMap<>();
        List<Connector> started = new ArrayList<>();
        for (HostPort o : outers) {
            Connector c = before.get(o);
            if (c == null) {
                c = new Connector(this, o, sessionSlots.add());
                started.add(c);
            }
            next.put(o, c);
        }
        connectors = Collections.unmodifiableMap(next);
        for (Connector c : before.values()) {
            if (!next.containsKey(c.outer())) {
                LOG.info("no longer connecting to outer at {}: its sessions finish on their own", c.outer());
                c.close();
                sessionSlots.remove(c.slots());
            }
        }
        if (!closed.get()) {
            started.forEach(Connector::start);
        }
        linkChanged();
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

    AdminServer admin() {
        return admin;
    }

    /** Replaces the admin endpoint (a reload moved it), after the response to the request that asked is sent. */
    void admin(AdminServer next) {
        AdminServer before = admin;
        admin = next;
        if (before != null) {
            Threads.start("admin-restart", before::close);
        }
    }

    /** A route's counters, kept by name for the life of this inner. */
    RouteStats stats(String route) {
        return stats.computeIfAbsent(route, k -> new RouteStats());
    }

    /** What may run while holding a dial slot. */
    interface Dial<T> {
        T run() throws IOException;
    }

    /** Dials {@code outer} and authenticates; the caller owns the returned channel. */
    Channel dial(HostPort outer, Purpose purpose, String session) throws IOException {
        return dial(outer, ch -> Handshake.dial(ch, config.token(), purpose, config.name(), session));
    }

    /**
     * Dials and authenticates as {@link #dial(HostPort, Purpose, String)} does, then waits for the outer's Ready: a data
     * connection over plain TCP (over TLS a data connection is a stream instead, {@link OuterLink#dialStream}) and the
     * stream connection itself. The caller owns the returned channel.
     */
    Channel dialReady(HostPort outer, Purpose purpose, String session) throws IOException {
        return dial(outer, ch -> {
            Handshake.dial(ch, config.token(), purpose, config.name(), session);
            ch.expect(OuterToInner.class, OuterToInner.Ready.class);
        });
    }

    /**
     * Dials a pooled connection that authenticates with {@code ticket} (see {@link Handshake#dialWithTicket}); the
     * caller owns the returned connection and must check the proof in its Open.
     */
    Ticketed dialWithTicket(HostPort outer, String channel, String ticket) throws IOException {
        String[] openProof = new String[1];
        Channel ch = dial(
                outer, c -> openProof[0] = Handshake.dialWithTicket(c, config.token(), config.name(), channel, ticket));
        return new Ticketed(ch, openProof[0]);
    }

    /** A pooled connection that authenticated with a ticket, and the proof the outer's Open on it must carry. */
    record Ticketed(Channel channel, String openProof) {}

    private interface Authenticate {
        void on(Channel ch) throws IOException;
    }

    private Channel dial(HostPort outer, Authenticate authenticate) throws IOException {
        Socket s = new Socket();
        try {
            Sockets.tune(s);
            s.connect(outer.resolve(), (int) config.tuning().handshake().toMillis());
            s.setSoTimeout((int) config.tuning().handshake().toMillis());
            Channel ch = new Channel(tls == null ? s : secure(s, outer));
            authenticate.on(ch);
            return ch;
        } catch (IOException | RuntimeException e) {
            Sockets.closeQuietly(s);
            throw e;
        }
    }

    /**
     * TLS to an outer; nothing of relay's is sent unless the outer's certificate is the one expected. Every outer is
     * checked against the same inner.tls: the one pinned certificate, or the CA file and the host name dialled.
     */
    private SSLSocket secure(Socket s, HostPort outer) throws IOException {
        try {
            return Tls.connect(tls, s, outer, config.tls().ca() != null);
        } catch (SSLException e) {
            FingerprintMismatch m = Tls.mismatch(e);
            if (m != null) {
                throw new AuthException(m.getMessage() + "; sending nothing to it");
            }
            throw new IOException(
                    "TLS handshake with the outer failed: " + e.getMessage() + " (does the outer have outer.tls set?)",
                    e);
        }
    }

    /**
     * The routes this inner will serve: those the outer sent whose target is well formed and allowed by
     * inner.allowTargets. A refused route is logged and left out; the others work.
     */
    Map<String, ServedRoute> serve(List<OuterToInner.RouteSpec> offered) {
        Map<String, ServedRoute> routes = new LinkedHashMap<>();
        for (OuterToInner.RouteSpec r : offered) {
            HostPort target;
            try {
                target = HostPort.parse(r.target());
            } catch (IllegalArgumentException e) {
                LOG.warn("route {} refused: target {}", r.name(), Frames.printable(e.getMessage()));
                continue;
            }
            if (!config.allowsTarget(target)) {
                LOG.warn("route {} refused: target {} is not in inner.allowTargets", r.name(), target);
                continue;
            }
            ProxyVersion proxy = r.proxyProtocol() == null
                    ? null
                    : ProxyVersion.valueOf(r.proxyProtocol().toUpperCase());
            routes.put(r.name(), new ServedRoute(r.name(), target, proxy, r.udp()));
        }
        return routes;
    }

    Duration deadPeer(Duration heartbeat) {
        // Welcome caps the heartbeat at an hour, so three of them still fit a socket timeout.
        Duration theirs = heartbeat.multipliedBy(3);
        return theirs.compareTo(config.tuning().deadPeer()) > 0
                ? theirs
                : config.tuning().deadPeer();
    }

    /** A connector's control channel opened or closed: wakes {@link #awaitConnected}. */
    void linkChanged() {
        stateLock.lock();
        try {
            stateChanged.signalAll();
        } finally {
            stateLock.unlock();
        }
    }

    /** A connector's last attempt or channel failed, for {@link #lastFailure}. */
    void failed(String failure) {
        lastFailure.set(failure);
    }

    /** Whether the connections to the outer are TLS, inside which a pool ticket can be used without being seen. */
    boolean usesTls() {
        return tls != null;
    }

    InnerConfig config() {
        return config;
    }

    Sessions sessions() {
        return sessions;
    }

    Set<DatagramSession> flows() {
        return flows;
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Stops reconnecting, closes every control channel and every session. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        AdminServer a = admin;
        if (a != null) {
            a.close();
        }
        Collection<Connector> all = connectors.values();
        all.forEach(Connector::close);
        List.copyOf(flows).forEach(f -> f.close("inner shutting down"));
        sessions.closeAll("inner shutting down", CLOSE_GRACE);
        try {
            for (Connector c : all) {
                c.join(CLOSE_GRACE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("inner stopped");
    }
}

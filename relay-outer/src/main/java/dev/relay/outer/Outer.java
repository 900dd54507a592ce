package dev.relay.outer;

import dev.relay.auth.AuthException;
import dev.relay.auth.Handshake;
import dev.relay.auth.Handshake.Greeting;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.net.LogLimiter;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.Nonce;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.ProtocolException;
import dev.relay.session.Session;
import dev.relay.session.Sessions;
import dev.relay.tls.Tls;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public side of the tunnel, and the handle an embedding program holds: {@link #start} binds the control port and
 * every route's port, {@link #close} stops everything.
 *
 * <p>Threads: {@code control-acceptor} and one {@code route-<name>} per route accept; {@code handshake-<peer>}
 * authenticates each control-port connection; {@code control-reader} reads the inner's control channel; two threads
 * per session copy bytes; the {@code outer-timer} platform thread sends heartbeats and reaps what is stale.
 */
public final class Outer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Outer.class);

    /** Connections to the control port still proving themselves, at most; more are closed at accept. */
    public static final int MAX_HANDSHAKES = 256;
    /** The same, from any one source address other than the connected inner's. */
    public static final int MAX_HANDSHAKES_PER_SOURCE = 16;
    /** How long {@link #close} waits for session threads to finish after closing their sockets. */
    public static final Duration CLOSE_GRACE = Duration.ofSeconds(2);

    private final OuterConfig config;
    private final SSLContext tls;
    private final Acceptor control;
    private final Map<String, RouteListener> routes = new LinkedHashMap<>();
    private final PendingOpens pending = new PendingOpens();
    private final Sessions sessions = new Sessions();
    private final Set<Socket> handshaking = ConcurrentHashMap.newKeySet();
    private final HandshakeSlots handshakeSlots = new HandshakeSlots(MAX_HANDSHAKES, MAX_HANDSHAKES_PER_SOURCE);
    private final LogLimiter handshakeRefusals = new LogLimiter(Duration.ofSeconds(1));
    /** Strangers choose how often they fail to authenticate, so their log lines are limited too: ten a second. */
    private final LogLimiter handshakeFailures = new LogLimiter(Duration.ofMillis(100));

    private final Admission admission;
    private final AtomicReference<InnerLink> link = new AtomicReference<>();
    private final ScheduledExecutorService timer;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong retired = new AtomicLong();
    private final AtomicLong ticketed = new AtomicLong();
    private final List<Thread> acceptors = new CopyOnWriteArrayList<>();

    private Outer(OuterConfig config, SSLContext tls, ServerSocket controlServer) {
        this.config = config;
        this.tls = tls;
        this.control = new Acceptor("control port", controlServer, this::accepted);
        this.admission = new Admission(config.tuning().maxSessions());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "outer-timer");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Binds the control port and every route, then starts serving. Routes listen even while no inner is connected;
     * a user who arrives then waits up to the open timeout for one.
     *
     * @throws IOException naming the route and port when a port cannot be bound
     */
    public static Outer start(OuterConfig config) throws IOException {
        // Fails early if the route list cannot be sent to an inner in one frame.
        Frames.encode(welcome(config, Nonce.sessionId()));
        SSLContext tls = config.tls() == null ? null : Tls.server(config.tls());
        ServerSocket controlServer = bind("control port", config.listen().resolve());
        Outer outer = new Outer(config, tls, controlServer);
        try {
            for (Route r : config.routes()) {
                ServerSocket s = bind("route \"" + r.name() + "\"", r.listen().resolve());
                outer.routes.put(r.name(), new RouteListener(outer, r, s));
            }
        } catch (IOException e) {
            outer.close();
            throw e;
        }
        outer.acceptors.add(Threads.start("control-acceptor", outer.control::run));
        for (RouteListener l : outer.routes.values()) {
            outer.acceptors.add(Threads.start("route-" + l.route().name(), l::run));
            LOG.info(
                    "route {} listening on {} -> {}",
                    l.route().name(),
                    l.route().listen().withPort(l.port()),
                    l.route().target());
        }
        long reapEvery =
                Math.max(50, Math.min(1000, config.tuning().openTimeout().toMillis() / 4));
        outer.timer.scheduleAtFixedRate(outer::reap, reapEvery, reapEvery, TimeUnit.MILLISECONDS);
        long beat = config.tuning().heartbeat().toMillis();
        outer.timer.scheduleAtFixedRate(outer::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
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

    /** The control port actually bound (useful when configured as 0). */
    public int controlPort() {
        return control.port();
    }

    /** The public port a route actually bound. */
    public int port(String route) {
        RouteListener l = routes.get(route);
        if (l == null) {
            throw new IllegalArgumentException("no route named \"" + route + "\"");
        }
        return l.port();
    }

    /** Whether an authenticated inner is connected now. */
    public boolean innerConnected() {
        InnerLink l = link.get();
        return l != null && l.isOpen();
    }

    /** Sessions relaying bytes now. */
    public int activeSessions() {
        return sessions.size();
    }

    /** Idle data connections the inner has opened in advance. */
    public int pooledConnections() {
        InnerLink l = link.get();
        return l == null ? 0 : l.pooled();
    }

    /** Pooled connections closed so far for being idle too long (each one is replaced by the inner). */
    public long pooledConnectionsRetired() {
        return retired.get();
    }

    /** Pooled connections so far that authenticated with a ticket, in one frame instead of a round trip. */
    public long pooledConnectionsTicketed() {
        return ticketed.get();
    }

    /** Users waiting for the inner to answer. */
    public int pendingOpens() {
        return pending.size();
    }

    // ---- users ----

    void userArrived(RouteListener listener, Socket user) {
        Route route = listener.route();
        String from = Sockets.peer(user);
        if (closed.get()) {
            Sockets.closeQuietly(user);
            return;
        }
        if (!route.allows(user.getInetAddress())) {
            // Closed before anything reaches the inner; logged sparingly, since a scan would otherwise flood the log.
            Sockets.closeQuietly(user);
            listener.refusals.event(left -> LOG.warn(
                    "route={} user={} refused: not in the route's allow list{}",
                    route.name(),
                    from,
                    left == 0 ? "" : " (" + left + " more refused since the last line)"));
            return;
        }
        String refused = admission.tryAcquire(route);
        if (refused != null) {
            LOG.warn("route={} user={} refused: {}", route.name(), from, refused);
            Sockets.closeQuietly(user);
            return;
        }
        try {
            Sockets.tune(user);
        } catch (SocketException e) {
            admission.release(route);
            Sockets.closeQuietly(user);
            return;
        }
        String id = Nonce.sessionId();
        InnerLink l = link.get();
        if (l != null && openOnPooled(l, id, route, user, from)) {
            return;
        }
        PendingOpen p = new PendingOpen(
                id,
                route,
                user,
                from,
                System.nanoTime() + config.tuning().openTimeout().toNanos());
        pending.add(p);
        // Read the link again: one that came up after the first look, but snapshotted the pending users before this
        // one was added, would otherwise never hear of it. claimFor keeps it to one Open per link.
        l = link.get();
        if (l != null) {
            l.open(p);
        }
    }

    /**
     * Starts the session on an idle pooled connection: the Open goes on that connection and the user's bytes follow
     * it at once, so the session costs no round trip for a handshake. A connection whose write fails is dropped and
     * the next one tried; false when the pool is empty.
     */
    private boolean openOnPooled(InnerLink l, String id, Route route, Socket user, String from) {
        for (InnerLink.Pooled p; (p = l.takePooled()) != null; ) {
            // The ticket is for the connection the inner dials to replace this one.
            String ticket = l.tickets().issue(System.nanoTime());
            try {
                p.channel().send(new OuterToInner.Open(id, route.name(), ticket, p.openProof()));
            } catch (IOException e) {
                LOG.debug("pooled connection to {} was dead: {}", l, e.toString());
                l.tickets().discard(ticket);
                p.channel().close();
                continue;
            }
            startSession(id, route, user, from, p.channel().socket(), "pool");
            return true;
        }
        return false;
    }

    void openFailed(String id, String reason) {
        PendingOpen p = pending.take(id);
        if (p != null) {
            drop(p, "inner could not open: " + reason);
        }
    }

    private void drop(PendingOpen p, String reason) {
        LOG.info(
                "session failed id={} route={} user={} reason=\"{}\"",
                p.id(),
                p.route().name(),
                p.userAddress(),
                reason);
        Sockets.closeQuietly(p.user());
        admission.release(p.route());
    }

    // ---- the control port ----

    /**
     * Starts authenticating a new control-port connection on a thread of its own, or closes it at once when too many
     * are already authenticating; runs on {@code control-acceptor}.
     */
    void accepted(Socket s) {
        InnerLink l = link.get();
        InetAddress innerAddress = l == null ? null : l.address();
        String refused = handshakeSlots.tryAcquire(s.getInetAddress(), innerAddress);
        if (refused != null) {
            Sockets.closeQuietly(s);
            handshakeRefusals.event(left -> LOG.warn(
                    "control connection from {} refused: {}{}",
                    Sockets.peer(s),
                    refused,
                    left == 0 ? "" : " (" + left + " more refused since the last line)"));
            return;
        }
        Threads.start("handshake-" + Sockets.peer(s), () -> {
            try {
                handshake(s);
            } finally {
                handshakeSlots.release(s.getInetAddress(), innerAddress);
            }
        });
    }

    /** Authenticates one control-port connection and gives it its role; runs on its {@code handshake-} thread. */
    private void handshake(Socket s) {
        String from = Sockets.peer(s);
        handshaking.add(s);
        // close() sets the flag before it closes what is handshaking: either it saw this socket, or we see the flag.
        if (closed.get()) {
            handshaking.remove(s);
            Sockets.closeQuietly(s);
            return;
        }
        // The deadline covers the whole exchange, so a peer trickling one byte at a time cannot hold a slot.
        AtomicBoolean done = new AtomicBoolean();
        ScheduledFuture<?> deadline;
        try {
            deadline = timer.schedule(
                    () -> {
                        if (done.compareAndSet(false, true)) {
                            Sockets.closeQuietly(s);
                        }
                    },
                    config.tuning().handshake().toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            handshaking.remove(s);
            Sockets.closeQuietly(s);
            return;
        }
        Channel ch = null;
        Greeting g = null;
        String failure = null;
        try {
            Sockets.tune(s);
            s.setSoTimeout((int) config.tuning().handshake().toMillis());
            ch = secure(s);
            g = Handshake.accept(ch, config.token(), this::redeem);
        } catch (AuthException e) {
            failure = e.getMessage();
        } catch (ProtocolException e) {
            failure = "protocol violation: " + e.getMessage();
            if (ch != null) {
                ch.fail(e.getMessage());
            }
        } catch (EOFException e) {
            failure = "closed before authenticating";
        } catch (Frames.PeerError e) {
            failure = "peer said: " + e.getMessage();
        } catch (IOException e) {
            failure = done.get()
                    ? "did not authenticate within "
                            + config.tuning().handshake().toMillis() + "ms"
                    : String.valueOf(e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("bug: handshake with {} failed", from, e);
            failure = "internal error: " + e;
        } finally {
            deadline.cancel(false);
            handshaking.remove(s);
        }
        if (failure != null || !done.compareAndSet(false, true)) {
            String why = failure != null ? failure : "did not authenticate in time";
            handshakeFailures.event(left -> LOG.warn(
                    "control connection from {} dropped: {}{}",
                    from,
                    why,
                    left == 0 ? "" : " (" + left + " more dropped since the last line)"));
            Sockets.closeQuietly(s);
            return;
        }
        switch (g.purpose()) {
            case CONTROL -> controlChannelOpened(ch, g, from);
            case DATA -> dataConnectionOpened(ch, g, from);
            case POOL -> pooledConnectionOpened(ch, g, from);
        }
    }

    /**
     * The channel for a new control-port connection: TLS when the outer has a certificate, plain frames otherwise.
     * The first byte tells which one the peer speaks, so a mismatch gets a clear refusal instead of garbage.
     */
    private Channel secure(Socket s) throws IOException {
        int first = s.getInputStream().read();
        if (first < 0) {
            throw new EOFException("closed before the first byte");
        }
        if (tls != null) {
            if (first != Tls.HANDSHAKE_RECORD) {
                new Channel(s, first)
                        .fail("this outer requires TLS: give the inner \"tls\": {\"fingerprint\": ...}"
                                + " or {\"ca\": ...} (see README)");
                throw new AuthException("a plain connection to a TLS control port");
            }
            try {
                return new Channel(Tls.accept(tls, s, first));
            } catch (SSLException e) {
                throw new AuthException("TLS handshake failed: " + e.getMessage());
            }
        }
        if (first == Tls.HANDSHAKE_RECORD) {
            throw new AuthException("a TLS client on this plain control port: set outer.tls, or remove inner.tls");
        }
        return new Channel(s, first);
    }

    private void controlChannelOpened(Channel ch, Greeting g, String from) {
        InnerLink current = link.get();
        if (current != null && current.isOpen()) {
            refuseSecondInner(ch, g, from, current);
            return;
        }
        InnerLink fresh = new InnerLink(this, ch, g.name(), ch.socket().getInetAddress(), from, ticketTtl());
        // Welcome goes out before the link is published, so it is always the first frame the inner reads.
        try {
            ch.socket().setSoTimeout(0);
            ch.send(welcome(config, fresh.id()));
        } catch (IOException e) {
            ch.close();
            LOG.warn("inner \"{}\" from {} lost during welcome: {}", g.name(), from, e.getMessage());
            return;
        }
        if (!link.compareAndSet(current, fresh)) {
            refuseSecondInner(ch, g, from, link.get());
            return;
        }
        if (closed.get()) {
            // close() ran while this inner was authenticating; it must not outlive the outer.
            link.compareAndSet(fresh, null);
            fresh.close();
            return;
        }
        LOG.info("inner \"{}\" connected from {}", g.name(), from);
        Threads.start("control-reader", () -> fresh.run(config.tuning().deadPeer()));
        for (PendingOpen p : pending.snapshot()) {
            fresh.open(p);
        }
    }

    private static void refuseSecondInner(Channel ch, Greeting g, String from, InnerLink current) {
        String why = "another inner (" + (current == null ? "?" : "\"" + current.name() + "\"")
                + ") is connected; a second one is refused until the first is gone";
        LOG.warn("inner \"{}\" from {} refused: {}", g.name(), from, why);
        ch.fail(why);
    }

    private void dataConnectionOpened(Channel ch, Greeting g, String from) {
        PendingOpen p = pending.take(g.session());
        if (p == null) {
            LOG.info("data connection from {} for unknown or expired session {}", from, g.session());
            ch.fail("unknown or expired session " + g.session());
            return;
        }
        Socket data = ch.socket();
        try {
            data.setSoTimeout(0);
            ch.send(new OuterToInner.Ready());
        } catch (IOException e) {
            Sockets.closeQuietly(data);
            drop(p, "data connection lost before the session started: " + e.getMessage());
            return;
        }
        startSession(p.id(), p.route(), p.user(), p.userAddress(), data, "open");
    }

    private void startSession(String id, Route route, Socket user, String from, Socket data, String via) {
        Session s =
                new Session(id, "route=" + route.name() + " user=" + from, user, data, route.idleTimeout(), ended -> {
                    sessions.remove(ended);
                    admission.release(route);
                });
        sessions.add(s);
        LOG.info("session open id={} route={} user={} via={}", id, route.name(), from, via);
        s.start();
        if (closed.get()) {
            s.close("outer shutting down");
        }
    }

    /**
     * Spends a pool ticket of the connected inner's control channel; false if that channel gave out no such ticket, or
     * it was spent, or it is older than {@link #ticketTtl}.
     */
    private boolean redeem(String ticket) {
        InnerLink l = link.get();
        return l != null && l.tickets().redeem(ticket, System.nanoTime());
    }

    /**
     * How long a pool ticket stays good. The inner dials with it as soon as it has reached the target of the session
     * that brought it (within the open timeout) and the dial itself takes at most the handshake timeout; twice that
     * leaves room for waiting on a dial slot. A later dial makes the full handshake instead.
     */
    private Duration ticketTtl() {
        return config.tuning().openTimeout().plus(config.tuning().handshake().multipliedBy(2));
    }

    private void pooledConnectionOpened(Channel ch, Greeting g, String from) {
        InnerLink l = link.get();
        if (l == null || !l.isOpen()) {
            ch.fail("no control channel is open for this inner; connect it first");
            return;
        }
        if (!l.owns(g.session())) {
            // Holding the token is not enough to receive users: the pool is the connected inner's alone.
            LOG.warn("pooled connection from {} refused: it names another control channel", from);
            ch.fail("this pooled connection names another control channel");
            return;
        }
        try {
            ch.socket().setSoTimeout(0);
        } catch (SocketException e) {
            ch.close();
            return;
        }
        if (l.offer(ch, g.openProof())) {
            if (g.openProof() != null) {
                ticketed.incrementAndGet();
            }
        } else {
            LOG.debug("pooled connection from {} refused: pool full", from);
            ch.fail("the pool is full (" + InnerConfig.MAX_POOL + " connections)");
        }
    }

    void linkGone(InnerLink l, String reason) {
        if (link.compareAndSet(l, null)) {
            LOG.info("{} disconnected: {}", l, reason);
        }
    }

    // ---- timer ----

    /**
     * Sends a heartbeat on a thread of its own, so an inner that stops reading can stall only that thread, never the
     * timer; and closes the control channel of an inner that has not read for longer than the dead-peer time.
     */
    private void heartbeat() {
        InnerLink l = link.get();
        if (l == null) {
            return;
        }
        if (l.stalled(config.tuning().deadPeer())) {
            LOG.warn(
                    "{} stopped reading for {}s; closing its control channel",
                    l,
                    config.tuning().deadPeer().toSeconds());
            l.close();
            return;
        }
        Threads.start("control-heartbeat", l::heartbeat);
    }

    private void reap() {
        try {
            long now = System.nanoTime();
            for (PendingOpen p : pending.takeExpired(now)) {
                String why = innerConnected() ? "inner did not answer within " : "no inner connected within ";
                drop(p, why + config.tuning().openTimeout().toMillis() + "ms");
            }
            sessions.closeIdle();
            InnerLink l = link.get();
            if (l != null) {
                retired.addAndGet(l.retireIdle(config.tuning().poolMaxIdle(), now));
            }
        } catch (RuntimeException e) {
            LOG.error("bug: reaper failed", e);
        }
    }

    // ---- shutdown ----

    /** Stops accepting, closes the control channel, waiting users and sessions; waits briefly for their threads. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        control.close();
        routes.values().forEach(RouteListener::close);
        handshaking.forEach(Sockets::closeQuietly);
        // Once the acceptors have left accept(), no user can arrive half-registered behind the drain below, and the
        // listening sockets are really released, so a restarted outer can bind the same ports at once.
        for (Thread t : acceptors) {
            try {
                t.join(CLOSE_GRACE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        InnerLink l = link.getAndSet(null);
        if (l != null) {
            l.close();
        }
        for (PendingOpen p : pending.takeAll()) {
            drop(p, "outer shutting down");
        }
        timer.shutdownNow();
        sessions.closeAll("outer shutting down", CLOSE_GRACE);
        LOG.info("outer stopped");
    }

    private static OuterToInner.Welcome welcome(OuterConfig config, String channel) {
        List<OuterToInner.RouteSpec> specs = config.routes().stream()
                .map(r -> new OuterToInner.RouteSpec(r.name(), r.target().toString()))
                .toList();
        return new OuterToInner.Welcome(specs, config.tuning().heartbeat().toMillis(), channel);
    }

    private static ServerSocket bind(String what, InetSocketAddress at) throws IOException {
        if (at.isUnresolved()) {
            throw new IOException(
                    what + ": cannot listen on " + at.getHostString() + ":" + at.getPort() + ": unknown host");
        }
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(at, 1024);
        } catch (IOException e) {
            Sockets.closeQuietly(s);
            throw new IOException(
                    what + ": cannot listen on " + at.getHostString() + ":" + at.getPort() + ": " + e.getMessage(), e);
        }
        return s;
    }
}

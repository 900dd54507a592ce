package dev.relay.outer;

import dev.relay.auth.AuthException;
import dev.relay.auth.Handshake;
import dev.relay.auth.Handshake.Greeting;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.config.Tuning;
import dev.relay.mux.Mux;
import dev.relay.mux.MuxStream;
import dev.relay.net.LogLimiter;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.CloseReason;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.OuterToInner;
import dev.relay.protocol.ProtocolException;
import dev.relay.tls.Tls;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control port: admits connections within the handshake caps, tells TLS from plain frames, authenticates each
 * one with its inner's token, and gives it its role. A control connection becomes that inner's {@link InnerLink} (one
 * per inner name, in {@link Inners}), a pooled one joins its link's pool (with or without a ticket), and a data
 * connection goes to {@link Outer} to be paired with its user.
 *
 * <p>Threads: {@code control-acceptor} accepts; {@code handshake-<peer>} authenticates each connection under one
 * deadline on the outer's timer; the link's own threads take over from there.
 */
final class ControlPort {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPort.class);

    private final Outer outer;
    /** Replaced by a reload that re-read the certificate; each connection uses the one current when it arrives. */
    private volatile SSLContext tls;

    private final ScheduledExecutorService timer;
    private final Acceptor acceptor;
    private final HandshakeSlots slots = new HandshakeSlots(Outer.MAX_HANDSHAKES, Outer.MAX_HANDSHAKES_PER_SOURCE);
    private final Set<Socket> handshaking = ConcurrentHashMap.newKeySet();
    private final Inners inners = new Inners();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong ticketed = new AtomicLong();
    private final AtomicLong dataInOneFrame = new AtomicLong();
    private final AtomicLong muxes = new AtomicLong();
    private final AtomicLong streams = new AtomicLong();
    private final LogLimiter refusals = new LogLimiter(Duration.ofSeconds(1), "refused");
    /** Strangers choose how often they fail to authenticate, so their log lines are limited too: ten a second. */
    private final LogLimiter failures = new LogLimiter(Duration.ofMillis(100), "dropped");

    /** Why a connection to the control port did not become a control, data or pooled connection. */
    enum Failure {
        OVER_CAP,
        TIMEOUT,
        AUTH,
        PROTOCOL,
        TLS,
        CLOSED,
        OTHER;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Map<Failure, LongAdder> failed = new EnumMap<>(Failure.class);

    ControlPort(Outer outer, OuterConfig config, SSLContext tls, ScheduledExecutorService timer, ServerSocket server) {
        this.outer = outer;
        for (Failure f : Failure.values()) {
            failed.put(f, new LongAdder());
        }
        this.tls = tls;
        this.timer = timer;
        this.acceptor = new Acceptor("control port", server, this::accepted);
    }

    /** Accepts until {@link #close}; runs on {@code control-acceptor}. */
    void run() {
        acceptor.run();
    }

    int port() {
        return acceptor.port();
    }

    /** The connected inners' control channels. */
    Inners inners() {
        return inners;
    }

    /** Pooled connections so far that authenticated with a ticket, in one frame instead of a round trip. */
    long ticketed() {
        return ticketed.get();
    }

    /** Connections so far that carry streams, and streams so far paired as data connections. */
    long muxes() {
        return muxes.get();
    }

    long streams() {
        return streams.get();
    }

    /** Data connections so far that authenticated with DataAuth, in one frame instead of a round trip. */
    long dataInOneFrame() {
        return dataInOneFrame.get();
    }

    /** Starts authenticating a new connection on a thread of its own, or closes it at once over a cap. */
    private void accepted(Socket s) {
        InetAddress innerAddress = inners.connectsFrom(s.getInetAddress()) ? s.getInetAddress() : null;
        String refused = slots.tryAcquire(s.getInetAddress(), innerAddress);
        if (refused != null) {
            failed.get(Failure.OVER_CAP).increment();
            Sockets.closeQuietly(s);
            refusals.event(
                    more -> LOG.warn("control connection from {} refused: {}{}", Sockets.peer(s), refused, more));
            return;
        }
        Threads.start("handshake-" + Sockets.peer(s), () -> {
            try {
                handshake(s);
            } finally {
                slots.release(s.getInetAddress(), innerAddress);
            }
        });
    }

    /** Authenticates one connection and gives it its role; runs on its {@code handshake-} thread. */
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
        Duration limit = outer.config().tuning().handshake();
        AtomicBoolean done = new AtomicBoolean();
        ScheduledFuture<?> deadline = deadline(s, done, limit);
        if (deadline == null) {
            handshaking.remove(s);
            Sockets.closeQuietly(s);
            return;
        }
        Channel ch = null;
        Greeting g = null;
        String failure = null;
        Failure kind = Failure.OTHER;
        try {
            Sockets.tune(s);
            s.setSoTimeout((int) limit.toMillis());
            ch = secure(s);
            // The configuration current when the inner arrives: a reload that changed a token applies from here on.
            OuterConfig config = outer.config();
            g = Handshake.accept(ch, config::tokenFor, ch.socket() instanceof SSLSocket ? this::redeem : null);
        } catch (IOException e) {
            if (e instanceof ProtocolException && ch != null) {
                ch.fail(e.getMessage());
            }
            Refusal r = Refusal.of(e, done.get(), limit);
            kind = r.kind();
            failure = r.why();
        } catch (RuntimeException e) {
            LOG.error("bug: handshake with {} failed", from, e);
            failure = "internal error: " + e;
        } finally {
            deadline.cancel(false);
            handshaking.remove(s);
        }
        if (failure != null || !done.compareAndSet(false, true)) {
            failed.get(failure != null ? kind : Failure.TIMEOUT).increment();
            String why = failure != null ? failure : "did not authenticate within the deadline";
            failures.event(more -> LOG.warn("control connection from {} dropped: {}{}", from, why, more));
            Sockets.closeQuietly(s);
            return;
        }
        switch (g.purpose()) {
            case CONTROL -> controlChannelOpened(ch, g, from);
            case DATA -> {
                if (g.outerProof() != null) {
                    dataInOneFrame.incrementAndGet();
                }
                outer.starter().dataConnectionOpened(ch, g, from);
            }
            case POOL -> pooledConnectionOpened(ch, g, from);
            case MUX -> muxOpened(ch, g, from);
        }
    }

    /**
     * Admits a connection that carries streams for its inner's control channel: only that inner's, and only over TLS,
     * where a data connection per session costs a handshake (and where DataAuth, which each stream starts with, is
     * taken). Each stream then authenticates and is paired as a data connection of its own.
     */
    private void muxOpened(Channel ch, Greeting g, String from) {
        if (!(ch.socket() instanceof SSLSocket)) {
            ch.fail("streams are carried only over TLS; dial a data connection per session");
            return;
        }
        InnerLink l = inners.named(g.name());
        if (l == null || !l.owns(g.session())) {
            LOG.warn("stream connection from {} refused: it names another control channel", from);
            ch.fail("this stream connection names another control channel");
            return;
        }
        Mux m;
        try {
            ch.socket().setSoTimeout(0);
            ch.send(new OuterToInner.Ready(null));
            m = Mux.accepting(
                    ch.socket(),
                    stream -> Threads.start("stream-handshake-" + from, () -> streamOpened(stream, l.name(), from)));
        } catch (IOException e) {
            ch.close();
            return;
        }
        if (!l.addMux(m)) {
            m.close("control channel closed");
            return;
        }
        muxes.incrementAndGet();
        LOG.info("{}: stream connection from {} open", l, from);
        m.start(reason -> {
            l.muxEnded(m);
            LOG.info("{}: stream connection from {} closed: {}", l, from, reason);
        });
    }

    /**
     * A new stream on an inner's stream connection: a data connection that authenticates with DataAuth inside the
     * connection's TLS, for its own inner's name only, and is then paired with its user as any other. Runs on its
     * {@code stream-handshake-} thread; a stream that says nothing is closed after the handshake timeout.
     */
    private void streamOpened(MuxStream s, String inner, String from) {
        Duration limit = outer.config().tuning().handshake();
        // One deadline for the whole exchange, as on the control port: a stream trickling a byte at a time is closed.
        AtomicBoolean done = new AtomicBoolean();
        ScheduledFuture<?> deadline = deadline(s, done, limit);
        if (deadline == null) {
            s.close();
            return;
        }
        Channel ch;
        Greeting g;
        try {
            s.setSoTimeout((int) limit.toMillis());
            ch = new Channel(s);
            // Tickets are never redeemed on a stream: it joins no pool.
            g = Handshake.accept(ch, outer.config()::tokenFor, ticket -> false);
        } catch (IOException e) {
            Refusal r = Refusal.of(e, done.get(), limit);
            failed.get(r.kind()).increment();
            failures.event(more -> LOG.warn("stream from {} dropped: {}{}", from, r.why(), more));
            s.close();
            return;
        } catch (RuntimeException e) {
            LOG.error("bug: stream handshake with {} failed", from, e);
            s.close();
            return;
        } finally {
            deadline.cancel(false);
        }
        if (!done.compareAndSet(false, true)) {
            failed.get(Failure.TIMEOUT).increment();
            s.close();
            return;
        }
        if (g.purpose() != Purpose.DATA || !g.name().equals(inner)) {
            failed.get(Failure.PROTOCOL).increment();
            LOG.warn("stream from {} refused: a {} connection for inner \"{}\"", from, g.purpose(), g.name());
            ch.fail("a stream carries one data connection of inner \"" + inner + "\"");
            return;
        }
        streams.incrementAndGet();
        outer.starter().dataConnectionOpened(ch, g, from);
    }

    /** Why a connection (or a stream) did not get through its handshake: the counter it goes to, and the log's words. */
    private record Refusal(Failure kind, String why) {
        /**
         * From what the handshake threw; {@code deadlinePassed} when the deadline closed the socket, which with the read
         * timeout is one limit, whichever fires first.
         */
        static Refusal of(IOException e, boolean deadlinePassed, Duration limit) {
            if (e instanceof ProtocolException) {
                return new Refusal(Failure.PROTOCOL, CloseReason.of(e, "peer", null));
            }
            if (e instanceof EOFException) {
                return new Refusal(Failure.CLOSED, "closed before authenticating");
            }
            String late = "did not authenticate within " + limit.toMillis() + "ms";
            if (deadlinePassed || e instanceof SocketTimeoutException) {
                return new Refusal(Failure.TIMEOUT, late);
            }
            Failure kind =
                    e instanceof AuthException ? Failure.AUTH : e instanceof TlsFailure ? Failure.TLS : Failure.OTHER;
            return new Refusal(kind, CloseReason.of(e, "peer", late));
        }
    }

    /**
     * Closes {@code s} after {@code limit} unless whoever sets {@code done} first is the handshake, which then cancels
     * it; null when the timer is shutting down.
     */
    private ScheduledFuture<?> deadline(Socket s, AtomicBoolean done, Duration limit) {
        try {
            return timer.schedule(
                    () -> {
                        if (done.compareAndSet(false, true)) {
                            Sockets.closeQuietly(s);
                        }
                    },
                    limit.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            return null;
        }
    }

    /**
     * The channel for a new connection: TLS when the outer has a certificate, plain frames otherwise. The first byte
     * tells which one the peer speaks, so a mismatch gets a clear refusal instead of garbage.
     */
    private Channel secure(Socket s) throws IOException {
        int first = s.getInputStream().read();
        if (first < 0) {
            throw new EOFException("closed before the first byte");
        }
        SSLContext context = tls;
        if (context != null) {
            if (first != Tls.HANDSHAKE_RECORD) {
                new Channel(s, first)
                        .fail("this outer requires TLS: give the inner \"tls\": {\"fingerprint\": ...}"
                                + " or {\"ca\": ...} (see README)");
                throw new TlsFailure("a plain connection to a TLS control port");
            }
            try {
                return new Channel(Tls.accept(context, s, first));
            } catch (SSLException e) {
                throw new TlsFailure("TLS handshake failed: " + e.getMessage());
            }
        }
        if (first == Tls.HANDSHAKE_RECORD) {
            throw new TlsFailure("a TLS client on this plain control port: set outer.tls, or remove inner.tls");
        }
        return new Channel(s, first);
    }

    private void controlChannelOpened(Channel ch, Greeting g, String from) {
        OuterConfig config = outer.config();
        // One token for all: one inner at a time, as before inners had tokens of their own.
        boolean alone = config.inners().isEmpty();
        InnerLink current = alone ? inners.any() : inners.named(g.name());
        if (current != null) {
            refuseSecondInner(ch, g, from, current);
            return;
        }
        // Tickets only inside TLS: on plain TCP a tap reads them, and a PoolAuth whose connection never reached this
        // outer could be replayed by someone without the token (docs/security.md).
        InnerLink fresh = new InnerLink(
                outer,
                ch,
                g.name(),
                ch.socket().getInetAddress(),
                from,
                ch.socket() instanceof SSLSocket ? ticketTtl() : null,
                config.tuning(),
                specs(config, g.name()));
        // Welcome goes out before the link is published, so it is always the first frame the inner reads.
        try {
            ch.socket().setSoTimeout(0);
            ch.send(welcome(config, fresh.id(), g.name()));
        } catch (IOException e) {
            ch.close();
            LOG.warn("inner \"{}\" from {} lost during welcome: {}", g.name(), from, e.getMessage());
            return;
        }
        InnerLink holder = inners.add(fresh, alone);
        if (holder != null) {
            refuseSecondInner(ch, g, from, holder);
            return;
        }
        if (closed.get()) {
            // close() ran while this inner was authenticating; it must not outlive the outer.
            inners.remove(fresh);
            fresh.close();
            return;
        }
        LOG.info("inner \"{}\" connected from {}", g.name(), from);
        Threads.start("control-reader", () -> {
            String reason = fresh.run();
            if (inners.remove(fresh)) {
                LOG.info("{} disconnected: {}", fresh, reason);
            }
            outer.dispatcher().innerDisconnected(fresh);
        });
        outer.dispatcher().innerConnected(fresh);
    }

    private static void refuseSecondInner(Channel ch, Greeting g, String from, InnerLink current) {
        String why = current.name().equals(g.name())
                ? "another inner named \"" + current.name() + "\" is connected (from " + current.describeAddress()
                        + "); a second one is refused until the first is gone"
                : "another inner (\"" + current.name() + "\") is connected; a second one is refused until the first is"
                        + " gone (list each inner in outer.inners, with its own token, to connect several)";
        LOG.warn("inner \"{}\" from {} refused: {}", g.name(), from, why);
        ch.fail(why);
    }

    /** Admits a pooled connection into its inner's pool: only that inner's, and only while there is room. */
    private void pooledConnectionOpened(Channel ch, Greeting g, String from) {
        InnerLink l = inners.named(g.name());
        if (l == null && !inners.anyOpen()) {
            ch.fail("no control channel is open for this inner; connect it first");
            return;
        }
        if (l == null || !l.owns(g.session())) {
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
        // Counted before the pool has it: whoever sees the connection pooled sees it counted too.
        if (g.outerProof() != null) {
            ticketed.incrementAndGet();
        }
        if (!l.offer(ch, g.outerProof())) {
            LOG.debug("pooled connection from {} refused: pool full", from);
            ch.fail("the pool is full (" + InnerConfig.MAX_POOL + " connections)");
        }
    }

    /**
     * Spends a pool ticket of the connected inner's control channel; false if that channel gave out no such ticket, or
     * it was spent, or it is older than {@link #ticketTtl}.
     */
    private boolean redeem(String ticket) {
        for (InnerLink l : inners.all()) {
            if (l.redeemTicket(ticket)) {
                return true;
            }
        }
        return false;
    }

    /**
     * How long a pool ticket stays good. The inner dials with it as soon as it has reached the target of the session
     * that brought it (within the open timeout) and the dial itself takes at most the handshake timeout; twice that
     * leaves room for waiting on a dial slot. A later dial makes the full handshake instead.
     */
    private Duration ticketTtl() {
        Tuning t = outer.config().tuning();
        return t.openTimeout().plus(t.handshake().multipliedBy(2));
    }

    /** The route list of an inner that may serve every route, checked at start to fit one frame. */
    static OuterToInner.Welcome welcome(OuterConfig config, String channel) {
        return new OuterToInner.Welcome(
                specs(config), config.tuning().heartbeat().toMillis(), channel);
    }

    /** The route list the inner named {@code inner} is given. */
    static OuterToInner.Welcome welcome(OuterConfig config, String channel, String inner) {
        return new OuterToInner.Welcome(
                specs(config, inner), config.tuning().heartbeat().toMillis(), channel);
    }

    /** Every route as an inner learns it. */
    static List<OuterToInner.RouteSpec> specs(OuterConfig config) {
        return config.routes().stream().map(ControlPort::spec).toList();
    }

    /**
     * The routes the inner named {@code inner} learns, at the handshake and after a reload: those that name it, and
     * those that name no inner. It never learns the others' targets.
     */
    static List<OuterToInner.RouteSpec> specs(OuterConfig config, String inner) {
        return config.routes().stream()
                .filter(r -> r.servedBy(inner))
                .map(ControlPort::spec)
                .toList();
    }

    /** One route as the inner learns it. */
    static OuterToInner.RouteSpec spec(Route r) {
        String proxy =
                r.proxyProtocol() == null ? null : r.proxyProtocol().name().toLowerCase(Locale.ROOT);
        return new OuterToInner.RouteSpec(
                r.name(),
                r.target().toString(),
                proxy,
                r.isUdp() ? OuterToInner.RouteSpec.UDP : OuterToInner.RouteSpec.TCP,
                r.healthCheck().isZero() ? null : r.healthCheck().toMillis());
    }

    /** A certificate re-read by a reload, for connections from now on. */
    void tls(SSLContext context) {
        tls = context;
    }

    /** Connections that did not get through the handshake, by why. */
    Map<Failure, LongAdder> failed() {
        return failed;
    }

    /** Stops accepting and closes what is handshaking; the first step of the outer's close. */
    void stopAccepting() {
        closed.set(true);
        acceptor.close();
        handshaking.forEach(Sockets::closeQuietly);
    }

    /** Closes every inner's control channel and pool; after {@link #stopAccepting}, so no new one can arrive. */
    void closeLinks() {
        for (InnerLink l : inners.all()) {
            inners.remove(l);
            l.close();
        }
    }

    /** The peer speaks TLS where this port does not, or the other way round, or its TLS handshake failed. */
    private static final class TlsFailure extends IOException {
        TlsFailure(String message) {
            super(message);
        }
    }
}

package dev.relay.inner;

import dev.relay.admin.RouteStats;
import dev.relay.admin.UdpStats;
import dev.relay.config.HostPort;
import dev.relay.config.Route.ProxyVersion;
import dev.relay.net.Sockets;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Endpoints;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.OuterToInner;
import dev.relay.proxy.ProxyHeader;
import dev.relay.proxy.ProxyProtocol;
import dev.relay.session.DatagramSession;
import dev.relay.session.Reuse;
import dev.relay.session.Session;
import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one Open (on its {@code open-<id>} thread, or on the pooled connection's that read it): connects to the
 * route's target and hands it, with the data
 * connection, to a {@link Session}. Until then it owns both sockets and closes them on failure, so the outer's user
 * is never left waiting: over the control channel it sends OpenFailed; on a pooled connection it resets the
 * connection, which ends the outer's side of the session at once.
 */
final class Opener {
    private static final Logger LOG = LoggerFactory.getLogger(Opener.class);

    private final Inner inner;
    private final OuterLink link;
    private final String id;
    private final String route;
    private final HostPort target;
    private final ServedRoute served;
    private final OuterToInner.Open open;
    /** When the Open was read: the open's latency, on this side, runs from here to the session's start. */
    private final long acceptedNanos = System.nanoTime();

    /** The target could not be reached, as opposed to the outer. */
    private static final class TargetException extends IOException {
        TargetException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    Opener(Inner inner, OuterLink link, OuterToInner.Open open, ServedRoute served) {
        this.inner = inner;
        this.link = link;
        this.open = open;
        this.served = served;
        this.id = open.session();
        this.route = served.name();
        this.target = served.target();
    }

    /**
     * The Open came over the control channel: reach the target, then dial a data connection naming the session. Runs
     * on its {@code open-<id>} thread, holding the session slot its caller took; gives it back on failure.
     */
    void overControl() {
        Closeable t = null;
        Channel data = null;
        boolean stream = inner.usesTls();
        try {
            t = link.connector().dialingTarget(this::reachTarget);
            // Over TLS a stream on the link's stream connection: a connection of its own would cost a handshake.
            data = stream
                    ? link.dialStream(id)
                    : link.connector()
                            .dialingOuter(() -> inner.dialReady(link.connector().outer(), Purpose.DATA, id));
            data.socket().setSoTimeout(0);
        } catch (IOException | RuntimeException e) {
            Sockets.closeQuietly(t);
            if (data != null) {
                data.close();
            }
            link.connector().releaseSlot();
            link.reply(new InnerToOuter.OpenFailed(id, failed(e)));
            return;
        }
        start(data.socket(), t, stream ? "stream" : "open", null);
    }

    /**
     * The Open came on a pooled data connection, whose next bytes are already the user's; runs on the thread that
     * read the Open, holding the session slot its caller took. A TCP session's bytes travel there in chunks, and the
     * connection goes back to the pool through {@code reuse} when the session ends cleanly.
     */
    void onPooled(Channel data, Reuse reuse) {
        Closeable t;
        try {
            t = link.connector().dialingTarget(this::reachTarget);
        } catch (IOException | RuntimeException e) {
            link.connector().releaseSlot();
            String why = failed(e);
            if (open.confirms()) {
                // The outer has sent none of the user's bytes yet: it can still ask another inner.
                refuse(data, open, why);
            } else {
                data.reset();
            }
            return;
        }
        if (open.confirms()) {
            try {
                data.send(new InnerToOuter.Opened(id));
            } catch (IOException e) {
                Sockets.closeQuietly(t);
                data.close();
                link.connector().releaseSlot();
                return;
            }
        }
        start(data.socket(), t, "pool", reuse);
    }

    /** Tells the outer on a pooled connection whose Open asked to confirm that it cannot be served, and closes it. */
    static void refuse(Channel data, OuterToInner.Open open, String why) {
        try {
            data.send(new InnerToOuter.OpenFailed(open.session(), why));
        } catch (IOException e) {
            // The outer is gone from this connection; it finds the session failed by itself.
        }
        data.close();
    }

    /** A TCP connection to the target, or for a UDP route a socket of this flow's own, connected to the target. */
    private Closeable reachTarget() throws IOException {
        return served.udp() ? connectUdpTarget() : connectTarget();
    }

    /** Connected, so that only the target's datagrams reach this flow, and a closed port reports back (ICMP). */
    private DatagramSocket connectUdpTarget() throws IOException {
        InetSocketAddress at = target.resolve();
        if (at.isUnresolved()) {
            throw new TargetException("cannot reach udp target " + target + ": unknown host", null);
        }
        DatagramSocket s = new DatagramSocket();
        try {
            s.connect(at);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw new TargetException("cannot reach udp target " + target + ": " + e.getMessage(), e);
        }
    }

    private Socket connectTarget() throws IOException {
        Socket t = new Socket();
        try {
            Sockets.tune(t);
            t.connect(target.resolve(), (int)
                    inner.config().tuning().openTimeout().toMillis());
            if (served.proxy() != null) {
                // Before any byte of the user's: the target learns who the user really is.
                t.getOutputStream().write(proxyHeader());
            }
            return t;
        } catch (IOException e) {
            Sockets.closeQuietly(t);
            throw new TargetException("cannot connect to target " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            Sockets.closeQuietly(t);
            throw e;
        }
    }

    /**
     * The PROXY header for the target: the user's address and the route's, as the outer saw them; LOCAL when the Open
     * names none (an outer that does not know them).
     */
    private byte[] proxyHeader() {
        ProxyHeader h = open.user() == null
                ? ProxyHeader.LOCAL
                : ProxyHeader.tcp(Endpoints.parse("user", open.user()), Endpoints.parse("local", open.local()));
        return served.proxy() == ProxyVersion.V1 ? ProxyProtocol.v1(h) : ProxyProtocol.v2(h);
    }

    private String failed(Exception e) {
        String why = e.getMessage() == null ? e.toString() : e.getMessage();
        boolean target = e instanceof TargetException;
        if (target) {
            inner.stats(route).targetFailed(why);
        }
        inner.stats(route).failed(target ? RouteStats.Result.TARGET_FAILED : RouteStats.Result.ERROR, why);
        link.failures()
                .event(more -> LOG.warn(
                        "session failed id={} route={} target={} reason=\"{}\"{}", id, route, this.target, why, more));
        return why;
    }

    /**
     * Hands both sockets, and the session slot, to a Session, which gives the slot back when it ends; with
     * {@code reuse}, the data connection carries chunks and may outlive the session.
     */
    private void start(Socket data, Closeable t, String via, Reuse reuse) {
        if (t instanceof DatagramSocket u) {
            startFlow(data, u, via);
            return;
        }
        RouteStats stats = inner.stats(route);
        Session s = new Session(
                id, "route=" + route + " target=" + target, data, (Socket) t, Duration.ZERO, stats.traffic(), ended -> {
                    inner.sessions().remove(ended);
                    stats.closed(ended.ending());
                    link.connector().releaseSlot();
                });
        if (reuse != null) {
            s.chunked(data, reuse);
        }
        stats.opened(acceptedNanos);
        inner.sessions().add(s);
        LOG.info("session open id={} route={} target={} via={}", id, route, target, via);
        s.start();
        if (inner.isClosed()) {
            s.close("inner shutting down");
        }
    }

    /** The same for a UDP flow: a DatagramSession owns the data connection and the target socket from here on. */
    private void startFlow(Socket data, DatagramSocket t, String via) {
        RouteStats stats = inner.stats(route);
        UdpStats udp = stats.udp();
        DatagramSession f = new DatagramSession(
                id,
                "route=" + route + " target=" + target,
                data,
                new UdpTarget(t, udp),
                false,
                stats.traffic(),
                udp,
                ended -> {
                    inner.flows().remove(ended);
                    udp.flowClosed();
                    stats.closed(ended.ending());
                    link.connector().releaseSlot();
                });
        stats.opened(acceptedNanos);
        udp.flowOpened();
        inner.flows().add(f);
        LOG.info("flow open id={} route={} target={} via={}", id, route, target, via);
        f.start();
        if (inner.isClosed()) {
            f.close("inner shutting down");
        }
    }
}

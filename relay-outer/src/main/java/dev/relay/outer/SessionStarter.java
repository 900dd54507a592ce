package dev.relay.outer;

import dev.relay.admin.RouteStats;
import dev.relay.admin.UdpStats;
import dev.relay.auth.Handshake.Greeting;
import dev.relay.config.Route;
import dev.relay.net.Sockets;
import dev.relay.protocol.Channel;
import dev.relay.protocol.OuterToInner;
import dev.relay.session.DatagramSession;
import dev.relay.session.Reuse;
import dev.relay.session.Session;
import dev.relay.session.Sessions;
import java.io.IOException;
import java.net.Socket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a user (or a UDP flow) and the inner's data connection become a session, or where a user who never gets one
 * is dropped, with one log line either way. What a session holds is given back here too, when it ends: its slot in
 * {@link Admission} and its count in the {@link Balancer}.
 */
final class SessionStarter {
    /** Logged as the outer: operators grep "session open" and "session failed" under that name. */
    private static final Logger LOG = LoggerFactory.getLogger(Outer.class);

    private final Outer outer;
    private final PendingOpens pending;
    private final Balancer balancer;
    private final Sessions sessions;
    private final Admission admission;

    SessionStarter(Outer outer, PendingOpens pending, Balancer balancer, Sessions sessions, Admission admission) {
        this.outer = outer;
        this.pending = pending;
        this.balancer = balancer;
        this.sessions = sessions;
        this.admission = admission;
    }

    /** The inner answered an Open with a data connection; whoever takes the waiting user from the list pairs it. */
    void dataConnectionOpened(Channel ch, Greeting g, String from) {
        PendingOpen p = pending.get(g.session());
        if (p != null && !p.route().servedBy(g.name())) {
            // Holding a session id is not enough: a route bound to some inners is never served by another.
            LOG.warn(
                    "data connection from {} refused: inner \"{}\" may not serve route {}",
                    from,
                    g.name(),
                    p.route().name());
            ch.fail("route " + p.route().name() + " is not served by inner \"" + g.name() + "\"");
            return;
        }
        p = p == null ? null : pending.take(g.session());
        if (p == null) {
            LOG.info("data connection from {} for unknown or expired session {}", from, g.session());
            ch.fail("unknown or expired session " + g.session());
            return;
        }
        InnerLink counted = p.askedOn().getAndSet(null);
        String inner = counted == null ? null : counted.name();
        if (inner != null) {
            balancer.succeeded(p.route().name(), inner);
        }
        Socket data = ch.socket();
        try {
            data.setSoTimeout(0);
            // After a DataAuth the outer proves itself here; after the challenge it has already.
            ch.send(new OuterToInner.Ready(g.outerProof()));
        } catch (IOException e) {
            Sockets.closeQuietly(data);
            if (inner != null) {
                balancer.released(p.route().name(), inner);
            }
            drop(p, RouteStats.Result.ERROR, "data connection lost before the session started: " + e.getMessage());
            return;
        }
        start(p.id(), p.route(), p.user(), p.flow(), data, "open", inner, null);
    }

    /**
     * Hands a user (or flow) and its data connection to a session, counted against {@code inner}; a pooled connection
     * carries a TCP session in chunks, and {@code reuse} gets it back afterwards (null: raw bytes, closed at the end).
     */
    void start(String id, Route route, User user, UdpFlow flow, Socket data, String via, String inner, Reuse reuse) {
        if (inner != null) {
            balancer.started(route.name(), inner);
        }
        if (flow != null) {
            startFlow(flow, data, via, inner);
        } else {
            startSession(id, route, user, data, via, inner, reuse);
        }
    }

    /** Gives back the balancer's count of a session that ended, or never started. */
    private void release(Route route, String inner) {
        if (inner != null) {
            balancer.released(route.name(), inner);
        }
    }

    /** Hands a UDP flow's data connection to a DatagramSession, which owns it from here on. */
    private void startFlow(UdpFlow flow, Socket data, String via, String inner) {
        Route route = flow.route();
        RouteStats stats = outer.stats(route);
        UdpStats udp = stats.udp();
        DatagramSession s = new DatagramSession(
                flow.id(),
                "route=" + route.name() + " user=" + flow.describe(),
                data,
                flow,
                true,
                stats.traffic(),
                udp,
                ended -> {
                    flow.listener().ended(flow);
                    release(route, inner);
                    udp.flowClosed();
                    stats.closed(ended.ending());
                    admission.release(route, flow.user().getAddress());
                });
        flow.started(s);
        stats.opened(flow.acceptedNanos());
        udp.flowOpened();
        LOG.info(
                "flow open id={} route={} user={} via={} inner=\"{}\"",
                flow.id(),
                route.name(),
                flow.describe(),
                via,
                inner);
        s.start();
        // The route's port closed meanwhile (a reload removed it, or shutdown): no reply could reach the user.
        if (outer.isClosed() || !flow.listener().isOpen()) {
            s.close("route closed");
        }
    }

    private void startSession(String id, Route route, User user, Socket data, String via, String inner, Reuse reuse) {
        RouteStats stats = outer.stats(route);
        String label = "route=" + route.name() + " user=" + user.describe();
        Session s = new Session(id, label, user.socket(), data, route.idleTimeout(), stats.traffic(), ended -> {
            sessions.remove(ended);
            release(route, inner);
            stats.closed(ended.ending());
            admission.release(route, user.address().getAddress());
        });
        if (reuse != null) {
            s.chunked(data, reuse);
        }
        sessions.add(s);
        stats.opened(user.acceptedNanos());
        LOG.info(
                "session open id={} route={} user={} via={} inner=\"{}\"",
                id,
                route.name(),
                user.describe(),
                via,
                inner);
        s.start();
        if (outer.isClosed()) {
            s.close("outer shutting down");
        }
    }

    /** Ends a user (or flow) that never got a session, with one log line naming why. */
    void drop(PendingOpen p, RouteStats.Result result, String reason) {
        String route = p.route().name();
        LOG.info(
                "{} failed id={} route={} user={} reason=\"{}\"",
                p.flow() == null ? "session" : "flow",
                p.id(),
                route,
                p.describeUser(),
                reason);
        outer.stats(p.route()).failed(result, reason);
        InnerLink asked = p.askedOn().getAndSet(null);
        if (asked != null) {
            balancer.released(route, asked.name());
        }
        if (p.flow() != null) {
            p.flow().failed();
            p.flow().listener().ended(p.flow());
            admission.release(p.route(), p.flow().user().getAddress());
            return;
        }
        p.user().close();
        admission.release(p.route(), p.user().address().getAddress());
    }
}

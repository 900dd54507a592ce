package dev.relay.outer;

import dev.relay.admin.RouteStats;
import dev.relay.config.Route;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Chunks;
import dev.relay.protocol.OuterToInner;
import dev.relay.session.Reuse;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which inner a new session goes to, and where it goes when that inner fails it: the balancer's pick, the pooled
 * connection or the Open on the control channel, the move of waiting users when an inner comes or goes, and the one
 * retry on another inner after a target failure. The {@link Outer} owns the users and sessions; this class only
 * routes them. Runs on whichever thread brings the event (a route's acceptor, a control reader, a confirm thread),
 * with no lock: a waiting user moves between inners by compare-and-set on {@link PendingOpen#askedOn}.
 */
final class Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    private final Outer outer;
    private final ControlPort control;
    private final PendingOpens pending;
    private final Balancer balancer;
    private final PooledConfirm confirming = new PooledConfirm();
    /** Pooled connections so far given back to their pool after a session, to carry another. */
    private final AtomicLong reused = new AtomicLong();

    Dispatcher(Outer outer, ControlPort control, PendingOpens pending, Balancer balancer) {
        this.outer = outer;
        this.control = control;
        this.pending = pending;
        this.balancer = balancer;
    }

    /** The inner the balancer picks for a new session of {@code route}, or null when none may serve it now. */
    InnerLink choose(Route route) {
        return balancer.choose(route, control.inners().all(), null);
    }

    /** Starts the session on a pooled connection of {@code l}, if it has one ready. */
    boolean tryPooled(InnerLink l, String id, Route route, User user, UdpFlow flow) {
        if (l == null || !l.serves(ControlPort.spec(route))) {
            return false;
        }
        balancer.assigned(route.name(), l.name());
        if (openOnPooled(l, id, route, user, flow)) {
            return true;
        }
        balancer.released(route.name(), l.name());
        return false;
    }

    /**
     * Moves {@code p} from the inner {@code from} (null: none yet) to the one the balancer picks other than
     * {@code except}, and sends it the Open; with none left, {@code p} waits for the next inner that connects. False
     * when no inner took it, or another thread moved it first.
     */
    private boolean ask(PendingOpen p, InnerLink from, InnerLink except) {
        return ask(p, from, except, null);
    }

    /** The same, with the inner already chosen for this user ({@code chosen}, if still open) rather than a new pick. */
    boolean ask(PendingOpen p, InnerLink from, InnerLink except, InnerLink chosen) {
        String route = p.route().name();
        InnerLink l = chosen != null && chosen.isOpen()
                ? chosen
                : balancer.choose(p.route(), control.inners().all(), except);
        if (l == null) {
            if (from != null && p.askedOn().compareAndSet(from, null)) {
                balancer.released(route, from.name());
            }
            return false;
        }
        if (!p.askedOn().compareAndSet(from, l)) {
            return false;
        }
        if (from != null) {
            balancer.released(route, from.name());
        }
        balancer.assigned(route, l.name());
        l.open(p);
        // Closed between the choice and the compare-and-set: innerDisconnected may have looked already.
        if (!l.isOpen()) {
            ask(p, l, l);
        }
        return true;
    }

    /**
     * Starts the session on an idle pooled connection: the Open goes on that connection and the user's bytes follow
     * it at once, so the session costs no round trip for a handshake. A connection whose write fails is dropped and
     * the next one tried; false when the pool is empty.
     *
     * <p>Where another inner could serve the user if this one cannot reach the target, the Open asks the inner to
     * confirm first ({@link PooledConfirm}): the user's bytes wait one round trip, unread, so that a failure can still
     * go to the other inner with nothing lost.
     */
    private boolean openOnPooled(InnerLink l, String id, Route route, User user, UdpFlow flow) {
        boolean confirm =
                user != null && balancer.anyOther(route, control.inners().all(), l);
        return openOnPooled(l, id, route, user, flow, confirm);
    }

    private boolean openOnPooled(InnerLink l, String id, Route route, User user, UdpFlow flow, boolean confirm) {
        for (InnerLink.Pooled p; (p = l.takePooled()) != null; ) {
            // The ticket is for the connection the inner dials to replace this one.
            String ticket = l.issueTicket();
            OuterToInner.Open o =
                    Outer.open(new OuterToInner.Open(id, route.name(), ticket, p.openProof()), route, user);
            try {
                p.channel().send(confirm ? o.confirmed() : o);
            } catch (IOException e) {
                LOG.debug("pooled connection to {} was dead: {}", l, e.toString());
                l.discardTicket(ticket);
                p.channel().close();
                continue;
            }
            if (confirm) {
                confirming.start(
                        this, l, p, id, route, user, outer.config().tuning().openTimeout());
            } else {
                // A UDP flow's datagram frames end with the connection; a TCP session's chunks can leave it reusable.
                Reuse reuse = flow == null ? reuse(l, p) : null;
                outer.starter().start(id, route, user, flow, p.channel().socket(), "pool", l.name(), reuse);
            }
            return true;
        }
        return false;
    }

    /**
     * Puts {@code p} back in {@code l}'s pool after a session that ended cleanly, if the inner keeps it too, once the
     * inner says its side is over ({@link Chunks#IDLE}): until then it may still be writing the last session's bytes
     * to its target, and an Open sent meanwhile would wait behind them, or be lost with the connection if the target
     * then fails. Runs on the session's last thread; nobody else reads the connection meanwhile.
     */
    private Reuse reuse(InnerLink l, InnerLink.Pooled p) {
        return new Reuse() {
            @Override
            public boolean offer() {
                return l.hasRoom();
            }

            @Override
            public void ended(boolean again) {
                if (again && idleAgain(p.channel()) && l.offer(p.channel(), p.openProof())) {
                    reused.incrementAndGet();
                } else if (again) {
                    p.channel().close();
                }
            }
        };
    }

    /** Waits, at most the pool's idle time, for the inner's {@link Chunks#IDLE} on {@code ch}. */
    private boolean idleAgain(Channel ch) {
        try {
            ch.socket().setSoTimeout((int)
                    Math.max(1, outer.config().tuning().poolMaxIdle().toMillis()));
            byte[] marker = ch.socket().getInputStream().readNBytes(Chunks.HEADER);
            if (marker.length < Chunks.HEADER || Chunks.length(marker) != Chunks.IDLE) {
                LOG.debug("pooled connection to {} closed: no idle marker after its session", ch.socket());
                return false;
            }
            ch.socket().setSoTimeout(0);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Pooled connections so far given back to their pool after a session, to carry another. */
    long reused() {
        return reused.get();
    }

    /** The inner confirmed the target on a pooled connection: the session starts, the user's bytes not yet read. */
    void confirmedOpen(InnerLink l, InnerLink.Pooled p, String id, Route route, User user) {
        balancer.succeeded(route.name(), l.name());
        outer.starter().start(id, route, user, null, p.channel().socket(), "pool", l.name(), reuse(l, p));
    }

    /**
     * The inner {@code l} could not reach the target for a user on a pooled connection that asked to confirm: none of
     * the user's bytes has been read, so it goes to another inner, once, as after an OpenFailed on the control channel.
     */
    void confirmFailed(InnerLink l, String id, Route route, User user, String reason) {
        balancer.released(route.name(), l.name());
        targetFailed(route.name(), l, reason);
        InnerLink next = outer.isClosed()
                ? null
                : balancer.choose(route, control.inners().all(), l);
        if (next == null) {
            PendingOpen p = new PendingOpen(id, route, user, System.nanoTime());
            outer.starter()
                    .drop(p, RouteStats.Result.TARGET_FAILED, "inner \"" + l.name() + "\" could not open: " + reason);
            return;
        }
        balancer.load(route.name(), l.name()).retries.increment();
        LOG.info(
                "session retry id={} route={} user={} failed-inner=\"{}\" to=\"{}\" reason=\"{}\"",
                id,
                route.name(),
                user.describe(),
                l.name(),
                next.name(),
                reason);
        balancer.assigned(route.name(), next.name());
        if (next.serves(ControlPort.spec(route)) && openOnPooled(next, id, route, user, null, false)) {
            return;
        }
        balancer.released(route.name(), next.name());
        PendingOpen p = new PendingOpen(
                id,
                route,
                user,
                System.nanoTime() + outer.config().tuning().openTimeout().toNanos());
        p.retried().set(true);
        pending.add(p);
        ask(p, null, l, next);
    }

    /**
     * The inner {@code l} found the target of {@code route} up or down by its own checks: while down, it is passed over
     * on that route like an inner whose target keeps failing.
     */
    void targetHealth(InnerLink l, String route, boolean up, String reason) {
        Balancer.Load load = balancer.load(route, l.name());
        if (load.targetUp != up) {
            load.targetUp = up;
            if (up) {
                LOG.info("route={} inner=\"{}\" target up again: new sessions may go to it", route, l.name());
            } else {
                LOG.warn("route={} inner=\"{}\" target down, passed over until it is up: {}", route, l.name(), reason);
            }
        }
    }

    /** A new control channel: every user waiting for no inner yet goes to one now. */
    void innerConnected(InnerLink l) {
        // Its checks start again from nothing: what an earlier connection of this name reported no longer holds.
        balancer.connected(l.name());
        for (PendingOpen p : pending.snapshot()) {
            if (p.askedOn().get() == null && p.route().servedBy(l.name())) {
                ask(p, null, null);
            }
        }
    }

    /**
     * A control channel closed: the users it was asked for go to the other inners at once. Its sessions run on their
     * own data connections and end with them, each with its own log line.
     */
    void innerDisconnected(InnerLink l) {
        for (PendingOpen p : pending.snapshot()) {
            if (p.askedOn().get() == l) {
                ask(p, l, l);
            }
        }
    }

    /**
     * The inner {@code l} could not reach the target: the user (whose bytes are still unread in its socket) is asked
     * of another inner once, and closed only when there is none or that one fails too.
     */
    void openFailed(InnerLink l, String id, String reason) {
        PendingOpen p = pending.get(id);
        if (p == null || p.askedOn().get() != l) {
            return;
        }
        String route = p.route().name();
        targetFailed(route, l, reason);
        if (p.retried().compareAndSet(false, true) && ask(p, l, l)) {
            balancer.load(route, l.name()).retries.increment();
            LOG.info(
                    "session retry id={} route={} user={} failed-inner=\"{}\" to=\"{}\" reason=\"{}\"",
                    id,
                    route,
                    p.describeUser(),
                    l.name(),
                    describe(p.askedOn().get()),
                    reason);
            return;
        }
        p = pending.take(id);
        if (p != null) {
            outer.starter()
                    .drop(p, RouteStats.Result.TARGET_FAILED, "inner \"" + l.name() + "\" could not open: " + reason);
        }
    }

    private static String describe(InnerLink l) {
        return l == null ? "?" : l.name();
    }

    /** Closes the pooled connections still waiting for a confirmation; their users are closed with them. */
    void closeAll() {
        confirming.closeAll();
    }

    /** Counts a target failure of {@code l} on {@code route}, and logs once when it sets {@code l} aside there. */
    private void targetFailed(String route, InnerLink l, String reason) {
        if (balancer.failed(route, l.name())) {
            LOG.warn(
                    "route={} inner=\"{}\" set aside: {}; last: {}",
                    route,
                    l.name(),
                    balancer.describeHealth(),
                    reason);
        }
    }
}

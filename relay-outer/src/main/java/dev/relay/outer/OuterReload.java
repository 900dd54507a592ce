package dev.relay.outer;

import dev.relay.admin.AdminServer;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.tls.Tls;
import dev.relay.tls.TlsSetupException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reload of a running outer, from the configuration in force to a new one that has already been parsed and checked
 * whole. Everything that can fail before anything changes does (the TLS files); then the new configuration is put in
 * force for new work, and the route listeners follow: added, removed, moved, or changed in place. Sessions keep the
 * route they started with. Runs on the thread that asked (SIGHUP's, or an admin request's), one reload at a time.
 */
final class OuterReload {
    private static final Logger LOG = LoggerFactory.getLogger(OuterReload.class);

    private final Outer outer;
    private final OuterConfig before;
    private final OuterConfig next;
    private final List<String> applied = new ArrayList<>();
    private final List<String> needsRestart = new ArrayList<>();

    OuterReload(Outer outer, OuterConfig before, OuterConfig next) {
        this.outer = outer;
        this.before = before;
        this.next = next;
    }

    AdminServer.Reload apply() {
        SSLContext tls;
        try {
            tls = tls();
        } catch (TlsSetupException e) {
            String why = "outer.tls: " + e.getMessage();
            LOG.error("reload refused, the configuration in force is unchanged: {}", why);
            return AdminServer.Reload.failed(why);
        }
        restartOnly();
        // What stays as it was is kept as it was, so every later reader sees one consistent configuration.
        OuterConfig effective = new OuterConfig(
                before.listen(),
                before.token(),
                next.routes(),
                next.tuning(),
                before.tls() == null ? null : next.tls(),
                next.admin(),
                next.trustedProxies(),
                next.inners());
        List<Route> served = routes(effective);
        effective = effective.withRoutes(served);
        outer.config(effective);
        if (tls != null) {
            outer.control().tls(tls);
        }
        admin(effective);
        inners(effective);
        if (!Objects.equals(before.tuning(), next.tuning())) {
            applied.add("tuning (for new sessions and control channels)");
        }
        if (!before.trustedProxies().equals(next.trustedProxies())) {
            applied.add("outer.trustedProxies");
        }
        LOG.info(
                "reloaded (generation {}): {}{}",
                outer.generation(),
                applied.isEmpty() ? "no change" : String.join("; ", applied),
                needsRestart.isEmpty() ? "" : "; needs restart: " + String.join(", ", needsRestart));
        return new AdminServer.Reload(true, null, List.copyOf(applied), List.copyOf(needsRestart));
    }

    /** The certificate read again (a renewal applies to new connections), or null when TLS is off before or after. */
    private SSLContext tls() throws TlsSetupException {
        if (before.tls() == null || next.tls() == null) {
            return null;
        }
        SSLContext context = Tls.server(next.tls());
        applied.add("outer.tls (certificate read again, for new connections)");
        return context;
    }

    private void restartOnly() {
        if (!before.listen().equals(next.listen())) {
            needsRestart.add("outer.listen");
        }
        if (!Objects.equals(before.token(), next.token())) {
            needsRestart.add("token");
        }
        if ((before.tls() == null) != (next.tls() == null)) {
            needsRestart.add("outer.tls (turning TLS on or off)");
        }
    }

    /**
     * Tells each connected inner its routes as they are now (only those it may serve), and disconnects an inner whose
     * token changed, or that may no longer connect at all: it proved itself with a secret that is no longer the one.
     */
    private void inners(OuterConfig effective) {
        if (!before.inners().equals(next.inners())) {
            applied.add("outer.inners (for inners that connect from now on)");
        }
        for (InnerLink link : outer.control().inners().all()) {
            if (!link.isOpen()) {
                continue;
            }
            if (!Objects.equals(before.tokenFor(link.name()), effective.tokenFor(link.name()))) {
                LOG.warn("{} disconnected: its token changed in the reload; it must log in with the new one", link);
                applied.add("inner \"" + link.name() + "\" disconnected (token changed)");
                link.close();
                continue;
            }
            link.routesChanged(outer.generation(), ControlPort.specs(effective, link.name()));
        }
    }

    /** Brings the listeners in line with the new routes; returns the routes as served (a failed move keeps its port). */
    private List<Route> routes(OuterConfig effective) {
        Map<String, RoutePort> listeners = outer.listeners();
        Set<String> names = new HashSet<>();
        List<Route> served = new ArrayList<>();
        for (Route r : effective.routes()) {
            names.add(r.name());
            RoutePort l = listeners.get(r.name());
            if (l == null) {
                add(r, served);
            } else if (!l.route().listen().equals(r.listen()) || l.route().protocol() != r.protocol()) {
                // Another protocol is another port (a TCP and a UDP port are separate), so it moves too.
                move(l, r, served);
            } else {
                if (!l.route().equals(r)) {
                    l.update(r);
                    applied.add("route " + r.name() + " changed, for new sessions");
                }
                served.add(r);
            }
        }
        for (RoutePort l : List.copyOf(listeners.values())) {
            if (!names.contains(l.route().name())) {
                listeners.remove(l.route().name());
                l.close();
                applied.add("route " + l.route().name()
                        + (l.route().isUdp()
                                ? " removed (its flows end with its port)"
                                : " removed (its sessions run to their end)"));
            }
        }
        return served;
    }

    private void add(Route r, List<Route> served) {
        try {
            RoutePort l = outer.bind(r, r.listen());
            outer.listeners().put(r.name(), l);
            outer.serve(l);
            served.add(r);
            applied.add("route " + r.name() + " added on " + l.listening());
        } catch (IOException e) {
            LOG.error("reload: route {} not added: {}", r.name(), e.getMessage());
            applied.add("route " + r.name() + " NOT added: " + e.getMessage());
        }
    }

    private void move(RoutePort old, Route r, List<Route> served) {
        RoutePort moved;
        try {
            moved = outer.bind(r, r.listen());
        } catch (IOException e) {
            if (old.route().protocol() != r.protocol()) {
                // A listener of one protocol cannot serve the other: the route stays as it was, whole.
                served.add(old.route());
                LOG.error(
                        "reload: route {} stays {} on {}: {}",
                        r.name(),
                        protocol(old.route()),
                        old.listening(),
                        e.getMessage());
                applied.add("route " + r.name() + " NOT changed to " + protocol(r) + ", still " + protocol(old.route())
                        + " on " + old.listening() + ": " + e.getMessage());
                return;
            }
            // The old port keeps serving, with the route's other changes.
            Route kept = r.withListen(old.route().listen());
            old.update(kept);
            served.add(kept);
            LOG.error("reload: route {} keeps listening on {}: {}", r.name(), old.listening(), e.getMessage());
            applied.add("route " + r.name() + " NOT moved, still on " + old.listening() + ": " + e.getMessage());
            return;
        }
        outer.listeners().put(r.name(), moved);
        outer.serve(moved);
        old.close();
        served.add(r);
        applied.add("route " + r.name() + " moved to " + protocol(r) + " " + moved.listening());
    }

    private static String protocol(Route r) {
        return r.isUdp() ? "udp" : "tcp";
    }

    /** Moves the admin endpoint when its settings changed; a failure leaves the old one serving. */
    private void admin(OuterConfig effective) {
        if (Objects.equals(before.admin(), next.admin())) {
            return;
        }
        if (next.admin() == null) {
            outer.admin(null);
            applied.add("outer.admin removed");
            return;
        }
        AdminServer current = outer.admin();
        if (current != null
                && before.admin() != null
                && before.admin().listen().equals(next.admin().listen())) {
            current.token(next.admin().token());
            applied.add("outer.admin token");
            return;
        }
        try {
            outer.admin(AdminServer.start(next.admin(), "outer", new OuterAdmin(outer)));
            applied.add("outer.admin on " + next.admin().listen());
        } catch (IOException e) {
            LOG.error("reload: the admin endpoint stays as it was: {}", e.getMessage());
            applied.add("outer.admin NOT moved: " + e.getMessage());
        }
    }
}

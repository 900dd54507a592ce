package dev.relay.outer;

import dev.relay.admin.AdminServer;
import dev.relay.admin.MetricsText;
import dev.relay.admin.RouteMetrics;
import dev.relay.admin.RouteStats;
import dev.relay.admin.Status;
import dev.relay.admin.Version;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the outer's admin endpoint shows and does: read from the outer's counters and state, at request time. */
final class OuterAdmin implements AdminServer.Endpoints {
    private final Outer outer;

    OuterAdmin(Outer outer) {
        this.outer = outer;
    }

    @Override
    public Status status() {
        OuterConfig config = outer.config();
        List<Status.InnerInfo> inners = new ArrayList<>();
        InnerLink l = outer.control().link();
        if (l != null) {
            inners.add(new Status.InnerInfo(l.name(), l.describeAddress(), Status.time(l.since()), l.pooled()));
        }
        List<Status.RouteInfo> routes = new ArrayList<>();
        for (Route r : config.routes()) {
            RoutePort listener = outer.listeners().get(r.name());
            String listen = listener == null
                    ? r.listen().toString()
                    : listener.listening().toString();
            routes.add(Status.RouteInfo.of(r.name(), listen, r.target().toString(), outer.stats(r)));
        }
        Instant started = outer.startedAt();
        return new Status(
                "outer",
                Version.get(),
                Status.time(started),
                Duration.between(started, Instant.now()).toMillis() / 1e3,
                new Status.ConfigInfo(outer.source(), Status.time(outer.loadedAt()), outer.generation()),
                outer.activeSessions(),
                inners,
                null,
                routes);
    }

    @Override
    public void metrics(MetricsText m) {
        Map<String, RouteStats> routes = new LinkedHashMap<>();
        for (Route r : outer.config().routes()) {
            routes.put(r.name(), outer.stats(r));
        }
        // Routes a reload removed keep their counters, so the totals never go back.
        outer.allStats().forEach(routes::putIfAbsent);
        RouteMetrics.write(m, routes, false);
        InnerLink l = outer.control().link();
        m.family("relay_inners_connected", "gauge", "Inners with a control channel open to this outer.")
                .sample("relay_inners_connected", l == null ? 0 : 1);
        m.family("relay_pool_idle_connections", "gauge", "Idle pooled data connections, per inner.");
        if (l != null) {
            m.sample("relay_pool_idle_connections", l.pooled(), "inner", l.name());
        }
        m.family("relay_users_waiting", "gauge", "Users waiting for the inner to answer their Open.")
                .sample("relay_users_waiting", outer.pendingOpens());
        m.family("relay_handshakes_failed_total", "counter", "Connections to the control port that did not get in.");
        outer.control()
                .failed()
                .forEach((why, n) -> m.sample("relay_handshakes_failed_total", n.sum(), "reason", why.label()));
        m.family("relay_config_reloads_total", "counter", "Configuration reloads, by result.")
                .sample("relay_config_reloads_total", outer.reloads(true), "result", "success")
                .sample("relay_config_reloads_total", outer.reloads(false), "result", "failure");
        m.family("relay_config_generation", "gauge", "How many configurations this process has put in force.")
                .sample("relay_config_generation", outer.generation());
    }

    @Override
    public AdminServer.Readiness readiness() {
        for (Route r : outer.config().routes()) {
            RoutePort l = outer.listeners().get(r.name());
            if (l == null || !l.isOpen()) {
                return new AdminServer.Readiness(false, "route " + r.name() + " is not listening");
            }
        }
        if (!outer.innerConnected()) {
            return new AdminServer.Readiness(false, "no inner is connected");
        }
        return new AdminServer.Readiness(true, null);
    }

    @Override
    public AdminServer.Reload reload() {
        return outer.reload();
    }
}

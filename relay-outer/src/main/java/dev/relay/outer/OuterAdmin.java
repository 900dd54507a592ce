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
import java.util.Comparator;
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
        for (InnerLink l : sorted()) {
            inners.add(new Status.InnerInfo(
                    l.name(), l.describeAddress(), Status.time(l.since()), l.pooled(), l.streams()));
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
        List<InnerLink> links = sorted();
        m.family("relay_inners_connected", "gauge", "Inners with a control channel open to this outer.")
                .sample("relay_inners_connected", links.size());
        m.family("relay_pool_idle_connections", "gauge", "Idle pooled data connections, per inner.");
        for (InnerLink l : links) {
            m.sample("relay_pool_idle_connections", l.pooled(), "inner", l.name());
        }
        m.family(
                "relay_streams_active",
                "gauge",
                "Streams open now on each inner's stream connections (TLS sessions the pool does not carry).");
        for (InnerLink l : links) {
            m.sample("relay_streams_active", l.streams(), "inner", l.name());
        }
        Map<String, Map<String, Balancer.Load>> loads = outer.balancer().snapshot();
        m.family("relay_inner_sessions_active", "gauge", "Sessions each inner carries now, per route.");
        loads.forEach((route, byInner) -> byInner.forEach((inner, load) ->
                m.sample("relay_inner_sessions_active", load.active(), "route", route, "inner", inner)));
        m.family("relay_inner_sessions_total", "counter", "Sessions (and UDP flows) started on each inner, per route.");
        loads.forEach((route, byInner) -> byInner.forEach((inner, load) ->
                m.sample("relay_inner_sessions_total", load.sessions(), "route", route, "inner", inner)));
        m.family(
                "relay_inner_target_up",
                "gauge",
                "1 unless the inner's own health checks find the route's target down (routes with healthCheckSeconds).");
        loads.forEach((route, byInner) -> byInner.forEach((inner, load) ->
                m.sample("relay_inner_target_up", load.targetUp() ? 1 : 0, "route", route, "inner", inner)));
        m.family(
                "relay_inner_skips_total",
                "counter",
                "Times an inner was passed over on a route for a while after its target failed repeatedly.");
        loads.forEach((route, byInner) -> byInner.forEach(
                (inner, load) -> m.sample("relay_inner_skips_total", load.skips(), "route", route, "inner", inner)));
        m.family(
                "relay_inner_retries_total",
                "counter",
                "Sessions retried on another inner after this inner could not reach the route's target.");
        loads.forEach((route, byInner) -> byInner.forEach((inner, load) ->
                m.sample("relay_inner_retries_total", load.retries(), "route", route, "inner", inner)));
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

    private List<InnerLink> sorted() {
        List<InnerLink> links = new ArrayList<>();
        for (InnerLink l : outer.control().inners().all()) {
            if (l.isOpen()) {
                links.add(l);
            }
        }
        links.sort(Comparator.comparing(InnerLink::name));
        return links;
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

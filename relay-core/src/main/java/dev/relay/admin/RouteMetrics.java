package dev.relay.admin;

import java.util.Map;
import java.util.TreeMap;

/** The per-route metrics both sides export, from their {@link RouteStats} by route name. */
public final class RouteMetrics {
    private RouteMetrics() {}

    /** Writes every route's families; {@code inner} adds the target-connect failures only the inner counts. */
    public static void write(MetricsText m, Map<String, RouteStats> routes, boolean inner) {
        m.family("relay_sessions_active", "gauge", "Sessions relaying bytes now, per route.");
        routes.forEach((route, s) -> m.sample("relay_sessions_active", s.active(), "route", route));
        m.family("relay_sessions_total", "counter", "Sessions ended, and users turned away, per route and result.");
        routes.forEach((route, s) -> {
            for (RouteStats.Result r : RouteStats.Result.values()) {
                m.sample("relay_sessions_total", s.ended(r), "route", route, "result", r.label());
            }
        });
        m.family("relay_bytes_total", "counter", "Bytes relayed per route: up is user to target, down the reverse.");
        routes.forEach((route, s) -> {
            m.sample("relay_bytes_total", s.traffic().up().sum(), "route", route, "direction", "up");
            m.sample("relay_bytes_total", s.traffic().down().sum(), "route", route, "direction", "down");
        });
        m.family(
                "relay_open_duration_seconds",
                "histogram",
                inner
                        ? "From an Open read to its session relaying, per route."
                        : "From a user accepted to its session relaying, per route.");
        routes.forEach((route, s) -> m.histogram("relay_open_duration_seconds", s.openSeconds(), "route", route));
        udp(m, routes);
        if (inner) {
            m.family("relay_target_connect_failures_total", "counter", "Failed connections to a route's target.");
            routes.forEach(
                    (route, s) -> m.sample("relay_target_connect_failures_total", s.targetFailures(), "route", route));
        }
    }

    /**
     * The UDP families, for the routes whose counters exist: the outer's UDP routes from the moment they listen, the
     * inner's once they carried a flow. A flow's bytes are in relay_bytes_total.
     */
    private static void udp(MetricsText m, Map<String, RouteStats> routes) {
        Map<String, UdpStats> udp = new TreeMap<>();
        routes.forEach((route, s) -> {
            UdpStats u = s.udpIfAny();
            if (u != null) {
                udp.put(route, u);
            }
        });
        if (udp.isEmpty()) {
            return;
        }
        m.family("relay_udp_flows_active", "gauge", "UDP flows (one per user address) open now, per route.");
        udp.forEach((route, u) -> m.sample("relay_udp_flows_active", u.flows(), "route", route));
        m.family(
                "relay_udp_datagrams_total",
                "counter",
                "Datagrams relayed per UDP route: up is user to target, down the reverse.");
        udp.forEach((route, u) -> {
            m.sample("relay_udp_datagrams_total", u.datagrams().up().sum(), "route", route, "direction", "up");
            m.sample("relay_udp_datagrams_total", u.datagrams().down().sum(), "route", route, "direction", "down");
        });
        m.family("relay_udp_drops_total", "counter", "Datagrams dropped per UDP route, by reason.");
        udp.forEach((route, u) -> {
            for (UdpStats.Drop d : UdpStats.Drop.values()) {
                m.sample("relay_udp_drops_total", u.drops(d), "route", route, "reason", d.label());
            }
        });
    }
}

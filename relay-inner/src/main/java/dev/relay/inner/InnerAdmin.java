package dev.relay.inner;

import dev.relay.admin.AdminServer;
import dev.relay.admin.MetricsText;
import dev.relay.admin.RouteMetrics;
import dev.relay.admin.Status;
import dev.relay.admin.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the inner's admin endpoint shows and does: read from the inner's counters and state, at request time. */
final class InnerAdmin implements AdminServer.Endpoints {
    private final Inner inner;

    InnerAdmin(Inner inner) {
        this.inner = inner;
    }

    @Override
    public Status status() {
        List<Status.OuterInfo> outers = new ArrayList<>();
        Map<String, Status.RouteInfo> routes = new LinkedHashMap<>();
        for (Connector c : inner.connectors()) {
            OuterLink link = c.link();
            String failure = c.lastFailure();
            outers.add(new Status.OuterInfo(
                    c.outer().toString(),
                    link != null,
                    link == null ? null : Status.time(c.connectedSince()),
                    link == null ? 0 : link.pool().idleCount(),
                    failure == null ? null : new Status.ErrorInfo(failure, Status.time(c.failedAt()))));
            if (link != null) {
                // Outers normally offer the same routes; a route is listed once, as the first outer names it.
                link.routes()
                        .values()
                        .forEach(r -> routes.computeIfAbsent(
                                r.name(),
                                n -> Status.RouteInfo.of(n, null, r.target().toString(), inner.stats(n))));
            }
        }
        Instant started = inner.startedAt();
        return new Status(
                "inner",
                Version.get(),
                Status.time(started),
                Duration.between(started, Instant.now()).toMillis() / 1e3,
                new Status.ConfigInfo(inner.source(), Status.time(inner.loadedAt()), inner.generation()),
                inner.activeSessions(),
                null,
                outers,
                List.copyOf(routes.values()));
    }

    @Override
    public void metrics(MetricsText m) {
        RouteMetrics.write(m, inner.allStats(), true);
        var up = m.family("relay_control_channel_up", "gauge", "1 while the control channel to the outer is open.");
        for (Connector c : inner.connectors()) {
            up.sample(
                    "relay_control_channel_up",
                    c.link() == null ? 0 : 1,
                    "outer",
                    c.outer().toString());
        }
        var reconnects = m.family(
                "relay_reconnects_total",
                "counter",
                "Control channels to the outer that ended and were dialled again.");
        for (Connector c : inner.connectors()) {
            reconnects.sample(
                    "relay_reconnects_total", c.reconnects(), "outer", c.outer().toString());
        }
        var idle = m.family("relay_pool_idle_connections", "gauge", "Idle pooled data connections at the outer.");
        for (Connector c : inner.connectors()) {
            OuterLink link = c.link();
            idle.sample(
                    "relay_pool_idle_connections",
                    link == null ? 0 : link.pool().idleCount(),
                    "outer",
                    c.outer().toString());
        }
        var held = m.family(
                "relay_outer_session_slots",
                "gauge",
                "Sessions and opens in progress that each outer holds, of the inner's maxSessions.");
        for (Connector c : inner.connectors()) {
            held.sample(
                    "relay_outer_session_slots",
                    c.slots().held(),
                    "outer",
                    c.outer().toString());
        }
        m.family("relay_config_reloads_total", "counter", "Configuration reloads, by result.")
                .sample("relay_config_reloads_total", inner.reloads(true), "result", "success")
                .sample("relay_config_reloads_total", inner.reloads(false), "result", "failure");
    }

    @Override
    public AdminServer.Readiness readiness() {
        return inner.connected()
                ? new AdminServer.Readiness(true, null)
                : new AdminServer.Readiness(false, "no control channel to any outer");
    }

    @Override
    public AdminServer.Reload reload() {
        return inner.reload();
    }
}

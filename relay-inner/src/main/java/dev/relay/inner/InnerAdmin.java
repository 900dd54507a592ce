package dev.relay.inner;

import dev.relay.admin.AdminServer;
import dev.relay.admin.MetricsText;
import dev.relay.admin.RouteMetrics;
import dev.relay.admin.Status;
import dev.relay.admin.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What the inner's admin endpoint shows and does: read from the inner's counters and state, at request time. */
final class InnerAdmin implements AdminServer.Endpoints {
    private final Inner inner;

    InnerAdmin(Inner inner) {
        this.inner = inner;
    }

    @Override
    public Status status() {
        OuterLink link = inner.link();
        String failure = inner.lastFailure();
        Status.OuterInfo outer = new Status.OuterInfo(
                inner.config().connect().toString(),
                link != null,
                link == null ? null : Status.time(inner.connectedSince()),
                link == null ? 0 : link.pool().idleCount(),
                failure == null ? null : new Status.ErrorInfo(failure, null));
        List<Status.RouteInfo> routes = new ArrayList<>();
        if (link != null) {
            link.routes()
                    .values()
                    .forEach(r -> routes.add(
                            Status.RouteInfo.of(r.name(), null, r.target().toString(), inner.stats(r.name()))));
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
                List.of(outer),
                routes);
    }

    @Override
    public void metrics(MetricsText m) {
        RouteMetrics.write(m, inner.allStats(), true);
        OuterLink link = inner.link();
        m.family("relay_control_channel_up", "gauge", "1 while the control channel to the outer is open.")
                .sample(
                        "relay_control_channel_up",
                        link == null ? 0 : 1,
                        "outer",
                        inner.config().connect().toString());
        m.family(
                        "relay_reconnects_total",
                        "counter",
                        "Control channels to the outer that ended and were dialled again.")
                .sample(
                        "relay_reconnects_total",
                        inner.reconnects(),
                        "outer",
                        inner.config().connect().toString());
        m.family("relay_pool_idle_connections", "gauge", "Idle pooled data connections at the outer.")
                .sample(
                        "relay_pool_idle_connections",
                        link == null ? 0 : link.pool().idleCount(),
                        "outer",
                        inner.config().connect().toString());
        m.family("relay_config_reloads_total", "counter", "Configuration reloads, by result.")
                .sample("relay_config_reloads_total", inner.reloads(true), "result", "success")
                .sample("relay_config_reloads_total", inner.reloads(false), "result", "failure");
    }

    @Override
    public AdminServer.Readiness readiness() {
        return inner.connected()
                ? new AdminServer.Readiness(true, null)
                : new AdminServer.Readiness(false, "no control channel to the outer");
    }

    @Override
    public AdminServer.Reload reload() {
        return inner.reload();
    }
}

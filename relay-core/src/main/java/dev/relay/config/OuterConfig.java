package dev.relay.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the outer needs: where the control port listens, the token, the routes, the tuning, and its TLS certificate
 * ({@code tls} null means plain TCP, which the outer warns about at start).
 */
public record OuterConfig(HostPort listen, Token token, List<Route> routes, Tuning tuning, ServerTls tls) {
    public OuterConfig {
        Objects.requireNonNull(listen, "outer.listen");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(tuning, "tuning");
        routes = List.copyOf(Objects.requireNonNull(routes, "routes"));
        if (routes.isEmpty()) {
            throw new IllegalArgumentException("routes: at least one route is needed");
        }
        Map<String, Integer> names = new HashMap<>();
        Map<Integer, String> ports = new HashMap<>();
        if (listen.port() != 0) {
            ports.put(listen.port(), "outer.listen");
        }
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            Integer before = names.putIfAbsent(r.name(), i);
            if (before != null) {
                throw new IllegalArgumentException("routes[" + i + "].name: duplicate route name \"" + r.name()
                        + "\" (also routes[" + before + "])");
            }
            int port = r.listen().port();
            if (port != 0) {
                String other = ports.putIfAbsent(port, "route \"" + r.name() + "\"");
                if (other != null) {
                    throw new IllegalArgumentException(
                            "routes[" + i + "].listen: port " + port + " is already used by " + other);
                }
            }
        }
    }

    /** Plain TCP between inner and outer. */
    public OuterConfig(HostPort listen, Token token, List<Route> routes, Tuning tuning) {
        this(listen, token, routes, tuning, null);
    }

    /** Defaults for everything but the essentials. */
    public static OuterConfig of(HostPort listen, Token token, List<Route> routes) {
        return new OuterConfig(listen, token, routes, Tuning.DEFAULTS);
    }

    public OuterConfig withTuning(Tuning t) {
        return new OuterConfig(listen, token, routes, t, tls);
    }

    public OuterConfig withListen(HostPort l) {
        return new OuterConfig(l, token, routes, tuning, tls);
    }

    public OuterConfig withRoutes(List<Route> r) {
        return new OuterConfig(listen, token, r, tuning, tls);
    }

    public OuterConfig withTls(ServerTls t) {
        return new OuterConfig(listen, token, routes, tuning, t);
    }
}

package dev.relay.config;

import dev.relay.net.AddressRule;
import dev.relay.protocol.Names;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the outer needs: where the control port listens, the token, the routes, the tuning, and its TLS certificate
 * ({@code tls} null means plain TCP, which the outer warns about at start).
 *
 * @param admin the admin endpoint, or null for none
 * @param trustedProxies the load balancers whose PROXY headers a route with {@code acceptProxyProtocol} believes
 * @param inners  each listed inner's own token, by inner name ({@code outer.inners}); then {@code token} may be null,
 *     and when given it serves only the inners not listed
 */
public record OuterConfig(
        HostPort listen,
        Token token,
        List<Route> routes,
        Tuning tuning,
        ServerTls tls,
        AdminConfig admin,
        List<AddressRule> trustedProxies,
        Map<String, Token> inners) {
    public OuterConfig {
        Objects.requireNonNull(listen, "outer.listen");
        inners = Map.copyOf(Objects.requireNonNull(inners, "outer.inners"));
        inners.keySet().forEach(n -> Names.check("outer.inners", n));
        if (token == null && inners.isEmpty()) {
            throw new IllegalArgumentException("token: missing");
        }
        Objects.requireNonNull(tuning, "tuning");
        routes = List.copyOf(Objects.requireNonNull(routes, "routes"));
        trustedProxies = List.copyOf(Objects.requireNonNull(trustedProxies, "outer.trustedProxies"));
        for (AddressRule r : trustedProxies) {
            if (r.isName() || r.port().isPresent()) {
                throw new IllegalArgumentException("outer.trustedProxies: \"" + r
                        + "\" must be an address or network, without a port or host name");
            }
        }
        if (routes.isEmpty()) {
            throw new IllegalArgumentException("routes: at least one route is needed");
        }
        Map<String, Integer> names = new HashMap<>();
        // TCP and UDP ports are separate spaces: a DNS route may listen on 53 of each.
        Map<String, String> ports = new HashMap<>();
        if (listen.port() != 0) {
            ports.put("tcp/" + listen.port(), "outer.listen");
        }
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            Integer before = names.putIfAbsent(r.name(), i);
            if (before != null) {
                throw new IllegalArgumentException("routes[" + i + "].name: duplicate route name \"" + r.name()
                        + "\" (also routes[" + before + "])");
            }
            if (r.acceptProxyProtocol() && trustedProxies.isEmpty()) {
                throw new IllegalArgumentException("routes[" + i + "].acceptProxyProtocol: no load balancer is trusted;"
                        + " list its addresses in outer.trustedProxies");
            }
            for (Route.InnerWeight w : r.inners()) {
                if (token == null && !inners.containsKey(w.name())) {
                    throw new IllegalArgumentException("routes[" + i + "].inners: \"" + w.name()
                            + "\" could never connect: it is not in outer.inners, and there is no top-level token");
                }
            }
            int port = r.listen().port();
            if (port != 0) {
                String other = ports.putIfAbsent((r.isUdp() ? "udp/" : "tcp/") + port, "route \"" + r.name() + "\"");
                if (other != null) {
                    throw new IllegalArgumentException(
                            "routes[" + i + "].listen: port " + port + " is already used by " + other);
                }
            }
        }
    }

    /** Plain TCP between inner and outer. */
    public OuterConfig(HostPort listen, Token token, List<Route> routes, Tuning tuning) {
        this(listen, token, routes, tuning, null, null, List.of(), Map.of());
    }

    /** One token for every inner, as before {@code outer.inners}. */
    public OuterConfig(
            HostPort listen,
            Token token,
            List<Route> routes,
            Tuning tuning,
            ServerTls tls,
            AdminConfig admin,
            List<AddressRule> trustedProxies) {
        this(listen, token, routes, tuning, tls, admin, trustedProxies, Map.of());
    }

    /** Defaults for everything but the essentials. */
    public static OuterConfig of(HostPort listen, Token token, List<Route> routes) {
        return new OuterConfig(listen, token, routes, Tuning.DEFAULTS);
    }

    public OuterConfig withTuning(Tuning t) {
        return new OuterConfig(listen, token, routes, t, tls, admin, trustedProxies, inners);
    }

    public OuterConfig withListen(HostPort l) {
        return new OuterConfig(l, token, routes, tuning, tls, admin, trustedProxies, inners);
    }

    public OuterConfig withRoutes(List<Route> r) {
        return new OuterConfig(listen, token, r, tuning, tls, admin, trustedProxies, inners);
    }

    public OuterConfig withTls(ServerTls t) {
        return new OuterConfig(listen, token, routes, tuning, t, admin, trustedProxies, inners);
    }

    public OuterConfig withAdmin(AdminConfig a) {
        return new OuterConfig(listen, token, routes, tuning, tls, a, trustedProxies, inners);
    }

    public OuterConfig withTrustedProxies(List<AddressRule> rules) {
        return new OuterConfig(listen, token, routes, tuning, tls, admin, rules, inners);
    }

    /** This configuration with each listed inner's own token (empty for one token for all). */
    public OuterConfig withInners(Map<String, Token> tokens) {
        return new OuterConfig(listen, token, routes, tuning, tls, admin, trustedProxies, tokens);
    }

    /**
     * The token the inner named {@code name} must hold: its own where {@code outer.inners} lists it, else the
     * top-level one, or null when no inner of that name may connect.
     */
    public Token tokenFor(String name) {
        Token own = inners.get(name);
        return own != null ? own : token;
    }

    /** The route named {@code name}, if any. */
    public Route route(String name) {
        return routes.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null);
    }
}

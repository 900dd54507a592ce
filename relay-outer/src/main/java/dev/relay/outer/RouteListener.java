package dev.relay.outer;

import dev.relay.admin.RouteStats;
import dev.relay.config.HostPort;
import dev.relay.config.Route;
import dev.relay.net.LogLimiter;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route's public port, run on its {@code route-<name>} thread: accepts users, closes at once those outside the
 * route's allow list (before the inner hears of them), and hands the rest to the {@link Outer}.
 */
final class RouteListener {
    private static final Logger LOG = LoggerFactory.getLogger(RouteListener.class);

    private final Outer outer;
    /** Replaced by a reload that changed the route; each user is served with the route as it was on arrival. */
    private volatile Route route;

    private final Acceptor acceptor;
    /** A port scan would otherwise flood the log: refusals are logged at most once a second per route. */
    private final LogLimiter refusals = new LogLimiter(Duration.ofSeconds(1), "refused");

    RouteListener(Outer outer, Route route, ServerSocket server) {
        this.outer = outer;
        this.route = route;
        this.acceptor = new Acceptor("route=" + route.name(), server, this::accepted);
    }

    /** Serves new users with {@code changed} (same name, same listen address) from now on. */
    void update(Route changed) {
        route = changed;
    }

    Route route() {
        return route;
    }

    int port() {
        return acceptor.port();
    }

    /** The address this route listens on, with the port it really bound. */
    HostPort listening() {
        return route.listen().withPort(port());
    }

    /** Accepts until {@link #close}. */
    void run() {
        acceptor.run();
    }

    void close() {
        acceptor.close();
    }

    /** Whether the port still accepts: a route's readiness. */
    boolean isOpen() {
        return acceptor.isOpen();
    }

    private void accepted(Socket socket) {
        User user = User.direct(socket);
        if (!route.allows(user.address().getAddress())) {
            user.close();
            outer.stats(route).failed(RouteStats.Result.REFUSED, "not in the allow list");
            refusals.event(more -> LOG.warn(
                    "route={} user={} refused: not in the route's allow list{}", route.name(), user.describe(), more));
            return;
        }
        outer.userArrived(route, user);
    }
}

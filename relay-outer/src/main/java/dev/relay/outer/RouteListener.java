package dev.relay.outer;

import dev.relay.config.Route;
import dev.relay.net.LogLimiter;
import java.net.ServerSocket;
import java.time.Duration;

/** One route's public port: its acceptor, which hands each user to the outer, on the {@code route-<name>} thread. */
final class RouteListener {
    private final Route route;
    private final Acceptor acceptor;
    /** Users refused by the allowlist are logged at most once a second per route. */
    final LogLimiter refusals = new LogLimiter(Duration.ofSeconds(1));

    RouteListener(Outer outer, Route route, ServerSocket server) {
        this.route = route;
        this.acceptor = new Acceptor("route=" + route.name(), server, user -> outer.userArrived(this, user));
    }

    Route route() {
        return route;
    }

    int port() {
        return acceptor.port();
    }

    void run() {
        acceptor.run();
    }

    void close() {
        acceptor.close();
    }
}

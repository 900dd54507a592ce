package dev.relay.outer;

import dev.relay.config.Route;
import dev.relay.net.LogLimiter;
import dev.relay.net.Sockets;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Accepts users on one route's public port; runs on the {@code route-<name>} thread. */
final class RouteListener {
    private static final Logger LOG = LoggerFactory.getLogger(RouteListener.class);

    private final Outer outer;
    private final Route route;
    private final ServerSocket server;
    /** Users refused by the allowlist are logged at most once a second per route. */
    final LogLimiter refusals = new LogLimiter(Duration.ofSeconds(1));

    RouteListener(Outer outer, Route route, ServerSocket server) {
        this.outer = outer;
        this.route = route;
        this.server = server;
    }

    Route route() {
        return route;
    }

    int port() {
        return server.getLocalPort();
    }

    void run() {
        while (!server.isClosed()) {
            Socket user;
            try {
                user = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    // Typically EMFILE: too many open files. Keep serving; the next accept may succeed.
                    LOG.warn("route={} accept failed: {}", route.name(), e.getMessage());
                    Outer.pauseAfterAcceptFailure();
                }
                continue;
            }
            try {
                outer.userArrived(this, user);
            } catch (RuntimeException e) {
                // A bug costs this one user, never the route.
                LOG.error("bug: route={} could not take a user", route.name(), e);
                Sockets.closeQuietly(user);
            }
        }
    }

    void close() {
        Sockets.closeQuietly(server);
    }
}

package dev.relay.outer;

import dev.relay.config.HostPort;
import dev.relay.config.Route;

/** A route's public port on the outer: a TCP {@link RouteListener} or a UDP {@link UdpListener}. */
sealed interface RoutePort permits RouteListener, UdpListener {
    Route route();

    /** Serves new users (or flows) with {@code changed}: same name, listen address and protocol. */
    void update(Route changed);

    int port();

    /** The address this route listens on, with the port it really bound. */
    default HostPort listening() {
        return route().listen().withPort(port());
    }

    /** Accepts (or receives) until {@link #close}, on the route's own thread. */
    void run();

    void close();

    /** Whether the port is still open: a route's readiness. */
    boolean isOpen();
}

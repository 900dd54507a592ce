package dev.relay.outer;

import dev.relay.admin.RouteStats;
import dev.relay.config.Route;
import dev.relay.net.AddressRule;
import dev.relay.net.LogLimiter;
import dev.relay.net.Threads;
import dev.relay.proxy.ProxyHeader;
import dev.relay.proxy.ProxyProtocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route's public port, run on its {@code route-<name>} thread: accepts users, closes at once those outside the
 * route's allow list (before the inner hears of them), and hands the rest to the {@link Outer}. On a route behind a
 * load balancer ({@code acceptProxyProtocol}) the user is who the balancer's PROXY header names, read on a
 * {@code proxy-header-<peer>} thread; only {@code outer.trustedProxies} may connect there.
 */
final class RouteListener implements RoutePort {
    private static final Logger LOG = LoggerFactory.getLogger(RouteListener.class);

    private final Outer outer;
    /** Replaced by a reload that changed the route; each user is served with the route as it was on arrival. */
    private volatile Route route;

    private final Acceptor acceptor;
    /** A port scan would otherwise flood the log: refusals are logged at most once a second per route. */
    private final LogLimiter refusals = new LogLimiter(Duration.ofSeconds(1), "refused");

    private final LogLimiter headerFailures = new LogLimiter(Duration.ofSeconds(1), "refused");
    /** How long a load balancer has to send the PROXY header, after which the connection is closed. */
    static final Duration HEADER_DEADLINE = Duration.ofSeconds(3);

    RouteListener(Outer outer, Route route, ServerSocket server) {
        this.outer = outer;
        this.route = route;
        this.acceptor = new Acceptor("route=" + route.name(), server, this::accepted);
    }

    @Override
    public void update(Route changed) {
        route = changed;
    }

    @Override
    public Route route() {
        return route;
    }

    @Override
    public int port() {
        return acceptor.port();
    }

    @Override
    public void run() {
        acceptor.run();
    }

    @Override
    public void close() {
        acceptor.close();
    }

    @Override
    public boolean isOpen() {
        return acceptor.isOpen();
    }

    private void accepted(Socket socket) {
        Route r = route;
        if (!r.acceptProxyProtocol()) {
            admit(r, User.direct(socket));
            return;
        }
        // Behind a load balancer: only a trusted one may say who the user is, and it must, before any other byte.
        User proxy = User.direct(socket);
        if (!trusted(proxy.address().getAddress())) {
            proxy.close();
            outer.stats(r).failed(RouteStats.Result.REFUSED, "not a trusted proxy");
            refusals.event(more -> LOG.warn(
                    "route={} from={} refused: not in outer.trustedProxies, and this route takes users only"
                            + " through a PROXY protocol header{}",
                    r.name(),
                    proxy.describe(),
                    more));
            return;
        }
        // Read off the acceptor's thread: a slow proxy holds its own thread for at most the header deadline.
        Threads.start("proxy-header-" + proxy.describe(), () -> readHeader(r, proxy));
    }

    private void readHeader(Route r, User proxy) {
        Socket s = proxy.socket();
        ProxyHeader h;
        try {
            s.setSoTimeout((int) HEADER_DEADLINE.toMillis());
            h = ProxyProtocol.read(s.getInputStream());
            s.setSoTimeout(0);
        } catch (IOException e) {
            proxy.close();
            String why = e instanceof SocketTimeoutException
                    ? "no PROXY header within " + HEADER_DEADLINE.toMillis() + "ms"
                    : "PROXY header: " + (e.getMessage() == null ? e.toString() : e.getMessage());
            outer.stats(r).failed(RouteStats.Result.REFUSED, why);
            headerFailures.event(
                    more -> LOG.warn("route={} from={} refused: {}{}", r.name(), proxy.describe(), why, more));
            return;
        }
        // LOCAL (the balancer's own health check) and UNKNOWN mean: the connection's own endpoints.
        admit(r, h.namesClient() ? new User(s, h.source(), h.destination(), proxy.acceptedNanos()) : proxy);
    }

    private boolean trusted(InetAddress a) {
        for (AddressRule rule : outer.config().trustedProxies()) {
            if (rule.matches(a)) {
                return true;
            }
        }
        return false;
    }

    private void admit(Route r, User user) {
        if (!r.allows(user.address().getAddress())) {
            user.close();
            outer.stats(r).failed(RouteStats.Result.REFUSED, "not in the allow list");
            refusals.event(more -> LOG.warn(
                    "route={} user={} refused: not in the route's allow list{}", r.name(), user.describe(), more));
            return;
        }
        outer.userArrived(r, user);
    }
}

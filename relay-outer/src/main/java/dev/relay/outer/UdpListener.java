package dev.relay.outer;

import dev.relay.admin.UdpStats;
import dev.relay.config.Route;
import dev.relay.net.LogLimiter;
import dev.relay.net.Sockets;
import dev.relay.protocol.Datagrams;
import dev.relay.protocol.Nonce;
import dev.relay.session.DatagramSession;
import dev.relay.session.Session;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UDP route's public port, and its flows by user address. One receive loop, on the route's {@code route-<name>}
 * thread, checks each datagram's source against the allow list, finds or starts its flow, and queues the datagram
 * there without waiting: a flow that is slow, or still waiting for the inner, drops its own datagrams and holds up no
 * other. Replies go back to each user from this same port, from the flows' threads. This class owns the socket.
 */
final class UdpListener implements RoutePort {
    private static final Logger LOG = LoggerFactory.getLogger(UdpListener.class);

    /** Room for any datagram IPv6 can bring, so that one over the UDP-over-IPv4 limit is seen whole and dropped. */
    private static final int RECEIVE_BUFFER = 65_535;

    /** What the route's socket asks the kernel to hold for it between two receives. */
    static final int RECEIVE_SOCKET_BUFFER = 4 << 20;

    private final Outer outer;
    /** Replaced by a reload that changed the route; each flow keeps the route it started with. */
    private volatile Route route;

    private final DatagramSocket socket;
    private final Map<InetSocketAddress, UdpFlow> flows = new ConcurrentHashMap<>();
    /** A scan or a flood from strangers would otherwise write a line per datagram. */
    private final LogLimiter refusals = new LogLimiter(Duration.ofSeconds(1), "refused");

    private final LogLimiter limits = new LogLimiter(Duration.ofSeconds(1), "dropped");
    private final LogLimiter failures = new LogLimiter(Duration.ofSeconds(1), "failed");
    /** The thread in {@link #run}, or null; {@link #close} waits for it to leave, as {@link Acceptor#close} does. */
    private volatile Thread runner;

    private final CountDownLatch left = new CountDownLatch(1);

    UdpListener(Outer outer, Route route, DatagramSocket socket) {
        this.outer = outer;
        this.route = route;
        this.socket = socket;
        // A UDP route exports its counters, at zero, from the moment it listens: a scrape (or a test) that comes
        // before the first datagram finds every series it will ever see.
        outer.stats(route).udp();
    }

    /** A socket on the route's address; the exception names the route and the address when it cannot be bound. */
    static DatagramSocket bind(Route route) throws IOException {
        InetSocketAddress at = route.listen().resolve();
        String what = "route \"" + route.name() + "\"";
        if (at.isUnresolved()) {
            throw new IOException(
                    what + ": cannot listen on udp " + at.getHostString() + ":" + at.getPort() + ": unknown host");
        }
        try {
            DatagramSocket s = new DatagramSocket(at);
            // One loop reads for every flow of the route: a burst waits in the kernel, not dropped there, where the
            // kernel allows this much (net.core.rmem_max).
            s.setReceiveBufferSize(RECEIVE_SOCKET_BUFFER);
            return s;
        } catch (SocketException e) {
            throw new IOException(
                    what + ": cannot listen on udp " + at.getHostString() + ":" + at.getPort() + ": " + e.getMessage(),
                    e);
        }
    }

    @Override
    public Route route() {
        return route;
    }

    @Override
    public void update(Route changed) {
        route = changed;
    }

    @Override
    public int port() {
        return socket.getLocalPort();
    }

    @Override
    public boolean isOpen() {
        return !socket.isClosed();
    }

    /** Flows on this route now, waiting for the inner or relaying. */
    int flows() {
        return flows.size();
    }

    @Override
    public void run() {
        runner = Thread.currentThread();
        try {
            receive();
        } finally {
            runner = null;
            left.countDown();
        }
    }

    private void receive() {
        byte[] buffer = new byte[RECEIVE_BUFFER];
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        while (!socket.isClosed()) {
            try {
                p.setLength(buffer.length);
                socket.receive(p);
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    failures.event(
                            more -> LOG.warn("route={} udp receive failed: {}{}", route.name(), e.getMessage(), more));
                }
                continue;
            }
            if (socket.isClosed()) {
                // Arrived as the port closed: the route is gone, and starts no flow.
                break;
            }
            try {
                received((InetSocketAddress) p.getSocketAddress(), buffer, p.getLength());
            } catch (RuntimeException e) {
                // A bug costs this datagram, never the port.
                LOG.error("bug: route {} could not take a datagram", route.name(), e);
            }
        }
    }

    private void received(InetSocketAddress from, byte[] buffer, int length) {
        Route r = route;
        UdpStats udp = outer.stats(r).udp();
        if (!r.allows(from.getAddress())) {
            udp.dropped(UdpStats.Drop.REFUSED);
            refusals.event(more -> LOG.warn(
                    "route={} user={} datagram refused: not in the route's allow list{}",
                    r.name(),
                    Sockets.describe(from),
                    more));
            return;
        }
        if (length > Datagrams.MAX_DATAGRAM) {
            udp.dropped(UdpStats.Drop.TOO_BIG);
            return;
        }
        UdpFlow f = flows.get(from);
        if (f == null) {
            f = new UdpFlow(Nonce.sessionId(), r, from, this, udp);
            flows.put(from, f);
            String refused = outer.openFlow(f);
            if (refused != null) {
                flows.remove(from, f);
                udp.dropped(UdpStats.Drop.OVER_LIMIT);
                limits.event(more -> LOG.warn(
                        "route={} user={} datagram dropped: {}{}", r.name(), Sockets.describe(from), refused, more));
                return;
            }
        }
        f.offer(Arrays.copyOf(buffer, length));
    }

    /** Sends a reply to {@code user} from the route's port; a failure drops that datagram, unless the port closed. */
    void send(byte[] datagram, InetSocketAddress user) throws IOException {
        try {
            socket.send(new DatagramPacket(datagram, datagram.length, user));
        } catch (IOException e) {
            if (socket.isClosed()) {
                throw e;
            }
            outer.stats(route).udp().dropped(UdpStats.Drop.UNREACHABLE);
        }
    }

    /** Forgets a flow that ended or never opened, so the user's next datagram starts a new one. */
    void ended(UdpFlow f) {
        flows.remove(f.user(), f);
    }

    /** Ends the flows that carried no datagram either way for their route's idle timeout; on the outer's reaper. */
    void reapIdle() {
        for (UdpFlow f : flows.values()) {
            DatagramSession s = f.session();
            Duration idle = f.route().idleTimeout();
            if (s != null && s.idleFor(idle)) {
                s.close("idle for more than " + idle.toMillis() + "ms", Session.Ending.IDLE);
            }
        }
    }

    /**
     * Closes the port, then the flows that are relaying: with the port gone no reply could reach their users. Flows
     * still waiting for the inner end with their open (the pairing sees the port closed).
     */
    @Override
    public void close() {
        socket.close();
        // A virtual thread parked in receive() releases the port only when it runs again.
        Thread t = runner;
        if (t != null && t != Thread.currentThread()) {
            try {
                left.await(Acceptor.CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (UdpFlow f : List.copyOf(flows.values())) {
            DatagramSession s = f.session();
            if (s != null) {
                s.close("route closed");
            }
        }
    }
}

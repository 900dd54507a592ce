package dev.relay.outer;

import dev.relay.admin.UdpStats;
import dev.relay.config.Route;
import dev.relay.net.Sockets;
import dev.relay.session.DatagramQueue;
import dev.relay.session.DatagramSession;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * One user address on a UDP route, on the outer: the queue of its datagrams, bounded, from the route's receive loop
 * to the flow's writer thread, and the way back to the user from the route's port. It exists from the user's first
 * datagram; once the inner's data connection arrives, a {@link DatagramSession} carries it, and owns the data
 * connection. The route's socket belongs to the {@link UdpListener}; the flow only sends from it.
 */
final class UdpFlow implements DatagramSession.End {
    /**
     * Datagrams waiting for the data connection, at most: enough to ride out a burst while the flow opens or the
     * connection is briefly slower than the user, few enough that a thousand flows hold little.
     */
    static final int QUEUE_DATAGRAMS = 64;
    /** Bytes waiting, at most, per flow: two datagrams of the largest size, or the whole queue of typical ones. */
    static final int QUEUE_BYTES = 128 * 1024;

    private final String id;
    private final Route route;
    private final InetSocketAddress user;
    private final UdpListener listener;
    private final UdpStats stats;
    private final long acceptedNanos = System.nanoTime();
    private final DatagramQueue queue = new DatagramQueue(QUEUE_DATAGRAMS, QUEUE_BYTES);
    /** Set once the data connection is paired; null while the flow waits for the inner. */
    private volatile DatagramSession session;

    UdpFlow(String id, Route route, InetSocketAddress user, UdpListener listener, UdpStats stats) {
        this.id = id;
        this.route = route;
        this.user = user;
        this.listener = listener;
        this.stats = stats;
    }

    String id() {
        return id;
    }

    /** The route as it was at the flow's first datagram; the flow keeps it for life. */
    Route route() {
        return route;
    }

    InetSocketAddress user() {
        return user;
    }

    long acceptedNanos() {
        return acceptedNanos;
    }

    String describe() {
        return Sockets.describe(user);
    }

    UdpListener listener() {
        return listener;
    }

    /** A datagram from the user, on the route's receive loop: queued, or dropped and counted; never waits. */
    void offer(byte[] datagram) {
        if (!queue.offer(datagram)) {
            stats.dropped(queue.isClosed() ? UdpStats.Drop.NO_FLOW : UdpStats.Drop.QUEUE_FULL);
        }
    }

    void started(DatagramSession s) {
        session = s;
    }

    DatagramSession session() {
        return session;
    }

    /** The flow never got a data connection: what it queued is dropped and counted. */
    void failed() {
        dropLeft();
    }

    @Override
    public byte[] receive() throws InterruptedException {
        return queue.take();
    }

    @Override
    public boolean hasMore() {
        return !queue.isEmpty();
    }

    @Override
    public void send(byte[] datagram) throws IOException {
        listener.send(datagram, user);
    }

    /** Called by the flow's DatagramSession, once, as it ends. */
    @Override
    public void close() {
        dropLeft();
    }

    private void dropLeft() {
        for (int left = queue.close(); left > 0; left--) {
            stats.dropped(UdpStats.Drop.NO_FLOW);
        }
    }
}

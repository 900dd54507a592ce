package dev.relay.outer;

import dev.relay.net.Sockets;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A user's connection to a route: its socket, who the user is (the socket's peer, or the client a trusted load
 * balancer named in a PROXY header), the route address the user reached, and when the outer accepted it.
 */
record User(Socket socket, InetSocketAddress address, InetSocketAddress local, long acceptedNanos) {

    /** A user who connected directly: the socket's own endpoints. */
    static User direct(Socket socket) {
        return new User(
                socket,
                (InetSocketAddress) socket.getRemoteSocketAddress(),
                (InetSocketAddress) socket.getLocalSocketAddress(),
                System.nanoTime());
    }

    /** {@code ip:port}, with brackets for IPv6, for log lines. */
    String describe() {
        return Sockets.describe(address);
    }

    void close() {
        Sockets.closeQuietly(socket);
    }
}

package dev.relay.net;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;

/** Socket options every relay socket gets, and closing that never throws. */
public final class Sockets {
    private Sockets() {}

    /**
     * TCP_NODELAY because relay forwards whatever it reads at once and interactive sessions must not wait for
     * Nagle; SO_KEEPALIVE so a peer that vanished without a FIN is eventually noticed even on an idle session.
     */
    public static Socket tune(Socket s) throws SocketException {
        s.setTcpNoDelay(true);
        s.setKeepAlive(true);
        return s;
    }

    /** Closes, ignoring failure: used only where the caller owns the socket and is already giving up on it. */
    public static void closeQuietly(Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException ignored) {
            // Nothing more can be done with a socket whose close failed.
        }
    }

    /** The peer address of a socket as {@code host:port}, for logs. */
    public static String peer(Socket s) {
        return s.getRemoteSocketAddress() instanceof InetSocketAddress i ? describe(i) : "?";
    }

    /** An address as {@code host:port}, with brackets for IPv6, for logs. */
    public static String describe(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}

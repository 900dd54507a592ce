package dev.relay.net;

import java.io.Closeable;
import java.io.IOException;
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
        var a = s.getRemoteSocketAddress();
        if (a instanceof java.net.InetSocketAddress i) {
            String host = i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return String.valueOf(a);
    }
}

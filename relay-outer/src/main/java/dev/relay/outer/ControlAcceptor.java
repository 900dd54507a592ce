package dev.relay.outer;

import dev.relay.net.Sockets;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts connections on the control port, on the {@code control-acceptor} thread; the outer authenticates each on a
 * thread of its own ({@code handshake-<peer>}) so a slow peer never holds up the next.
 */
final class ControlAcceptor {
    private static final Logger LOG = LoggerFactory.getLogger(ControlAcceptor.class);

    private final Outer outer;
    private final ServerSocket server;

    ControlAcceptor(Outer outer, ServerSocket server) {
        this.outer = outer;
        this.server = server;
    }

    int port() {
        return server.getLocalPort();
    }

    void run() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.warn("control port accept failed: {}", e.getMessage());
                    Outer.pauseAfterAcceptFailure();
                }
                continue;
            }
            try {
                outer.accepted(s);
            } catch (RuntimeException e) {
                // A bug costs this one connection, never the control port.
                LOG.error("bug: could not take a control connection", e);
                Sockets.closeQuietly(s);
            }
        }
    }

    void close() {
        Sockets.closeQuietly(server);
    }
}

package dev.relay.outer;

import dev.relay.net.LogLimiter;
import dev.relay.net.Sockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts connections on one listening socket and hands each to {@code take}; runs on its own thread
 * ({@code control-acceptor}, {@code route-<name>}). Only closing the socket ends it: a failed accept or a bug in
 * handling one connection costs that connection, never the port.
 */
final class Acceptor {
    private static final Logger LOG = LoggerFactory.getLogger(Acceptor.class);

    /** Connections the kernel queues on a listening port before relay accepts them: enough for a burst of users. */
    static final int ACCEPT_BACKLOG = 1024;

    private final String what;
    private final ServerSocket server;
    private final Consumer<Socket> take;
    /** Out of descriptors, accept fails every pause: one line a second says so, with a count. */
    private final LogLimiter failures = new LogLimiter(Duration.ofSeconds(1), "failed");
    /** The thread in {@link #run}, or null when it has not started or has left. */
    private volatile Thread runner;

    private final CountDownLatch left = new CountDownLatch(1);
    /**
     * How long {@link #close} waits for {@link #run} to leave accept(). A virtual thread parked in accept() releases
     * the listening socket only when it runs again, and until then the kernel still completes connections to the port.
     */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    /** @param what names the port in log lines, e.g. {@code control port} or {@code route=ssh} */
    Acceptor(String what, ServerSocket server, Consumer<Socket> take) {
        this.what = what;
        this.server = server;
        this.take = take;
    }

    int port() {
        return server.getLocalPort();
    }

    void run() {
        runner = Thread.currentThread();
        try {
            accept();
        } finally {
            runner = null;
            left.countDown();
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    // Typically EMFILE: too many open files. Keep serving; the next accept may succeed.
                    failures.event(more -> LOG.warn("{} accept failed: {}{}", what, e.getMessage(), more));
                    pause();
                }
                continue;
            }
            if (server.isClosed()) {
                // Queued in the kernel before the close took effect: the port is gone, and so is this connection.
                Sockets.closeQuietly(s);
                break;
            }
            try {
                take.accept(s);
            } catch (RuntimeException e) {
                LOG.error("bug: {} could not take a connection", what, e);
                Sockets.closeQuietly(s);
            }
        }
    }

    boolean isOpen() {
        return !server.isClosed();
    }

    /**
     * Closes the listening socket and waits (briefly) until the port is really closed, so that whoever closed it, a
     * reload removing a route say, can rely on the port refusing connections once this returns.
     */
    void close() {
        Sockets.closeQuietly(server);
        Thread t = runner;
        if (t != null && t != Thread.currentThread()) {
            try {
                left.await(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void pause() {
        // Out of descriptors, most likely: give sessions a moment to end rather than spin on accept.
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A listening socket on {@code at}; the exception names {@code what} and the address when it cannot be. */
    static ServerSocket bind(String what, InetSocketAddress at) throws IOException {
        if (at.isUnresolved()) {
            throw new IOException(
                    what + ": cannot listen on " + at.getHostString() + ":" + at.getPort() + ": unknown host");
        }
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(at, ACCEPT_BACKLOG);
        } catch (IOException e) {
            Sockets.closeQuietly(s);
            throw new IOException(
                    what + ": cannot listen on " + at.getHostString() + ":" + at.getPort() + ": " + e.getMessage(), e);
        }
        return s;
    }
}

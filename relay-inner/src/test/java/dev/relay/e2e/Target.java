package dev.relay.e2e;

import dev.relay.net.Sockets;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** A private-side service for tests: a loopback server on an ephemeral port that runs {@code handler} per connection. */
final class Target implements AutoCloseable {
    interface Handler {
        void serve(Socket s) throws IOException;
    }

    private static final Handler ECHO = s -> {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        in.transferTo(out);
        s.shutdownOutput();
    };

    private final ServerSocket server;
    private final Handler handler;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Counted down when the target may accept; at once unless it is {@link #heldEcho() held}. */
    private final CountDownLatch gate;
    /** The held target's own connections that fill its accept queue. */
    private final List<Socket> fillers = new CopyOnWriteArrayList<>();

    final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    private Target(Handler handler, int backlog, boolean held) throws IOException {
        this.server = new ServerSocket(0, backlog, InetAddress.getLoopbackAddress());
        this.handler = handler;
        this.gate = new CountDownLatch(held ? 1 : 0);
        this.acceptor = Thread.ofVirtual().name("target-acceptor").start(this::acceptLoop);
    }

    static Target start(Handler handler) throws IOException {
        return new Target(handler, 1024, false);
    }

    /** Echoes everything, and half-closes its side when the client half-closes. */
    static Target echo() throws IOException {
        return start(ECHO);
    }

    /**
     * An echo target that completes no TCP connect until {@link #release()}: it listens with a backlog of 1, accepts
     * nothing, and fills its accept queue with connections of its own, so the kernel drops every further SYN and a
     * connect to it waits (the client's TCP sends the SYN again about a second later). The fillers count in
     * {@link #accepted} once released.
     */
    static Target heldEcho() throws IOException {
        Target t = new Target(ECHO, 1, true);
        try {
            t.fillAcceptQueue();
        } catch (IOException | RuntimeException | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** Connects until a connect times out: then the accept queue is full, and the probe that timed out is gone. */
    private void fillAcceptQueue() throws IOException {
        for (int i = 0; i < 8; i++) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port()), 200);
            } catch (SocketTimeoutException full) {
                s.close();
                return;
            }
            fillers.add(s);
        }
        throw new AssertionError("8 connects to a backlog of 1 completed with nothing accepted: cannot hold a target");
    }

    /** Lets a {@link #heldEcho() held} target accept: its own fillers, then each connect as its SYN is sent again. */
    void release() {
        fillers.forEach(Sockets::closeQuietly);
        gate.countDown();
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    private void acceptLoop() {
        try {
            gate.await();
        } catch (InterruptedException e) {
            return;
        }
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                if (server.isClosed()) {
                    // Queued before the close took effect: a closed target serves nobody.
                    Sockets.closeQuietly(s);
                    return;
                }
                accepted.incrementAndGet();
                open.add(s);
                Thread.ofVirtual().name("target-conn").start(() -> {
                    try {
                        handler.serve(s);
                    } catch (IOException e) {
                        // The test decides what a broken connection means.
                    } finally {
                        open.remove(s);
                        Sockets.closeQuietly(s);
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        Sockets.closeQuietly(server);
        gate.countDown();
        // A virtual thread parked in accept() releases the port only when it runs again; until then the kernel still
        // completes connections to it, and a test that closed its target would reach it anyway.
        try {
            acceptor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fillers.forEach(Sockets::closeQuietly);
        open.forEach(Sockets::closeQuietly);
    }
}

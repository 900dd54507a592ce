package dev.relay.e2e;

import dev.relay.net.Sockets;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A private-side service for tests: a loopback server on an ephemeral port that runs {@code handler} per connection. */
final class Target implements AutoCloseable {
    interface Handler {
        void serve(Socket s) throws IOException;
    }

    private final ServerSocket server;
    private final Handler handler;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    final AtomicInteger accepted = new AtomicInteger();

    private Target(Handler handler) throws IOException {
        this.server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        this.handler = handler;
        Thread.ofVirtual().name("target-acceptor").start(this::acceptLoop);
    }

    static Target start(Handler handler) throws IOException {
        return new Target(handler);
    }

    /** Echoes everything, and half-closes its side when the client half-closes. */
    static Target echo() throws IOException {
        return start(s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            in.transferTo(out);
            s.shutdownOutput();
        });
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
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
        open.forEach(Sockets::closeQuietly);
    }
}

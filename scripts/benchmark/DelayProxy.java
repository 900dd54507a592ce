package benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A link with a fixed one-way delay: accepts on an ephemeral loopback port, connects to {@code upstream}, and forwards
 * each chunk, in each direction and in order, {@code delay} after it was read. No chunk leaves before the TCP handshake
 * a real link would need has completed (one round trip, 2 × delay, after accept), so a direct connection across it
 * costs two round trips before its first byte returns, as on a real link. Per direction a {@code <name>-read} thread
 * stamps chunks and a {@code <name>-write} thread releases them when due.
 */
final class DelayProxy implements AutoCloseable {
    private static final byte[] EOF = new byte[0];
    private static final byte[] FAILED = new byte[0];
    /** The upstream is on loopback: it answers at once or not at all. */
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final ServerSocket server = Net.listen();
    private final String name;
    private final int upstream;
    private final long delay;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    /** Bytes read from one side, and when the other side may have them. */
    record Chunk(byte[] data, long dueNanos) {}

    DelayProxy(String name, int upstream, Duration delay) {
        this.name = name;
        this.upstream = upstream;
        this.delay = delay.toNanos();
        Thread.ofVirtual().name(name + "-accept").start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket down;
            try {
                down = server.accept();
            } catch (IOException closed) {
                return;
            }
            long accepted = System.nanoTime();
            open.add(down);
            Thread.ofVirtual().name(name + "-connect").start(() -> {
                Socket up = new Socket();
                open.add(up);
                try {
                    down.setTcpNoDelay(true);
                    up.setTcpNoDelay(true);
                    up.connect(new InetSocketAddress(Net.LOOPBACK, upstream), CONNECT_TIMEOUT_MILLIS);
                } catch (IOException e) {
                    closeBoth(down, up);
                    return;
                }
                pipe(down, up, accepted);
                pipe(up, down, accepted);
            });
        }
    }

    private void pipe(Socket from, Socket to, long accepted) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        long handshakeDone = accepted + 2 * delay;
        Thread.ofVirtual().name(name + "-read").start(() -> read(from, queue, handshakeDone));
        Thread.ofVirtual().name(name + "-write").start(() -> write(from, to, queue));
    }

    private void read(Socket from, BlockingQueue<Chunk> queue, long handshakeDone) {
        byte[] buf = new byte[Targets.CHUNK];
        try {
            InputStream in = from.getInputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                long sent = Math.max(System.nanoTime(), handshakeDone);
                queue.add(new Chunk(Arrays.copyOf(buf, n), sent + delay));
            }
            queue.add(new Chunk(EOF, Math.max(System.nanoTime(), handshakeDone) + delay));
        } catch (IOException e) {
            queue.add(new Chunk(FAILED, System.nanoTime()));
        }
    }

    private void write(Socket from, Socket to, BlockingQueue<Chunk> queue) {
        try {
            OutputStream out = to.getOutputStream();
            while (true) {
                Chunk c = queue.take();
                for (long wait; (wait = c.dueNanos() - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                if (c.data() == FAILED) {
                    closeBoth(from, to);
                    return;
                }
                if (c.data() == EOF) {
                    to.shutdownOutput();
                    if (from.isOutputShutdown()) {
                        closeBoth(from, to);
                    }
                    return;
                }
                out.write(c.data());
            }
        } catch (IOException | InterruptedException e) {
            closeBoth(from, to);
        }
    }

    private void closeBoth(Socket a, Socket b) {
        Net.closeQuietly(a);
        Net.closeQuietly(b);
        open.remove(a);
        open.remove(b);
    }

    @Override
    public void close() {
        Net.closeQuietly(server);
        open.forEach(Net::closeQuietly);
    }
}

package benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Echo, sink and source servers on ephemeral loopback ports, in the bench's own process. Each accept loop runs on a
 * virtual thread named after its server, and each connection on a virtual thread of its own; {@link #close} closes the
 * listeners and every connection still open.
 */
final class Targets implements AutoCloseable {
    /** Write size for the bulk tests, and the sink's and source's read and write size. */
    static final int CHUNK = 64 * 1024;
    /** Small, because 5,000 idle echo connections live in this process too. */
    static final int ECHO_BUFFER = 4096;

    private static final long POLL_MILLIS = 20;

    final ServerSocket echo = Net.listen();
    final ServerSocket sink = Net.listen();
    final ServerSocket source = Net.listen();
    final DatagramSocket udpEcho = Net.bindUdp();
    /** Bytes the sink has read, over all its connections. */
    final LongAdder sunk = new LongAdder();

    final AtomicInteger echoActive = new AtomicInteger();
    final AtomicInteger sinkActive = new AtomicInteger();
    final AtomicInteger sourceActive = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    Targets() {
        serve("echo", echo, echoActive, Targets::echo);
        serve("sink", sink, sinkActive, this::sink);
        serve("source", source, sourceActive, Targets::source);
        Thread.ofVirtual().name("udp-echo").start(this::udpEcho);
    }

    Endpoints ports() {
        return new Endpoints(echo.getLocalPort(), sink.getLocalPort(), source.getLocalPort(), udpEcho.getLocalPort());
    }

    /** Waits until {@code active} connections of a target are gone, or the timeout. */
    static void awaitIdle(AtomicInteger active, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (active.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** What a target does with one connection. */
    interface Handler {
        void handle(Socket s) throws IOException;
    }

    private void serve(String name, ServerSocket server, AtomicInteger active, Handler h) {
        Thread.ofVirtual().name(name + "-accept").start(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException closed) {
                    return;
                }
                active.incrementAndGet();
                open.add(s);
                Thread.ofVirtual().name(name + "-conn").start(() -> {
                    try (s) {
                        s.setTcpNoDelay(true);
                        h.handle(s);
                    } catch (IOException peerGone) {
                        // Clients end bulk streams by closing; nothing to report.
                    } finally {
                        open.remove(s);
                        active.decrementAndGet();
                    }
                });
            }
        });
    }

    private static void echo(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[ECHO_BUFFER];
        for (int n; (n = in.read(buf)) >= 0; ) {
            out.write(buf, 0, n);
        }
    }

    private void sink(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[CHUNK];
        for (int n; (n = in.read(buf)) >= 0; ) {
            sunk.add(n);
        }
    }

    private static void source(Socket s) throws IOException {
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[CHUNK];
        while (true) {
            out.write(buf);
        }
    }

    /** Sends every datagram back to where it came from, on one thread for all flows, as a small UDP server would. */
    private void udpEcho() {
        DatagramPacket p = new DatagramPacket(new byte[UdpSection.MAX_DATAGRAM], UdpSection.MAX_DATAGRAM);
        while (!udpEcho.isClosed()) {
            try {
                p.setLength(UdpSection.MAX_DATAGRAM);
                udpEcho.receive(p);
                udpEcho.send(p);
            } catch (IOException closedOrRefused) {
                // Closed at the end of the run; a refused reply (ICMP) only loses that datagram, as UDP does.
            }
        }
    }

    @Override
    public void close() {
        udpEcho.close();
        Net.closeQuietly(echo);
        Net.closeQuietly(sink);
        Net.closeQuietly(source);
        open.forEach(Net::closeQuietly);
    }
}

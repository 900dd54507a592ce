package dev.relay.e2e;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/** A private-side UDP service for tests, on a loopback ephemeral port: answers each datagram with {@code reply}. */
final class UdpTarget implements AutoCloseable {
    interface Reply {
        /** The answer to {@code length} bytes of {@code in}, or null for none. */
        byte[] to(byte[] in, int length);
    }

    private final DatagramSocket socket;
    private final Thread thread;
    final AtomicInteger received = new AtomicInteger();

    private UdpTarget(Reply reply) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        // Room for a burst from a thousand flows at once, where the kernel allows it.
        socket.setReceiveBufferSize(4 << 20);
        thread = Thread.ofVirtual().name("udp-target").start(() -> serve(reply));
    }

    /** Sends every datagram back to where it came from, unchanged. */
    static UdpTarget echo() throws IOException {
        return new UdpTarget((in, n) -> java.util.Arrays.copyOf(in, n));
    }

    /** Reads every datagram and answers none. */
    static UdpTarget silent() throws IOException {
        return new UdpTarget((in, n) -> null);
    }

    static UdpTarget answering(Reply reply) throws IOException {
        return new UdpTarget(reply);
    }

    int port() {
        return socket.getLocalPort();
    }

    private void serve(Reply reply) {
        byte[] buf = new byte[65_535];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!socket.isClosed()) {
            try {
                p.setLength(buf.length);
                socket.receive(p);
                received.incrementAndGet();
                byte[] out = reply.to(buf, p.getLength());
                if (out != null) {
                    socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                }
            } catch (IOException e) {
                // Closed: the loop ends.
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join();
    }
}

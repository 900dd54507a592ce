package benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Set;

/** Sockets as the bench uses them: everything on 127.0.0.1, on ephemeral ports. */
final class Net {
    static final InetAddress LOOPBACK = loopback();
    /** A deep backlog so bursts of opens queue instead of dropping SYNs. */
    static final int BACKLOG = 4096;
    /** Long enough for a connect queued behind thousands of others on a busy machine. */
    static final int CONNECT_TIMEOUT_MILLIS = 30_000;

    /** Asked of the kernel, which caps it at net.core.rmem_max / wmem_max. */
    static final int UDP_BUFFER = 4 * 1024 * 1024;

    private Net() {}

    static ServerSocket listen() {
        try {
            return new ServerSocket(0, BACKLOG, LOOPBACK);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A UDP socket on an ephemeral loopback port, with room to queue a burst of datagrams. */
    static DatagramSocket bindUdp() {
        try {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
            s.setReceiveBufferSize(UDP_BUFFER);
            s.setSendBufferSize(UDP_BUFFER);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Ports handed out so far. The kernel may give the same ephemeral port to two binds in a row once the first is
     * closed: one run had relay's echo and sink routes on one port, and the outer refused its config.
     */
    private static final Set<Integer> ISSUED = new HashSet<>();

    /** An ephemeral port that was free a moment ago and not handed out before, for a child's config (it binds it next). */
    static int freePort() throws IOException {
        return unissued(() -> {
            try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
                return s.getLocalPort();
            }
        });
    }

    /** A UDP port that was free a moment ago and not handed out before. */
    static int freeUdpPort() throws IOException {
        return unissued(() -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                return s.getLocalPort();
            }
        });
    }

    /** A port that a bind and close of {@code ephemeral} got, asked again until it is one not handed out before. */
    private static synchronized int unissued(Ephemeral ephemeral) throws IOException {
        while (true) {
            int port = ephemeral.bindAndClose();
            if (ISSUED.add(port)) {
                return port;
            }
        }
    }

    /** Binds a socket to an ephemeral loopback port and closes it: the port the kernel chose. */
    private interface Ephemeral {
        int bindAndClose() throws IOException;
    }

    /** Such ports for a child that listens for the echo, sink, source and UDP echo routes. */
    static Endpoints freePorts() throws IOException {
        return new Endpoints(freePort(), freePort(), freePort(), freeUdpPort());
    }

    static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(LOOPBACK, port), CONNECT_TIMEOUT_MILLIS);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // Nothing more can be done with it, and closing the rest matters more.
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}

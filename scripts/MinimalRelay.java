import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The floor `make bench` holds relay against: the least a relay hop in relay's design can be. Each argument
 * {@code LISTEN:TARGET} is a pair of ports on 127.0.0.1; each connection to LISTEN gets a new connection to TARGET and
 * two virtual threads copying with blocking I/O through 64 KiB buffers, with half-close. No authentication, no control
 * channel, no pool, no limits, no logging: not a product, a measurement. The bench chains two of these processes, as
 * relay chains an outer and an inner, and measures them in the same run as direct and relay.
 *
 * <p>UDP the same way: {@code u2t:LISTEN:NEXT} takes datagrams on UDP port LISTEN and carries each source address's
 * over a TCP connection of its own to NEXT, as two-byte length frames, written by the receive loop itself (relay
 * queues them for a writer thread, so that one slow flow cannot hold up the others); {@code t2u:LISTEN:TARGET} gives
 * each TCP connection on LISTEN a UDP socket connected to TARGET. Replies take the way back on a thread per flow.
 */
public class MinimalRelay {
    public static void main(String[] args) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (String pair : args) {
            String[] p = pair.split(":");
            if (p[0].equals("u2t")) {
                DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, Integer.parseInt(p[1])));
                InetSocketAddress next = new InetSocketAddress(loopback, Integer.parseInt(p[2]));
                Thread.ofVirtual().start(() -> udpIn(udp, next));
                continue;
            }
            if (p[0].equals("t2u")) {
                ServerSocket server = new ServerSocket(Integer.parseInt(p[1]), 1024, loopback);
                InetSocketAddress target = new InetSocketAddress(loopback, Integer.parseInt(p[2]));
                Thread.ofVirtual().start(() -> acceptUdpFlows(server, target));
                continue;
            }
            ServerSocket server = new ServerSocket(Integer.parseInt(p[0]), 1024, loopback);
            InetSocketAddress target = new InetSocketAddress(loopback, Integer.parseInt(p[1]));
            Thread.ofVirtual().start(() -> accept(server, target));
        }
        System.out.println("minimal relay: listening");
        // Virtual threads do not keep the JVM alive: the main thread waits for the SIGTERM that ends the bench.
        Thread.currentThread().join();
    }

    static void accept(ServerSocket server, InetSocketAddress target) {
        while (true) {
            try {
                Socket client = server.accept();
                Thread.ofVirtual().start(() -> serve(client, target));
            } catch (IOException e) {
                return;
            }
        }
    }

    static void serve(Socket client, InetSocketAddress target) {
        Socket server = new Socket();
        try {
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
            server.connect(target);
        } catch (IOException e) {
            close(client, server);
            return;
        }
        Thread up = Thread.ofVirtual().start(() -> copy(client, server));
        copy(server, client);
        try {
            up.join();
        } catch (InterruptedException ignored) {
            // Nothing interrupts this thread.
        }
        close(client, server);
    }

    static void copy(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            close(from, to);
        }
    }

    static void close(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            try {
                s.close();
            } catch (IOException ignored) {
                // Closing is all that is left to do.
            }
        }
    }

    static final int FRAME_BUFFER = 16 * 1024;
    static final int MAX_DATAGRAM = 65_535;

    static void udpIn(DatagramSocket udp, InetSocketAddress next) {
        Map<SocketAddress, DataOutputStream> flows = new HashMap<>();
        byte[] buf = new byte[MAX_DATAGRAM];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (true) {
            try {
                p.setLength(buf.length);
                udp.receive(p);
                SocketAddress user = p.getSocketAddress();
                DataOutputStream out = flows.get(user);
                if (out == null) {
                    Socket link = new Socket();
                    link.setTcpNoDelay(true);
                    link.connect(next);
                    out = new DataOutputStream(new BufferedOutputStream(link.getOutputStream(), FRAME_BUFFER));
                    flows.put(user, out);
                    Thread.ofVirtual().start(() -> framesToUdp(link, udp, user));
                }
                out.writeShort(p.getLength());
                out.write(buf, 0, p.getLength());
                out.flush();
            } catch (IOException e) {
                return;
            }
        }
    }

    static void acceptUdpFlows(ServerSocket server, InetSocketAddress target) {
        while (true) {
            try {
                Socket link = server.accept();
                link.setTcpNoDelay(true);
                DatagramSocket udp = new DatagramSocket();
                udp.connect(target);
                Thread.ofVirtual().start(() -> udpToFrames(udp, link));
                Thread.ofVirtual().start(() -> framesToUdp(link, udp, target));
            } catch (IOException e) {
                return;
            }
        }
    }

    static void framesToUdp(Socket link, DatagramSocket udp, SocketAddress to) {
        byte[] buf = new byte[MAX_DATAGRAM];
        try {
            DataInputStream in = new DataInputStream(new BufferedInputStream(link.getInputStream(), FRAME_BUFFER));
            while (true) {
                int n = in.readUnsignedShort();
                in.readFully(buf, 0, n);
                udp.send(new DatagramPacket(buf, n, to));
            }
        } catch (IOException e) {
            close(link, link);
        }
    }

    static void udpToFrames(DatagramSocket udp, Socket link) {
        byte[] buf = new byte[MAX_DATAGRAM];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(link.getOutputStream(), FRAME_BUFFER));
            while (true) {
                p.setLength(buf.length);
                udp.receive(p);
                out.writeShort(p.getLength());
                out.write(buf, 0, p.getLength());
                out.flush();
            }
        } catch (IOException e) {
            udp.close();
            close(link, link);
        }
    }
}

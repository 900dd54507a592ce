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
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The floor `make bench` holds relay against: the least a relay hop in relay's design can be. Each argument
 * {@code LISTEN:TARGET} is a pair of ports on 127.0.0.1; each connection to LISTEN gets a new connection to TARGET and
 * two virtual threads copying with blocking I/O through a 512-byte buffer each, and 64 KiB ones lent only while more
 * is waiting, with half-close. No authentication, no control channel, no pool, no limits, no logging: not a product,
 * a measurement. The bench chains two of these processes, as relay chains an outer and an inner, and measures them in
 * the same run as direct and relay.
 *
 * <p>UDP the same way: {@code u2t:LISTEN:NEXT} takes datagrams on UDP port LISTEN and carries each source address's
 * over a TCP connection of its own to NEXT, as two-byte length frames, written by the receive loop itself (relay
 * queues them for a writer thread, so that one slow flow cannot hold up the others); {@code t2u:LISTEN:TARGET} gives
 * each TCP connection on LISTEN a UDP socket connected to TARGET. Replies take the way back on a thread per flow.
 *
 * <p>TLS, the floor for relay with TLS on: {@code tls-out:LISTEN:TARGET} wraps each connection it makes to TARGET in
 * TLS 1.3, and {@code tls-in:LISTEN:TARGET} accepts TLS 1.3 on LISTEN with the certificate and key (PEM, as relay's
 * {@code --gen-cert} writes them) named by {@code cert=PATH} and {@code key=PATH}. A handshake per connection, with
 * the JDK's own JSSE and its defaults: one context per hop, so later ones resume the first's session where the JDK
 * can, as relay's data connections do. Here the hop near the user is the TLS client,
 * where relay's inner dials the outer; a handshake costs the two ends together about the same either way round. The
 * client checks nothing of the certificate: relay's pin is one SHA-256 of it.
 */
public class MinimalRelay {
    public static void main(String[] args) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        String cert = null;
        String key = null;
        for (String a : args) {
            if (a.startsWith("cert=")) {
                cert = a.substring("cert=".length());
            } else if (a.startsWith("key=")) {
                key = a.substring("key=".length());
            }
        }
        for (String pair : args) {
            if (pair.startsWith("cert=") || pair.startsWith("key=")) {
                continue;
            }
            String[] p = pair.split(":");
            if (p[0].equals("tls-out") || p[0].equals("tls-in")) {
                ServerSocket server = new ServerSocket(Integer.parseInt(p[1]), 1024, loopback);
                InetSocketAddress target = new InetSocketAddress(loopback, Integer.parseInt(p[2]));
                SSLSocketFactory tls = p[0].equals("tls-out") ? clientTls() : serverTls(cert, key);
                boolean out = p[0].equals("tls-out");
                Thread.ofVirtual().start(() -> accept(server, target, tls, out));
                continue;
            }
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
            Thread.ofVirtual().start(() -> accept(server, target, null, false));
        }
        System.out.println("minimal relay: listening");
        // Virtual threads do not keep the JVM alive: the main thread waits for the SIGTERM that ends the bench.
        Thread.currentThread().join();
    }

    /** {@code tls} null for plain; otherwise it wraps the connection made ({@code out}) or the one accepted. */
    static void accept(ServerSocket server, InetSocketAddress target, SSLSocketFactory tls, boolean out) {
        while (true) {
            try {
                Socket client = server.accept();
                Thread.ofVirtual().start(() -> serve(client, target, tls, out));
            } catch (IOException e) {
                return;
            }
        }
    }

    static void serve(Socket accepted, InetSocketAddress target, SSLSocketFactory tls, boolean out) {
        Socket client = accepted;
        Socket server = new Socket();
        try {
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
            if (tls != null && !out) {
                SSLSocket s = (SSLSocket) tls.createSocket(client, null, client.getPort(), true);
                client = s;
                s.setUseClientMode(false);
                handshake(s);
            }
            server.connect(target);
            if (tls != null && out) {
                SSLSocket s = (SSLSocket) tls.createSocket(server, target.getHostString(), target.getPort(), true);
                server = s;
                handshake(s);
            }
        } catch (IOException e) {
            close(client, server);
            return;
        }
        Socket c = client;
        Socket t = server;
        serve(c, t);
    }

    static void serve(Socket client, Socket server) {
        Thread up = Thread.ofVirtual().start(() -> copy(client, server));
        copy(server, client);
        try {
            up.join();
        } catch (InterruptedException ignored) {
            // Nothing interrupts this thread.
        }
        close(client, server);
    }

    /** A handshake that has not finished in this long is given up, as the bench's users give up on the session. */
    static final int HANDSHAKE_MILLIS = 15_000;

    static void handshake(SSLSocket s) throws IOException {
        s.setSoTimeout(HANDSHAKE_MILLIS);
        s.startHandshake();
        s.setSoTimeout(0);
    }

    static SSLSocketFactory clientTls() throws Exception {
        TrustManager any = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, new TrustManager[] {any}, null);
        return ctx.getSocketFactory();
    }

    static SSLSocketFactory serverTls(String certFile, String keyFile) throws Exception {
        if (certFile == null || keyFile == null) {
            throw new IllegalArgumentException("tls-in needs cert=PATH and key=PATH");
        }
        Certificate cert;
        try (InputStream in = Files.newInputStream(Path.of(certFile))) {
            cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        String pem = Files.readString(Path.of(keyFile))
                .replaceAll("-----[A-Z ]+-----", "")
                .replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance(cert.getPublicKey().getAlgorithm())
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("minimal", key, new char[0], new Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx.getSocketFactory();
    }

    /**
     * Copies until end of stream, then half-closes. Like relay, a direction parked in its read holds only a 512-byte
     * buffer, in which a small message costs one read; a full one means more may be waiting, and a 64 KiB buffer is
     * borrowed while bytes are, so thousands of quiet sessions cost no 64 KiB each.
     */
    static void copy(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] small = new byte[SMALL];
            for (int n; (n = in.read(small, 0, SMALL)) >= 0; ) {
                if (n < SMALL) {
                    out.write(small, 0, n);
                    continue;
                }
                byte[] buf = FREE.poll();
                buf = buf != null ? buf : new byte[BUFFER];
                try {
                    System.arraycopy(small, 0, buf, 0, n);
                    for (n += waiting(in, buf, n); n > 0; n = waiting(in, buf, 0)) {
                        out.write(buf, 0, n);
                    }
                } finally {
                    FREE.offer(buf);
                }
            }
            to.shutdownOutput();
        } catch (IOException e) {
            close(from, to);
        }
    }

    static final int SMALL = 512;
    static final int BUFFER = 64 * 1024;
    static final ArrayBlockingQueue<byte[]> FREE = new ArrayBlockingQueue<>(64);

    static int waiting(InputStream in, byte[] buf, int off) throws IOException {
        int n = in.available();
        return n <= 0 ? 0 : Math.max(0, in.read(buf, off, Math.min(n, buf.length - off)));
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

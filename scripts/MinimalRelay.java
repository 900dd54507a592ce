import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The floor `make bench` holds relay against: the least a relay hop in relay's design can be. Each argument
 * {@code LISTEN:TARGET} is a pair of ports on 127.0.0.1; each connection to LISTEN gets a new connection to TARGET and
 * two virtual threads copying with blocking I/O through 64 KiB buffers, with half-close. No authentication, no control
 * channel, no pool, no limits, no logging: not a product, a measurement. The bench chains two of these processes, as
 * relay chains an outer and an inner, and measures them in the same run as direct and relay.
 */
public class MinimalRelay {
    public static void main(String[] args) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (String pair : args) {
            String[] p = pair.split(":");
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
}

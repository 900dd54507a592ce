package benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scale section's users, in a child process of their own: the bench process already holds the echo target's side
 * of every session, and both sides would not fit in one process's open files. Run as {@code java -cp <bench classes>
 * benchmark.ScaleClients N PORT...}; session i goes to PORT[i % ports]. Steps on commands read from stdin, one line
 * each, answering on stdout:
 *
 * <ul>
 *   <li>at start: opens all, each echoing a payload of its own → {@code opened OK BYTES}
 *   <li>{@code again}: a second payload of its own on each, all still open → {@code again OK BYTES}
 *   <li>{@code close}: closes every socket → {@code closed}
 * </ul>
 *
 * OK counts the sessions whose every byte came back as sent, BYTES the bytes so verified.
 */
public final class ScaleClients {
    static final int PAYLOAD = 64;
    /** Opens in flight at once: a steady stream well inside relay's open timeout on a busy machine. */
    static final int PARALLEL = 256;

    private final Socket[] sockets;
    private final boolean[] ok;
    private final int[] ports;
    private final SecureRandom random = new SecureRandom();
    private final AtomicLong verified = new AtomicLong();

    private ScaleClients(int n, int[] ports) {
        this.sockets = new Socket[n];
        this.ok = new boolean[n];
        this.ports = ports;
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int[] ports = new int[args.length - 1];
        for (int i = 1; i < args.length; i++) {
            ports[i - 1] = Integer.parseInt(args[i]);
        }
        ScaleClients c = new ScaleClients(n, ports);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("opened " + c.step(0) + " " + c.verified.get());
        System.out.flush();
        for (String line; (line = in.readLine()) != null; ) {
            switch (line.trim()) {
                case "again" -> {
                    long before = c.verified.get();
                    System.out.println("again " + c.step(1) + " " + (c.verified.get() - before));
                }
                case "close" -> {
                    for (Socket s : c.sockets) {
                        Net.closeQuietly(s);
                    }
                    System.out.println("closed");
                }
                default -> System.out.println("unknown " + line);
            }
            System.out.flush();
        }
        System.exit(0);
    }

    /** Step 0 opens each session, any step sends each a payload of its own; returns the sessions still intact. */
    private int step(int step) throws InterruptedException {
        Clients.forEach(sockets.length, PARALLEL, i -> {
            if (step > 0 && !ok[i]) {
                return;
            }
            try {
                if (step == 0) {
                    Socket s = new Socket();
                    sockets[i] = s;
                    s.setTcpNoDelay(true);
                    s.setSoTimeout(Clients.SESSION_TIMEOUT_MILLIS);
                    s.connect(
                            new InetSocketAddress(Net.LOOPBACK, ports[i % ports.length]),
                            Clients.SESSION_TIMEOUT_MILLIS);
                }
                byte[] payload = payload(i, step);
                ok[i] = Clients.echoes(sockets[i], payload);
                if (ok[i]) {
                    verified.addAndGet(payload.length);
                }
            } catch (IOException e) {
                ok[i] = false;
            }
        });
        return Clients.count(ok);
    }

    /** The session's number and the step, then random bytes: no two payloads of a run alike. */
    private byte[] payload(int i, int step) {
        byte[] p = new byte[PAYLOAD];
        random.nextBytes(p);
        p[0] = (byte) (i >> 24);
        p[1] = (byte) (i >> 16);
        p[2] = (byte) (i >> 8);
        p[3] = (byte) i;
        p[4] = (byte) step;
        return p;
    }
}

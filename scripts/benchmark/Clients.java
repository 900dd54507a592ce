package benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/** What the bench's client does on a column's ports: sequential opens, ping-pong, echo checks, many at once. */
final class Clients {
    /** A session that neither echoes nor fails within this long counts as failed. */
    static final int SESSION_TIMEOUT_MILLIS = 15_000;
    /**
     * Opens may fail now and then on a loaded machine; more than this many, or a tenth of those measured if that is
     * more, end the measurement.
     */
    static final int FAILED_OPENS_TOLERATED = 10;

    private Clients() {}

    /** {@code warmup} then {@code n} sequential sessions to {@code port}: open → first echoed byte of each. */
    static Latency opens(int port, int warmup, int n) throws IOException {
        InetSocketAddress to = new InetSocketAddress(Net.LOOPBACK, port);
        long[] nanos = new long[n];
        int done = 0;
        int failed = 0;
        for (int i = 0; i < warmup + n; i++) {
            long t = openOnce(to, (byte) i);
            if (t < 0) {
                failed++;
                if (failed > Math.max(FAILED_OPENS_TOLERATED, n / 10)) {
                    throw new IOException(failed + " sessions failed to echo");
                }
            } else if (i >= warmup && done < n) {
                nanos[done++] = t;
            }
        }
        return Latency.of(Arrays.copyOf(nanos, done), failed);
    }

    /** Connect, write one byte, read it back, close: the nanoseconds from connect to the echo, or -1 if none came. */
    static long openOnce(InetSocketAddress to, byte b) {
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(SESSION_TIMEOUT_MILLIS);
            s.connect(to, SESSION_TIMEOUT_MILLIS);
            s.getOutputStream().write(b);
            int r = s.getInputStream().read();
            long t = System.nanoTime() - t0;
            return r == (b & 0xff) ? t : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /** {@code rounds} round trips of {@code size} bytes on an open session to the echo target. */
    static Latency pingPong(Socket s, int size, int rounds) throws IOException {
        long[] nanos = new long[rounds];
        byte[] ping = new byte[size];
        byte[] pong = new byte[size];
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        for (int i = 0; i < rounds; i++) {
            ping[0] = (byte) i;
            long t0 = System.nanoTime();
            out.write(ping);
            if (in.readNBytes(pong, 0, size) != size || pong[0] != ping[0]) {
                throw new IOException("the echo ended or changed the bytes at round trip " + i);
            }
            nanos[i] = System.nanoTime() - t0;
        }
        return Latency.of(nanos, 0);
    }

    /** Whether {@code payload} comes back intact from the echo target. */
    static boolean echoes(Socket s, byte[] payload) throws IOException {
        s.getOutputStream().write(payload);
        byte[] back = s.getInputStream().readNBytes(payload.length);
        return Arrays.equals(back, payload);
    }

    /** One task of {@link #forEach}, by index. */
    interface IndexTask {
        void run(int i);
    }

    /** Runs {@code task} for 0..n-1 on virtual threads, at most {@code parallel} at a time. */
    static void forEach(int n, int parallel, IndexTask task) throws InterruptedException {
        Semaphore slots = new Semaphore(parallel);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                slots.acquire();
                int k = i;
                ex.submit(() -> {
                    try {
                        task.run(k);
                    } finally {
                        slots.release();
                    }
                });
            }
        }
    }

    static int count(boolean[] ok) {
        int c = 0;
        for (boolean b : ok) {
            c += b ? 1 : 0;
        }
        return c;
    }
}

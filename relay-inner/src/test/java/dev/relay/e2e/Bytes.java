package dev.relay.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Reproducible byte streams: the byte at position i depends only on the seed and i, so a reader can check any chunk. */
final class Bytes {
    private Bytes() {}

    static byte at(long seed, long i) {
        long x = (i + seed) * 0x9E3779B97F4A7C15L;
        x ^= x >>> 29;
        return (byte) (x >>> 24);
    }

    /** Writes {@code n} bytes of stream {@code seed}. */
    static void write(OutputStream out, long seed, long n) throws IOException {
        byte[] buf = new byte[32 * 1024];
        for (long pos = 0; pos < n; ) {
            int len = (int) Math.min(buf.length, n - pos);
            for (int k = 0; k < len; k++) {
                buf[k] = at(seed, pos + k);
            }
            out.write(buf, 0, len);
            pos += len;
        }
        out.flush();
    }

    /** Reads to end of stream, checking every byte against stream {@code seed}; returns how many arrived. */
    static long readAndCheck(InputStream in, long seed) throws IOException {
        byte[] buf = new byte[32 * 1024];
        long pos = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
            for (int k = 0; k < n; k++) {
                if (buf[k] != at(seed, pos + k)) {
                    throw new AssertionError("stream " + seed + " differs at byte " + (pos + k));
                }
            }
            pos += n;
        }
        return pos;
    }
}

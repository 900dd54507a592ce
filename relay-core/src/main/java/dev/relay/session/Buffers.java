package dev.relay.session;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Copy buffers lent to a session direction only while bytes are moving. A few are kept for reuse, so a busy relay
 * does not allocate one per burst; beyond that, the collector takes back whatever is returned.
 */
final class Buffers {
    /** Bytes per buffer: large enough that a bulk transfer costs few system calls. */
    static final int SIZE = 64 * 1024;
    /** Buffers kept for reuse, at most (4 MiB). */
    static final int KEPT = 64;

    private static final ArrayBlockingQueue<byte[]> FREE = new ArrayBlockingQueue<>(KEPT);

    private Buffers() {}

    static byte[] take() {
        byte[] b = FREE.poll();
        return b != null ? b : new byte[SIZE];
    }

    static void give(byte[] b) {
        FREE.offer(b);
    }
}

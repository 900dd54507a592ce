package dev.relay.protocol;

/**
 * How a session's bytes travel on a pooled data connection (protocol.md §7.2): in chunks, so that the connection can
 * carry another session after this one ends. A chunk is a four-byte big-endian length and that many bytes. A length
 * of {@link #END_KEEP} or {@link #END_CLOSE} ends one direction, as a half-close would, and says whether its sender
 * keeps the connection for another session or closes it once the session is over.
 */
public final class Chunks {
    /** Bytes before a chunk's payload. */
    public static final int HEADER = 4;
    /** End of this direction; the sender keeps the connection for the next session if the other side does too. */
    public static final int END_KEEP = 0;
    /** End of this direction; the sender closes the connection when the session ends. */
    public static final int END_CLOSE = -1;
    /**
     * After a session both sides kept, the inner's word that its side is over too (its target has every byte): only
     * then may the outer send the next Open there, so a user never waits behind, or is lost with, the last session.
     */
    public static final int IDLE = -2;
    /** Longest chunk a reader accepts; writers send at most one copy buffer's worth less this header. */
    public static final int MAX = 1 << 20;

    private Chunks() {}

    /** Writes {@code value} big-endian at {@code off}. */
    public static void putLength(byte[] b, int off, int value) {
        b[off] = (byte) (value >>> 24);
        b[off + 1] = (byte) (value >>> 16);
        b[off + 2] = (byte) (value >>> 8);
        b[off + 3] = (byte) value;
    }

    /** The big-endian length at the start of {@code b}. */
    public static int length(byte[] b) {
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** The inner's {@link #IDLE} marker. */
    public static byte[] idle() {
        return marker(IDLE);
    }

    /** The end marker a side sends: keeping the connection, or not. */
    public static byte[] end(boolean keep) {
        return marker(keep ? END_KEEP : END_CLOSE);
    }

    private static byte[] marker(int value) {
        byte[] b = new byte[HEADER];
        putLength(b, 0, value);
        return b;
    }
}

package dev.relay.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The frame codec of a UDP flow's data connection, after Ready (or the Open on a pooled connection): each datagram is
 * a two-byte big-endian length and that many bytes, so datagram boundaries survive the byte stream exactly. The length
 * is checked against {@link #MAX_DATAGRAM} before anything is allocated.
 */
public final class Datagrams {
    /** The largest UDP payload over IPv4 (65,535 minus the IP and UDP headers): carried whole, never cut. */
    public static final int MAX_DATAGRAM = 65_507;
    /** Bytes before each datagram: its length. */
    public static final int HEADER = 2;

    private Datagrams() {}

    /** Writes one datagram as one frame, in a single write so that a datagram never leaves in pieces of frames. */
    public static void write(OutputStream out, byte[] data, int offset, int length) throws IOException {
        if (length < 0 || length > MAX_DATAGRAM) {
            throw new IllegalArgumentException("a datagram of " + length + " bytes is over " + MAX_DATAGRAM);
        }
        byte[] frame = new byte[HEADER + length];
        frame[0] = (byte) (length >>> 8);
        frame[1] = (byte) length;
        System.arraycopy(data, offset, frame, HEADER, length);
        out.write(frame);
    }

    /**
     * Reads one datagram, exactly as it was written (an empty one included).
     *
     * @throws EOFException when the stream ends cleanly before the first byte of a frame
     * @throws ProtocolException when the frame is truncated or longer than {@link #MAX_DATAGRAM}
     */
    public static byte[] read(InputStream in) throws IOException {
        int hi = in.read();
        if (hi < 0) {
            throw new EOFException("connection closed");
        }
        int lo = in.read();
        if (lo < 0) {
            throw new ProtocolException("truncated datagram frame: connection ended after 1 of 2 length bytes");
        }
        int length = (hi << 8) | lo;
        if (length > MAX_DATAGRAM) {
            throw new ProtocolException(
                    "datagram frame of " + length + " bytes is over the UDP limit of " + MAX_DATAGRAM);
        }
        byte[] data = in.readNBytes(length);
        if (data.length < length) {
            throw new ProtocolException(
                    "truncated datagram frame: connection ended after " + data.length + " of " + length + " bytes");
        }
        return data;
    }
}

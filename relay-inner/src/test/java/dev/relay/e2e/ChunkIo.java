package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.relay.protocol.Chunks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A scripted peer's side of a pooled session's chunks (protocol.md §7.2), written and read by hand. */
final class ChunkIo {
    private ChunkIo() {}

    /** {@code payload} as one chunk. */
    static byte[] chunk(byte[] payload) {
        byte[] b = new byte[Chunks.HEADER + payload.length];
        Chunks.putLength(b, 0, payload.length);
        System.arraycopy(payload, 0, b, Chunks.HEADER, payload.length);
        return b;
    }

    static void write(OutputStream out, String text) throws IOException {
        out.write(chunk(text.getBytes(StandardCharsets.US_ASCII)));
    }

    /** Reads chunks until {@code n} bytes of payload have come, and returns them. */
    static byte[] read(InputStream in, int n) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < n) {
            int length = Chunks.length(in.readNBytes(Chunks.HEADER));
            if (length <= 0) {
                throw new IOException("end marker " + length + " after " + got.size() + " of " + n + " bytes");
            }
            got.write(in.readNBytes(length));
        }
        return got.toByteArray();
    }

    /** Reads the next chunk header and insists it is the end marker {@code marker}. */
    static void expectEnd(InputStream in, int marker) throws IOException {
        assertEquals(marker, Chunks.length(in.readNBytes(Chunks.HEADER)), "the end marker");
    }

    /** Sends {@code text} as a chunk on {@code s} and checks that it comes back, in chunks, echoed by the target. */
    static void assertEchoes(Socket s, String text) throws IOException {
        s.setSoTimeout(10_000);
        write(s.getOutputStream(), text);
        assertArrayEquals(
                text.getBytes(StandardCharsets.US_ASCII),
                read(s.getInputStream(), text.length()),
                "echoed through the inner and the target");
    }
}

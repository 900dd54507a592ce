package dev.relay.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The frame codec. A frame is one code byte ({@link WireCodes}), a four-byte big-endian payload length, and the
 * message as JSON. The length is checked against {@link #MAX_PAYLOAD} before anything is allocated, and the reader
 * never reads past the end of a frame, so a data connection can switch to raw bytes right after its last frame.
 */
public final class Frames {
    /** Largest payload a frame may carry; a handshake with a thousand routes fits with room to spare. */
    public static final int MAX_PAYLOAD = 64 * 1024;
    /** Bytes before the payload: code and length. */
    public static final int HEADER = 5;
    /** Longest text from a peer that goes into one log line; the rest is cut off. */
    public static final int MAX_PRINTABLE = 200;

    // Strict, like the config loader: a repeated key, 2.9 or "2" for a version, is an error, never a guess.
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    // A hostile peer gets a few dozen bytes of numbers and a shallow tree, never the library's
                    // generous defaults.
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(16)
                            .maxNumberLength(32)
                            .maxStringLength(MAX_PAYLOAD)
                            .build())
                    // Jackson's default keeps 18 KB of buffers per thread that ever coded a frame, for that thread's
                    // life: each pooled connection's and control channel's. A shared pool holds what was coding at
                    // once (coding never blocks, so on virtual threads about as many as there are carriers), and
                    // never more than 16 sets, whatever a spike of platform threads left.
                    .recyclerPool(JsonRecyclerPools.newBoundedPool(16))
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private Frames() {}

    /** The codec's buffer pool, for a test to see that it is shared between threads. */
    static RecyclerPool<BufferRecycler> buffers() {
        return JSON.getFactory()._getRecyclerPool();
    }

    /** Encodes a message as one frame, ready to be written in a single call. */
    public static byte[] encode(Message message) {
        byte[] payload;
        try {
            payload = JSON.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot encode " + message.getClass().getSimpleName(), e);
        }
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException(message.getClass().getSimpleName() + " is " + payload.length
                    + " bytes, over the frame limit of " + MAX_PAYLOAD);
        }
        return ByteBuffer.allocate(HEADER + payload.length)
                .put(WireCodes.codeOf(message.getClass()))
                .putInt(payload.length)
                .put(payload)
                .array();
    }

    /**
     * Reads exactly one frame and decodes it as one of the messages that may travel in direction {@code direction}.
     *
     * @throws EOFException when the stream ends cleanly before the first byte of a frame
     * @throws ProtocolException when the frame is truncated, oversized, of an unknown code, or not valid JSON
     */
    public static <T extends Message> T read(InputStream in, Class<T> direction) throws IOException {
        // One read for the whole header where the bytes are there, which they nearly always are.
        byte[] header = in.readNBytes(HEADER);
        if (header.length == 0) {
            throw new EOFException("connection closed");
        }
        int code = header[0] & 0xff;
        Class<?> type = WireCodes.typeOf(code);
        if (type == null || !direction.isAssignableFrom(type)) {
            throw new ProtocolException(
                    "unexpected frame code " + code + " (not a " + direction.getSimpleName() + " message)");
        }
        if (header.length < HEADER) {
            throw new ProtocolException("truncated frame (code " + code + "): connection ended after "
                    + (header.length - 1) + " of 4 bytes");
        }
        int length = ByteBuffer.wrap(header, 1, 4).getInt();
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new ProtocolException(
                    "frame of " + Integer.toUnsignedString(length) + " bytes is over the limit of " + MAX_PAYLOAD);
        }
        byte[] payload = readFully(in, length, code);
        Object decoded;
        try {
            decoded = JSON.readValue(payload, type);
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException("malformed " + type.getSimpleName() + ": " + firstLine(e), e);
        }
        if (decoded == null) {
            throw new ProtocolException("malformed " + type.getSimpleName() + ": the payload is null");
        }
        return direction.cast(decoded);
    }

    /** Reads a frame and insists on one type, the way a handshake step does. */
    public static <T extends Message> T expect(InputStream in, Class<? super T> direction, Class<T> type)
            throws IOException {
        @SuppressWarnings("unchecked")
        Message m = read(in, (Class<? extends Message>) direction);
        if (m instanceof Message.Error error) {
            throw new PeerError(error.message());
        }
        if (!type.isInstance(m)) {
            throw new ProtocolException("expected " + type.getSimpleName() + " but got "
                    + m.getClass().getSimpleName());
        }
        return type.cast(m);
    }

    private static byte[] readFully(InputStream in, int n, int code) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new ProtocolException(
                    "truncated frame (code " + code + "): connection ended after " + b.length + " of " + n + " bytes");
        }
        return b;
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /**
     * The peer closed the connection with an {@link Message.Error}; the message is the peer's reason, made safe to
     * log: control characters become '?' and it is cut at {@link #MAX_PRINTABLE} characters, so a stranger cannot forge log lines.
     */
    public static final class PeerError extends IOException {
        public PeerError(String message) {
            super(printable(message));
        }
    }

    /** Text from a peer, fit for one log line. */
    public static String printable(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), MAX_PRINTABLE));
        for (int i = 0; i < text.length() && b.length() < MAX_PRINTABLE; i++) {
            char c = text.charAt(i);
            b.append(c < 0x20 || c == 0x7f || Character.isISOControl(c) ? '?' : c);
        }
        return text.length() > MAX_PRINTABLE ? b + "..." : b.toString();
    }
}

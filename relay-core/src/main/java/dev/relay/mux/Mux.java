package dev.relay.mux;

import dev.relay.net.LogLimiter;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.ProtocolException;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many streams over one connection, each a {@link MuxStream} that a session uses as it would a socket
 * (docs/protocol.md §7.3). Over TLS a data connection per session costs a handshake, which a burst of users cannot
 * afford; a stream costs one frame.
 *
 * <p>Frames: {@code type u8, stream u32, length u32}, then {@code length} bytes for DATA. Only the opening side (the
 * inner) opens streams, with ids that only grow. Each direction of a stream has a window: a sender may have at most
 * {@link #WINDOW} bytes unread by the receiving stream's reader, and the reader gives credit back as it reads. So the
 * one thread that reads the connection ({@code mux-<peer>}) never waits for a slow stream, and a stream whose reader is
 * slow stalls only its own writer. That thread never writes either: it cannot block the peer's reader in turn.
 *
 * <p>This class owns the connection; each stream's owner closes its stream, and closing the mux breaks them all.
 */
public final class Mux implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Mux.class);

    static final int HEADER = 9;
    static final byte OPEN = 1;
    static final byte DATA = 2;
    static final byte FIN = 3;
    static final byte RST = 4;
    static final byte CREDIT = 5;

    /**
     * The most a DATA frame carries: with its header, one TLS record's payload (16,384 bytes), so a frame is one record
     * and streams take turns at the connection often. A frame of 16 KiB and a header took two records, the second of
     * nine bytes.
     */
    public static final int MAX_DATA = 16_384 - HEADER;

    /** Bytes a stream's receiver holds for it at most; credit comes back once half of it has been read. */
    public static final int WINDOW = 256 * 1024;

    /** Streams open at once on one connection, at most: a peer past it is refused its new streams. */
    public static final int MAX_STREAMS = 20_000;

    /** The last stream id the opening side uses; past it, it asks for a new connection and lets this one drain. */
    static final int LAST_ID = Integer.MAX_VALUE - 1;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String peer;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Spare arrays for large DATA payloads ({@link #payloadBuffer}), at most {@link #SPARES}. */
    private final Queue<byte[]> spares = new ConcurrentLinkedQueue<>();

    private final AtomicInteger spareCount = new AtomicInteger();
    static final int SPARES = 32;
    /** Where a DATA frame is assembled, under {@link #writeLock}. */
    private final byte[] frame = new byte[HEADER + MAX_DATA];

    private final Map<Integer, MuxStream> streams = new ConcurrentHashMap<>();
    /** Where the peer's new streams go; null on the opening side, which accepts none. */
    private final Consumer<MuxStream> accepted;

    private final AtomicInteger nextId = new AtomicInteger(1);
    /** The accepting side's highest stream id so far: a frame for a lower id whose stream is gone is dropped. */
    private int highestSeen;

    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile String why = "closed";
    /** Set once no new stream may open here: the connection closes when its last stream has. */
    private volatile boolean retiring;

    /** When a frame was last read (System.nanoTime): a connection that answers nothing is found by its silence. */
    private volatile long lastReadNanos = System.nanoTime();

    private final LogLimiter refusals = new LogLimiter(Duration.ofSeconds(1), "refused");

    private Mux(Socket socket, Consumer<MuxStream> accepted) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.peer = Sockets.peer(socket);
        this.accepted = accepted;
    }

    /** The side that opens streams (the inner), over an authenticated connection it now hands to this mux. */
    public static Mux opening(Socket socket) throws IOException {
        return new Mux(socket, null);
    }

    /** The side that accepts them (the outer): {@code accepted} gets each new stream, and must not wait. */
    public static Mux accepting(Socket socket, Consumer<MuxStream> accepted) throws IOException {
        return new Mux(socket, accepted);
    }

    /** Starts the thread that reads the connection; {@code onClose} runs once it has ended, with why. */
    public void start(Consumer<String> onClose) {
        Threads.start("mux-" + peer, () -> {
            String reason = read();
            close(reason);
            onClose.accept(reason);
        });
    }

    /** A new stream to the accepting side. */
    public MuxStream open() throws IOException {
        if (accepted != null) {
            throw new IllegalStateException("only the opening side opens streams");
        }
        if (streams.size() >= MAX_STREAMS) {
            throw new IOException("this connection carries " + MAX_STREAMS + " streams already");
        }
        // The id is taken and its OPEN written under the write lock: the accepting side sees ids only grow.
        MuxStream s = null;
        writeLock.lock();
        try {
            if (!idsLeft()) {
                // Two billion streams: ids would repeat. The caller dials a new connection; this one drains.
                throw new IOException("no more streams on this connection");
            }
            int id = nextId.getAndIncrement();
            s = new MuxStream(this, id);
            streams.put(id, s);
            if (closed.get()) {
                streams.remove(id);
                throw new SocketException("connection closed: " + why);
            }
            writeFrame(OPEN, id, 0, null, 0);
        } catch (IOException e) {
            if (s != null) {
                streams.remove(s.id());
            }
            throw e;
        } finally {
            writeLock.unlock();
        }
        return s;
    }

    /** Reads frames until the connection ends; returns why. */
    private String read() {
        byte[] header = new byte[HEADER];
        try {
            for (; ; ) {
                if (in.readNBytes(header, 0, HEADER) < HEADER) {
                    throw new EOFException("connection closed");
                }
                lastReadNanos = System.nanoTime();
                byte type = header[0];
                int id = intAt(header, 1);
                int length = intAt(header, 5);
                switch (type) {
                    case OPEN -> opened(id, length);
                    case DATA -> data(id, length);
                    case FIN -> known(id, length, "FIN").ifPresent(MuxStream::finReceived);
                    case RST -> known(id, length, "RST").ifPresent(MuxStream::resetReceived);
                    case CREDIT -> credit(id, length);
                    default -> throw new ProtocolException("frame of unknown type " + type + " on the mux");
                }
            }
        } catch (ProtocolException e) {
            return "protocol error: " + e.getMessage();
        } catch (IOException e) {
            return closed.get() ? why : e.getMessage() == null ? e.toString() : e.getMessage();
        } catch (RuntimeException e) {
            LOG.error("bug: mux with {} failed", peer, e);
            return "internal error: " + e;
        }
    }

    private void opened(int id, int length) throws IOException {
        if (accepted == null) {
            throw new ProtocolException("the outer opened a stream");
        }
        if (length != 0 || id <= highestSeen) {
            throw new ProtocolException("stream " + Integer.toUnsignedString(id) + " opened out of order");
        }
        highestSeen = id;
        if (streams.size() >= MAX_STREAMS * 2) {
            // The peer caps its own at MAX_STREAMS; its closes can be ahead of ours, hence the slack. This stream is
            // left unanswered: its handshake times out on the peer's side.
            refusals.event(
                    more -> LOG.warn("mux with {}: stream {} refused, {} open{}", peer, id, streams.size(), more));
            return;
        }
        MuxStream s = new MuxStream(this, id);
        streams.put(id, s);
        accepted.accept(s);
    }

    private void data(int id, int length) throws IOException {
        if (length <= 0 || length > MAX_DATA) {
            throw new ProtocolException(
                    "DATA frame of " + Integer.toUnsignedString(length) + " bytes, over the limit " + "of " + MAX_DATA);
        }
        MuxStream s = known(id, 0, "DATA").orElse(null);
        if (s == null) {
            in.skipNBytes(length);
            return;
        }
        byte[] payload = payloadBuffer(length);
        if (in.readNBytes(payload, 0, length) < length) {
            throw new EOFException("connection ended in a DATA frame");
        }
        s.received(payload, length);
    }

    private void credit(int id, int length) throws ProtocolException {
        if (length <= 0 || length > WINDOW) {
            throw new ProtocolException("credit of " + Integer.toUnsignedString(length) + " bytes");
        }
        MuxStream s = known(id, 0, "CREDIT").orElse(null);
        if (s != null) {
            s.credit(length);
        }
    }

    /**
     * Sends a stream's RST without making the caller wait: a close may come from a timer, or from a session's other
     * direction, while a writer holds the connection stalled.
     */
    void reset(int id) {
        Threads.start("mux-reset-" + id, () -> {
            try {
                send(RST, id, 0);
            } catch (IOException e) {
                // The connection is gone, and the peer's side of the stream with it.
            }
        });
    }

    /**
     * The stream a frame names, or none when it has been closed here (frames the peer sent before it learnt of that
     * are dropped); a stream that was never opened is a protocol error.
     */
    private Optional<MuxStream> known(int id, int length, String what) throws ProtocolException {
        if (length != 0) {
            throw new ProtocolException(what + " frame with a length");
        }
        MuxStream s = streams.get(id);
        if (s != null) {
            return Optional.of(s);
        }
        boolean wasOpened = accepted != null ? id > 0 && id <= highestSeen : id > 0 && id < nextId.get();
        if (!wasOpened) {
            throw new ProtocolException(what + " for stream " + Integer.toUnsignedString(id) + ", never opened");
        }
        return Optional.empty();
    }

    /**
     * An array for a DATA payload of {@code length} bytes: a large one is a spare of {@link #MAX_DATA} bytes, given back
     * by its stream once read (a new array per frame made the collector most of a stream's cost in bulk); a small one
     * is its own size, so that a peer sending one-byte frames cannot make a window of them cost 16 KiB each.
     */
    private byte[] payloadBuffer(int length) {
        if (length <= MAX_DATA / 2) {
            return new byte[length];
        }
        byte[] b = spares.poll();
        if (b == null) {
            return new byte[MAX_DATA];
        }
        spareCount.decrementAndGet();
        return b;
    }

    /** A payload array its stream is done with; kept for the next large frame while there are few spares. */
    void giveBack(byte[] b) {
        if (b.length != MAX_DATA) {
            return;
        }
        if (spareCount.incrementAndGet() <= SPARES) {
            spares.offer(b);
        } else {
            spareCount.decrementAndGet();
        }
    }

    /** A frame with no payload. */
    void send(byte type, int id, int length) throws IOException {
        sendFrame(type, id, length, null, 0);
    }

    /** A DATA frame with {@code n} bytes at {@code off} in {@code b}, one write, so one TLS record. */
    void sendData(int id, byte[] b, int off, int n) throws IOException {
        sendFrame(DATA, id, n, b, off);
    }

    private void sendFrame(byte type, int id, int length, byte[] b, int off) throws IOException {
        if (closed.get()) {
            throw new SocketException("connection closed: " + why);
        }
        writeLock.lock();
        try {
            writeFrame(type, id, length, b, off);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Writes a frame, assembled in the connection's one frame buffer, with {@code writeLock} held: the header, then for
     * DATA ({@code b} not null) {@code length} bytes from {@code off}. A frame per write allocated 16 KiB each time, and
     * the collector's work was most of a stream's cost in bulk.
     */
    private void writeFrame(byte type, int id, int length, byte[] b, int off) throws IOException {
        header(frame, type, id, length);
        int payload = 0;
        if (b != null) {
            System.arraycopy(b, off, frame, HEADER, length);
            payload = length;
        }
        out.write(frame, 0, HEADER + payload);
    }

    /** A stream closed by its owner: frames for it from now on are dropped. */
    void forget(MuxStream s) {
        streams.remove(s.id(), s);
        if (retiring && streams.isEmpty()) {
            drained();
        }
    }

    /** Opens no more streams here, and closes once the last one has: its ids are used up, or a new one replaced it. */
    public void retire() {
        retiring = true;
        if (streams.isEmpty()) {
            drained();
        }
    }

    /** Whether a new stream may open here. */
    public boolean takesStreams() {
        return isOpen() && idsLeft();
    }

    /** Not retired, and ids left to give. */
    private boolean idsLeft() {
        return !retiring && nextId.get() <= LAST_ID;
    }

    /** How long since a frame was last read, in nanoseconds. */
    public long silentNanos() {
        return System.nanoTime() - lastReadNanos;
    }

    private static void header(byte[] frame, byte type, int id, int length) {
        frame[0] = type;
        putInt(frame, 1, id);
        putInt(frame, 5, length);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static int intAt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    /** The peer, as {@code host:port}. */
    public String peer() {
        return peer;
    }

    Socket socket() {
        return socket;
    }

    /** Streams open now. */
    public int streams() {
        return streams.size();
    }

    public boolean isOpen() {
        return !closed.get();
    }

    @Override
    public void close() {
        close("closed");
    }

    /**
     * Closes a retired connection after its last stream, with a normal close: what that stream sent last (its final
     * DATA and FIN) may still be in the socket's buffer, and a reset would throw it away.
     */
    private void drained() {
        close("drained", false);
    }

    /**
     * Closes the connection at once, even while a writer is blocked in it (a TLS socket would wait for that writer to
     * send its close_notify), and breaks every stream, whose sessions then end.
     */
    public void close(String reason) {
        close(reason, true);
    }

    private void close(String reason, boolean reset) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        why = reason;
        if (reset) {
            try {
                socket.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // Already closed.
            }
        }
        Sockets.closeQuietly(socket);
        for (MuxStream s : streams.values()) {
            s.broken(reason);
        }
    }

    @Override
    public String toString() {
        return "mux with " + peer;
    }
}

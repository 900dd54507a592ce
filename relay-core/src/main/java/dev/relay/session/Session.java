package dev.relay.session;

import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.Chunks;
import dev.relay.protocol.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One relayed connection: owns both of its sockets and is the only code that closes them.
 *
 * <p>Two virtual threads, {@code session-<id>-up} (client to server) and {@code session-<id>-down} (server to client),
 * each copy with a blocking read and a blocking write, so a slow reader stalls its writer instead of growing a buffer.
 * While a direction waits for data it holds only {@link #SMALL} bytes; a 64 KiB buffer is borrowed when a read fills
 * those, and given back once nothing more is waiting (see {@link Buffers}).
 * End of stream in one direction becomes {@code shutdownOutput()} on the other socket and the other direction keeps
 * going; an error in either direction, or {@link #close}, closes both. The last direction to finish closes the sockets
 * (once), logs one line and tells the owner.
 *
 * <p>"Client" is the side the connection came from (the user on the outer, the data connection on the inner);
 * "server" is the side towards the target.
 *
 * <p>A pooled data connection carries the session in chunks ({@link #chunked}): end of stream becomes an end marker
 * instead of a half-close, and when both sides offered to keep the connection and the session ended cleanly, the
 * session closes only its other socket and gives the data connection back through {@link Reuse}.
 */
public final class Session {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    private static final int UP = 0;
    private static final int DOWN = 1;
    /**
     * Bytes a raw direction reads into while it waits: most interactive messages fit, and 1,000 sessions hold at most
     * 1 MB in each process (half that on pooled connections, whose other direction waits in a 4-byte header).
     */
    static final int SMALL = 512;

    private final String id;
    private final String label;
    private final Socket client;
    private final Socket server;
    private final Duration idleTimeout;
    private final Consumer<Session> onEnd;
    private final Traffic traffic;
    private final AtomicReference<Ending> ending = new AtomicReference<>();
    private final long startNanos = System.nanoTime();
    private final AtomicInteger running = new AtomicInteger(2);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicReference<String> reason = new AtomicReference<>();
    private volatile long lastActivityNanos = startNanos;
    /** Bytes moved per direction, each written only by its own thread and read after both have ended. */
    private final long[] bytes = new long[2];
    /** Whether each direction is in a write (else a read) right now, so a failure names the side that broke. */
    private final boolean[] writing = new boolean[2];
    /** The data connection, when it carries chunks; null when both sockets carry raw bytes. */
    private Socket chunked;

    private Reuse reuse;
    /** Whether this side's end marker, and the other side's, kept the connection; read once both directions end. */
    private boolean keptHere;

    private boolean keptThere;

    /**
     * @param label what the log line says about this session besides its id, e.g. {@code route=ssh user=1.2.3.4:5}
     * @param idleTimeout how long no byte may move before the reaper closes the session; zero means never
     * @param traffic where the bytes moved are added, as they move
     * @param onEnd called once, on the last direction's thread, after both sockets are closed
     */
    public Session(
            String id,
            String label,
            Socket client,
            Socket server,
            Duration idleTimeout,
            Traffic traffic,
            Consumer<Session> onEnd) {
        this.id = id;
        this.traffic = traffic;
        this.label = label;
        this.client = client;
        this.server = server;
        this.idleTimeout = idleTimeout;
        this.onEnd = onEnd;
    }

    /**
     * Makes {@code data}, one of this session's two sockets, carry chunks; before {@link #start}. {@code reuse} is
     * asked whether to keep it, and gets it back if the session ends cleanly and both sides kept it.
     */
    public Session chunked(Socket data, Reuse reuse) {
        if (data != client && data != server) {
            throw new IllegalArgumentException("not a socket of this session");
        }
        this.chunked = data;
        this.reuse = reuse;
        return this;
    }

    /** Starts both directions. */
    public void start() {
        Threads.start("session-" + id + "-up", () -> pump(client, server, UP));
        Threads.start("session-" + id + "-down", () -> pump(server, client, DOWN));
    }

    /** The idle timeout this session was given; zero means never. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Whether no byte has moved either way for longer than the idle timeout. */
    boolean idleTooLong() {
        return !idleTimeout.isZero() && System.nanoTime() - lastActivityNanos > idleTimeout.toNanos();
    }

    /**
     * How a session ended, for metrics: by itself; broken by the client's side or the server's (before the server sent
     * a byte: unanswered, as when a target refuses); idle too long; closed by its owner; or a bug.
     */
    public enum Ending {
        COMPLETED,
        CLIENT_BROKE,
        SERVER_BROKE,
        UNANSWERED,
        IDLE,
        CLOSED,
        BUG
    }

    /** How this session ended; set once it has. */
    public Ending ending() {
        return ending.get();
    }

    /** Ends the session now, for {@code why}; both directions stop and the usual close line is logged. */
    public void close(String why) {
        close(why, Ending.CLOSED);
    }

    void close(String why, Ending how) {
        reason.compareAndSet(null, why);
        ending.compareAndSet(null, how);
        abort();
    }

    private void pump(Socket from, Socket to, int direction) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            if (from == chunked) {
                copyChunks(in, out, direction);
            } else {
                copy(in, out, direction, to == chunked);
            }
            if (!closed.get()) {
                writing[direction] = true;
                if (to == chunked) {
                    keptHere = reuse.offer();
                    out.write(Chunks.end(keptHere));
                } else {
                    to.shutdownOutput();
                }
            }
        } catch (IOException e) {
            // Reading from the client or writing to the server, or the other way round: which side broke.
            boolean server = (direction == UP) == writing[direction];
            reason.compareAndSet(null, (server ? "server" : "client") + " side: " + describe(e));
            ending.compareAndSet(null, server ? Ending.SERVER_BROKE : Ending.CLIENT_BROKE);
            abort();
        } catch (RuntimeException e) {
            LOG.error("bug: session {} failed", id, e);
            reason.compareAndSet(null, "internal error: " + e);
            ending.compareAndSet(null, Ending.BUG);
            abort();
        } finally {
            if (running.decrementAndGet() == 0) {
                end();
            }
        }
    }

    /** Raw bytes from {@code in} to {@code out} until end of stream, each read as one chunk where {@code out} takes chunks. */
    private void copy(InputStream in, OutputStream out, int direction, boolean chunks) throws IOException {
        int off = chunks ? Chunks.HEADER : 0;
        // Parked in its read, an idle direction holds only this small buffer, and a message that fits in it costs one
        // read. A full one means more may be waiting: a 64 KiB buffer is borrowed for as long as bytes are, and given
        // back as soon as none are.
        byte[] small = new byte[off + SMALL];
        for (int n; (n = in.read(small, off, SMALL)) >= 0; ) {
            lastActivityNanos = System.nanoTime();
            if (n < SMALL) {
                send(out, small, off, n, direction, chunks);
                continue;
            }
            byte[] buf = Buffers.take();
            try {
                System.arraycopy(small, off, buf, off, n);
                for (n += readWaiting(in, buf, off + n); n > 0; n = readWaiting(in, buf, off)) {
                    send(out, buf, off, n, direction, chunks);
                }
            } finally {
                Buffers.give(buf);
            }
        }
    }

    /** Writes the {@code n} bytes at {@code off} in {@code buf}, as one chunk where {@code out} takes chunks. */
    private void send(OutputStream out, byte[] buf, int off, int n, int direction, boolean chunks) throws IOException {
        if (n <= 0) {
            // Sockets and TLS never read zero bytes into a non-empty array; were one to, a chunk of length 0 would be
            // the end marker, so nothing is sent at all.
            return;
        }
        if (chunks) {
            Chunks.putLength(buf, 0, n);
        }
        writing[direction] = true;
        out.write(buf, 0, off + n);
        writing[direction] = false;
        moved(direction, n);
    }

    /** Chunks from {@code in}, as raw bytes to {@code out}, until the other side's end marker. */
    private void copyChunks(InputStream in, OutputStream out, int direction) throws IOException {
        byte[] header = new byte[Chunks.HEADER];
        while (true) {
            // Parked in the header's read, holding no buffer but the header: a chunk's length says how much to read,
            // and reading past the end marker would take the next session's bytes (or the inner's IDLE).
            int got = in.readNBytes(header, 0, Chunks.HEADER);
            if (got < Chunks.HEADER) {
                throw new EOFException(
                        got == 0 ? "data connection ended without an end marker" : "data connection ended in a chunk");
            }
            int length = Chunks.length(header);
            if (length == Chunks.END_KEEP || length == Chunks.END_CLOSE) {
                keptThere = length == Chunks.END_KEEP;
                return;
            }
            if (length < 0 || length > Chunks.MAX) {
                throw new ProtocolException("chunk of " + Integer.toUnsignedString(length) + " bytes on the data "
                        + "connection, over the limit of " + Chunks.MAX);
            }
            lastActivityNanos = System.nanoTime();
            byte[] buf = Buffers.take();
            try {
                for (int left = length; left > 0; ) {
                    int n = in.read(buf, 0, Math.min(left, buf.length));
                    if (n < 0) {
                        throw new EOFException("data connection ended in a chunk");
                    }
                    writing[direction] = true;
                    out.write(buf, 0, n);
                    writing[direction] = false;
                    left -= n;
                    moved(direction, n);
                }
            } finally {
                Buffers.give(buf);
            }
        }
    }

    private void moved(int direction, int n) {
        bytes[direction] += n;
        (direction == UP ? traffic.up() : traffic.down()).add(n);
        // A long download to a slow user is busy, not idle, however long each write takes.
        lastActivityNanos = System.nanoTime();
    }

    /** Reads whatever is already waiting, up to the buffer's end, without blocking; 0 when nothing is. */
    private static int readWaiting(InputStream in, byte[] buf, int off) throws IOException {
        int waiting = in.available();
        if (waiting <= 0) {
            return 0;
        }
        return Math.max(0, in.read(buf, off, Math.min(waiting, buf.length - off)));
    }

    private void closeSockets() {
        if (closed.compareAndSet(false, true)) {
            Sockets.closeQuietly(client);
            Sockets.closeQuietly(server);
        }
    }

    /**
     * Closes both sockets now, while the other direction may still be blocked in a write. A TLS socket would wait for
     * that writer's lock to send its close_notify, possibly for ever; with SO_LINGER 0 it gives up at once and resets.
     */
    private void abort() {
        if (!closed.get()) {
            for (Socket s : new Socket[] {client, server}) {
                if (s instanceof SSLSocket) {
                    try {
                        s.setSoLinger(true, 0);
                    } catch (IOException ignored) {
                        // Already closed: nothing will wait.
                    }
                }
            }
        }
        closeSockets();
    }

    private void end() {
        // Both end markers said keep, and nothing failed or closed the session: the data connection carries on. The
        // ending is claimed first, so a close() from now on changes nothing; one that came just before may have set
        // SO_LINGER 0 on the way to closing, which a connection that carries on must not keep.
        boolean reused = chunked != null
                && keptHere
                && keptThere
                && ending.compareAndSet(null, Ending.COMPLETED)
                && closed.compareAndSet(false, true);
        if (reused) {
            try {
                chunked.setSoLinger(false, 0);
                Sockets.closeQuietly(chunked == client ? server : client);
            } catch (IOException e) {
                // Claimed above, so closeSockets would do nothing: both go here.
                reused = false;
                Sockets.closeQuietly(client);
                Sockets.closeQuietly(server);
            }
        } else {
            closeSockets();
        }
        reason.compareAndSet(null, "ended");
        ending.compareAndSet(null, Ending.COMPLETED);
        if (bytes[DOWN] == 0) {
            ending.compareAndSet(Ending.SERVER_BROKE, Ending.UNANSWERED);
        }
        long ms = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        LOG.info(
                "session closed id={} {} up={} down={} duration={}ms reason=\"{}\"",
                id,
                label,
                bytes[UP],
                bytes[DOWN],
                ms,
                reason.get());
        try {
            onEnd.accept(this);
        } finally {
            if (chunked != null) {
                reuse.ended(reused);
            }
        }
    }

    private static String describe(IOException e) {
        if (e instanceof SocketException && "Socket closed".equals(e.getMessage())) {
            return "closed";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}

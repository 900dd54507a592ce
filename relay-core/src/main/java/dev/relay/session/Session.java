package dev.relay.session;

import dev.relay.net.Sockets;
import dev.relay.net.Threads;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One relayed connection: owns both of its sockets and is the only code that closes them.
 *
 * <p>Two virtual threads, {@code session-<id>-up} (client to server) and {@code session-<id>-down} (server to client),
 * each copy with a blocking read and a blocking write, so a slow reader stalls its writer instead of growing a buffer.
 * End of stream in one direction becomes {@code shutdownOutput()} on the other socket and the other direction keeps
 * going; an error in either direction, or {@link #close}, closes both. The last direction to finish closes the sockets
 * (once), logs one line and tells the owner.
 *
 * <p>"Client" is the side the connection came from (the user on the outer, the data connection on the inner);
 * "server" is the side towards the target.
 */
public final class Session {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    private static final int UP = 0;
    private static final int DOWN = 1;

    /** Bytes read at a time while a direction is quiet: an idle session holds only this much per direction. */
    static final int SMALL_BUFFER = 2 * 1024;
    /** Bytes read at a time while data streams; taken when a read fills the small buffer, dropped when drained. */
    static final int BULK_BUFFER = 64 * 1024;

    private final String id;
    private final String label;
    private final Socket client;
    private final Socket server;
    private final Duration idleTimeout;
    private final Consumer<Session> onEnd;
    private final long startNanos = System.nanoTime();
    private final AtomicInteger running = new AtomicInteger(2);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicReference<String> reason = new AtomicReference<>();
    private volatile long lastActivityNanos = startNanos;
    /** Bytes moved per direction, each written only by its own thread and read after both have ended. */
    private final long[] bytes = new long[2];

    /**
     * @param label what the log line says about this session besides its id, e.g. {@code route=ssh user=1.2.3.4:5}
     * @param idleTimeout how long no byte may move before the reaper closes the session; zero means never
     * @param onEnd called once, on the last direction's thread, after both sockets are closed
     */
    public Session(String id, String label, Socket client, Socket server, Duration idleTimeout,
                   Consumer<Session> onEnd) {
        this.id = id;
        this.label = label;
        this.client = client;
        this.server = server;
        this.idleTimeout = idleTimeout;
        this.onEnd = onEnd;
    }

    /** Starts both directions. */
    public void start() {
        Threads.start("session-" + id + "-up", () -> pump(client, server, UP));
        Threads.start("session-" + id + "-down", () -> pump(server, client, DOWN));
    }

    /** The session's id, as in its log lines. */
    public String id() {
        return id;
    }

    /** The idle timeout this session was given; zero means never. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Whether no byte has moved either way for longer than the idle timeout. */
    boolean idleTooLong() {
        return !idleTimeout.isZero() && System.nanoTime() - lastActivityNanos > idleTimeout.toNanos();
    }

    /** Ends the session now, for {@code why}; both directions stop and the usual close line is logged. */
    public void close(String why) {
        reason.compareAndSet(null, why);
        closeSockets();
    }

    private void pump(Socket from, Socket to, int direction) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] small = new byte[SMALL_BUFFER];
            for (int n; (n = in.read(small)) >= 0; ) {
                lastActivityNanos = System.nanoTime();
                out.write(small, 0, n);
                bytes[direction] += n;
                if (n == small.length && drain(in, out, direction)) {
                    break;
                }
            }
            if (!closed.get()) {
                to.shutdownOutput();
            }
        } catch (IOException e) {
            reason.compareAndSet(null, (direction == UP ? "client" : "server") + " side: " + describe(e));
            closeSockets();
        } finally {
            if (running.decrementAndGet() == 0) {
                end();
            }
        }
    }

    /**
     * Copies with a large buffer while the peer keeps the socket full, then lets the buffer go as soon as nothing is
     * waiting, so a burst costs memory only while it lasts. Returns true at end of stream.
     */
    private boolean drain(InputStream in, OutputStream out, int direction) throws IOException {
        byte[] big = new byte[BULK_BUFFER];
        for (int n; (n = in.read(big)) >= 0; ) {
            lastActivityNanos = System.nanoTime();
            out.write(big, 0, n);
            bytes[direction] += n;
            if (n < big.length && in.available() == 0) {
                return false;
            }
        }
        return true;
    }

    private void closeSockets() {
        if (closed.compareAndSet(false, true)) {
            Sockets.closeQuietly(client);
            Sockets.closeQuietly(server);
        }
    }

    private void end() {
        closeSockets();
        reason.compareAndSet(null, "ended");
        long ms = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        LOG.info("session closed id={} {} up={} down={} duration={}ms reason=\"{}\"",
                id, label, bytes[UP], bytes[DOWN], ms, reason.get());
        onEnd.accept(this);
    }

    private static String describe(IOException e) {
        if (e instanceof SocketException && "Socket closed".equals(e.getMessage())) {
            return "closed";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}

package dev.relay.session;

import dev.relay.admin.UdpStats;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.Datagrams;
import dev.relay.protocol.ProtocolException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
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
 * One UDP flow carried over a data connection: owns the data connection and the flow's datagram {@link End}, and is
 * the only code that closes them. Datagrams travel on the data connection as {@link Datagrams} frames.
 *
 * <p>Two virtual threads, {@code flow-<id>-in} (datagram end to data connection) and {@code flow-<id>-out} (data
 * connection to datagram end). UDP has no half-close: the end of either direction (EOF, an error, {@link #close})
 * ends the flow, and the last thread to finish logs one line with datagrams and bytes each way and tells the owner.
 * A datagram that cannot be delivered is dropped and counted by its end, as UDP users expect; nothing waits on it.
 */
public final class DatagramSession {
    private static final Logger LOG = LoggerFactory.getLogger(DatagramSession.class);

    /** Where a flow's datagrams come from and go to: the user's side on the outer, the target's on the inner. */
    public interface End extends Closeable {
        /** The next datagram for the data connection, waiting for one; null once this end is closed. */
        byte[] receive() throws IOException, InterruptedException;

        /**
         * Whether {@link #receive} has another datagram ready without waiting. While it has, the session holds its
         * frames back and writes them together, one write for a burst instead of one per datagram.
         */
        default boolean hasMore() {
            return false;
        }

        /**
         * Sends a datagram from the data connection; one that cannot go is dropped and counted here. Throws only
         * when this end is closed, which ends the flow.
         */
        void send(byte[] datagram) throws IOException;

        @Override
        void close();
    }

    /**
     * Per direction: frames gather here until the datagram end has nothing more ready, then leave in one write (one
     * TLS record at most, with TLS on).
     */
    private static final int BUFFER = 16 * 1024;

    private final String id;
    private final String label;
    private final Socket data;
    private final End end;
    /** Whether the datagram end is the flow's user side: then datagrams it receives travel "up". */
    private final boolean endIsUser;

    private final Traffic bytes;
    private final UdpStats stats;
    private final Consumer<DatagramSession> onEnd;
    private final long startNanos = System.nanoTime();
    private volatile long lastActivityNanos = startNanos;
    private final AtomicInteger running = new AtomicInteger(2);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicReference<String> reason = new AtomicReference<>();
    private final AtomicReference<Session.Ending> ending = new AtomicReference<>();
    /** Datagrams and bytes per direction (0 up, 1 down), each written by its own thread, read after both end. */
    private final long[] datagrams = new long[2];

    private final long[] moved = new long[2];

    /**
     * @param label what the log lines say besides the id, e.g. {@code route=dns user=1.2.3.4:5}
     * @param endIsUser true on the outer (the end is the user), false on the inner (the end is the target)
     * @param bytes where the route's bytes are added as they move
     * @param onEnd called once, on the last thread, after both the data connection and the end are closed
     */
    public DatagramSession(
            String id,
            String label,
            Socket data,
            End end,
            boolean endIsUser,
            Traffic bytes,
            UdpStats stats,
            Consumer<DatagramSession> onEnd) {
        this.id = id;
        this.label = label;
        this.data = data;
        this.end = end;
        this.endIsUser = endIsUser;
        this.bytes = bytes;
        this.stats = stats;
        this.onEnd = onEnd;
    }

    /** Starts both directions. */
    public void start() {
        Threads.start("flow-" + id + "-in", this::toData);
        Threads.start("flow-" + id + "-out", this::fromData);
    }

    /** Whether no datagram has moved either way for longer than {@code idle}. */
    public boolean idleFor(Duration idle) {
        return System.nanoTime() - lastActivityNanos > idle.toNanos();
    }

    /** Ends the flow now, for {@code why}; both threads stop and the usual close line is logged. */
    public void close(String why) {
        close(why, Session.Ending.CLOSED);
    }

    /** Ends the flow now, for {@code why}, counted as {@code how}. */
    public void close(String why, Session.Ending how) {
        reason.compareAndSet(null, why);
        ending.compareAndSet(null, how);
        closeAll();
    }

    /** How this flow ended, for metrics; set once it has. */
    public Session.Ending ending() {
        return ending.get();
    }

    private void toData() {
        int direction = endIsUser ? 0 : 1;
        try {
            OutputStream out = new BufferedOutputStream(data.getOutputStream(), BUFFER);
            for (byte[] d; (d = end.receive()) != null; ) {
                lastActivityNanos = System.nanoTime();
                Datagrams.write(out, d, 0, d.length);
                count(direction, d.length);
                if (!end.hasMore()) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            reason.compareAndSet(null, (endIsUser ? "outer side: " : "inner side: ") + describe(e));
        } catch (InterruptedException e) {
            reason.compareAndSet(null, "interrupted");
        } catch (RuntimeException e) {
            LOG.error("bug: flow {} failed", id, e);
            reason.compareAndSet(null, "internal error: " + e);
            ending.compareAndSet(null, Session.Ending.BUG);
        } finally {
            closeAll();
            finished();
        }
    }

    private void fromData() {
        int direction = endIsUser ? 1 : 0;
        try {
            // Buffered: a frame is read in two parts, and a burst of frames often arrives in one segment.
            InputStream in = new BufferedInputStream(data.getInputStream(), BUFFER);
            for (; ; ) {
                byte[] d = Datagrams.read(in);
                lastActivityNanos = System.nanoTime();
                end.send(d);
                count(direction, d.length);
            }
        } catch (EOFException e) {
            reason.compareAndSet(null, "data connection closed");
        } catch (ProtocolException e) {
            // Only a peer that breaks the protocol sends a bad frame: the flow ends, the process goes on.
            LOG.warn("flow {} {}: protocol violation on its data connection: {}", id, label, e.getMessage());
            reason.compareAndSet(null, "protocol violation: " + e.getMessage());
        } catch (IOException e) {
            reason.compareAndSet(null, "data connection: " + describe(e));
        } catch (RuntimeException e) {
            LOG.error("bug: flow {} failed", id, e);
            reason.compareAndSet(null, "internal error: " + e);
            ending.compareAndSet(null, Session.Ending.BUG);
        } finally {
            closeAll();
            finished();
        }
    }

    private void count(int direction, int n) {
        datagrams[direction]++;
        moved[direction] += n;
        (direction == 0 ? bytes.up() : bytes.down()).add(n);
        (direction == 0 ? stats.datagrams().up() : stats.datagrams().down()).increment();
    }

    /**
     * Closes the data connection and the end, once; each thread is then woken from whatever it waits in. A TLS socket
     * would wait for a blocked writer's lock to send close_notify, so it resets instead.
     */
    private void closeAll() {
        if (closed.compareAndSet(false, true)) {
            if (data instanceof SSLSocket) {
                try {
                    data.setSoLinger(true, 0);
                } catch (IOException ignored) {
                    // Already closed: nothing will wait.
                }
            }
            Sockets.closeQuietly(data);
            end.close();
        }
    }

    private void finished() {
        if (running.decrementAndGet() != 0) {
            return;
        }
        reason.compareAndSet(null, "ended");
        ending.compareAndSet(null, Session.Ending.COMPLETED);
        LOG.info(
                "flow closed id={} {} datagrams_up={} bytes_up={} datagrams_down={} bytes_down={} duration={}ms"
                        + " reason=\"{}\"",
                id,
                label,
                datagrams[0],
                moved[0],
                datagrams[1],
                moved[1],
                Duration.ofNanos(System.nanoTime() - startNanos).toMillis(),
                reason.get());
        onEnd.accept(this);
    }

    private static String describe(IOException e) {
        if (e instanceof SocketException && "Socket closed".equals(e.getMessage())) {
            return "closed";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}

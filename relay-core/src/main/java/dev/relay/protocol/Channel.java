package dev.relay.protocol;

import dev.relay.net.Sockets;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Framed messages over one socket. Any thread may send (writers share one lock, so frames never interleave); one
 * thread reads. A control channel's owner sends through an {@link Outbox} instead, so that no thread of its waits on
 * the peer. A control channel owns its socket for life; a data connection uses a channel only for its handshake
 * and then hands the socket to a {@link dev.relay.session.Session}.
 */
public final class Channel implements Closeable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** When the write in progress started (System.nanoTime), or 0 when none is. */
    private volatile long writingSince;

    public Channel(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /**
     * A channel whose first byte was already read from the socket (to tell TLS from plain frames); it is read
     * again as the start of the first frame, which is always a handshake frame read here, not by a session.
     */
    public Channel(Socket socket, int firstByte) throws IOException {
        this.socket = socket;
        // Not a SequenceInputStream: at the end of its last stream it closes it, and with it the socket, so a peer
        // that half-closed would never hear why it is refused.
        PushbackInputStream pushback = new PushbackInputStream(socket.getInputStream(), 1);
        pushback.unread(firstByte);
        this.in = pushback;
        this.out = socket.getOutputStream();
    }

    /** Reads the next frame travelling in {@code direction}. */
    public <T extends Message> T read(Class<T> direction) throws IOException {
        return Frames.read(in, direction);
    }

    /** Reads the next frame and insists it is a {@code type}; an {@link Message.Error} becomes a PeerError. */
    public <T extends Message> T expect(Class<? super T> direction, Class<T> type) throws IOException {
        return Frames.expect(in, direction, type);
    }

    /** Sends two frames in one write, where the second needs no answer to the first. */
    public void send(Message first, Message second) throws IOException {
        byte[] a = Frames.encode(first);
        byte[] b = Frames.encode(second);
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        writeLock.lock();
        try {
            write(both);
        } finally {
            writeLock.unlock();
        }
    }

    /** Sends one frame, waiting for any other writer. */
    public void send(Message m) throws IOException {
        byte[] frame = Frames.encode(m);
        writeLock.lock();
        try {
            write(frame);
        } finally {
            writeLock.unlock();
        }
    }

    private void write(byte[] frame) throws IOException {
        writingSince = System.nanoTime();
        try {
            out.write(frame);
        } finally {
            writingSince = 0;
        }
    }

    /**
     * How long the write in progress has been blocked, zero when none is: a peer that stops reading stalls its
     * writers, and the owner closes a channel stalled for longer than it would wait for a heartbeat.
     */
    public Duration writeStalled() {
        long since = writingSince;
        return since == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - since);
    }

    /**
     * Throws {@link Stalled} once a write has been blocked for longer than {@code limit}: the peer stopped reading. The
     * reader of a control channel calls this after every frame, so a peer that keeps sending but never reads is found
     * within a heartbeat of the limit; closing the channel then frees every writer stuck behind it.
     */
    public void checkPeerReads(Duration limit) throws Stalled {
        if (writeStalled().compareTo(limit) > 0) {
            throw new Stalled("stopped reading for " + limit.toSeconds() + "s");
        }
    }

    /**
     * Sends unless another writer holds the channel; for heartbeats, which a busy writer makes unnecessary and which
     * must never leave the timer thread stuck behind a stalled peer.
     */
    public boolean trySend(Message m) throws IOException {
        if (!writeLock.tryLock()) {
            return false;
        }
        try {
            write(Frames.encode(m));
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /** Tells the peer why, then closes: best effort, for protocol violations the peer should hear about. */
    public void fail(String why) {
        try {
            trySend(new Message.Error(why));
        } catch (IOException | RuntimeException ignored) {
            // The peer may already be gone; closing is what matters.
        }
        close();
    }

    /** The underlying socket. */
    public Socket socket() {
        return socket;
    }

    @Override
    public void close() {
        Sockets.closeQuietly(socket);
    }

    /**
     * Closes with a TCP reset instead of a FIN, for a data connection whose next bytes may be a user's: the outer,
     * already relaying them, ends that user's session at once.
     */
    public void reset() {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // Closing without the reset still ends the session, only less abruptly.
        }
        close();
    }

    /** The peer has not read what this side wrote for too long; the message says for how long. */
    public static final class Stalled extends IOException {
        Stalled(String message) {
            super(message);
        }
    }
}

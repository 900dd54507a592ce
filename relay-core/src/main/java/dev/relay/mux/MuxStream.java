package dev.relay.mux;

import dev.relay.protocol.ProtocolException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One stream of a {@link Mux}, as a socket: a session, a handshake and a datagram flow use it as they use a data
 * connection. Reads wait for DATA the mux's reader queued here; writes wait for credit, then send DATA frames.
 * {@link #shutdownOutput} sends FIN, and the peer reads end of stream after what came before it. {@link #close} before
 * both FINs (an error, a timeout, a session closed) sends RST: the peer's writes fail at once, and its reads once
 * they have given what arrived before the RST. Socket options are the connection's: setting them here does nothing.
 */
public final class MuxStream extends Socket {
    private final Mux mux;
    private final int id;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    /** DATA payloads not read yet, the first one from {@link #offset}; at most {@link Mux#WINDOW} bytes in all. */
    private final ArrayDeque<Chunk> queue = new ArrayDeque<>(2);

    private int offset;
    private int queued;
    /** Bytes read since credit was last given back. */
    private int unacknowledged;
    /** Bytes this side may still send before the peer gives credit back. */
    private int credit = Mux.WINDOW;

    private boolean finReceived;
    private boolean finSent;
    private boolean reset;
    private boolean closed;
    /** Why the mux broke, once it has. */
    private String broken;

    private volatile int timeoutMillis;
    private final InputStream input = new Input();
    private final OutputStream output = new Output();

    MuxStream(Mux mux, int id) throws SocketException {
        super((SocketImpl) null);
        this.mux = mux;
        this.id = id;
    }

    int id() {
        return id;
    }

    // --- from the mux's reader ---

    /** The first {@code length} bytes of {@code payload}, which this stream gives back to the mux once read. */
    void received(byte[] payload, int length) throws ProtocolException {
        lock.lock();
        try {
            if (closed || reset) {
                mux.giveBack(payload);
                return;
            }
            if (finReceived || queued + length > Mux.WINDOW) {
                throw new ProtocolException("stream " + id + (finReceived ? ": DATA after FIN" : ": over its window"));
            }
            queue.add(new Chunk(payload, length));
            queued += length;
            readable.signal();
        } finally {
            lock.unlock();
        }
    }

    /** A DATA payload waiting to be read: the first {@code length} bytes of {@code bytes}. */
    private record Chunk(byte[] bytes, int length) {}

    void finReceived() {
        lock.lock();
        try {
            finReceived = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The peer closed the stream early. What it sent before is still read first: often that is why it closed, as with
     * an Error frame in the handshake.
     */
    void resetReceived() {
        lock.lock();
        try {
            reset = true;
            readable.signalAll();
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Credit from the peer; more than a window in all is a protocol error (the peer gave back bytes never sent). */
    void credit(int n) throws ProtocolException {
        lock.lock();
        try {
            if ((long) credit + n > Mux.WINDOW) {
                throw new ProtocolException("stream " + id + ": credit past the window");
            }
            credit += n;
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void broken(String why) {
        lock.lock();
        try {
            broken = why;
            readable.signalAll();
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // --- the stream's own ---

    /** Throws what ended this stream, if anything did; with the lock held. */
    private void check() throws IOException {
        if (closed) {
            throw new SocketException("Socket closed");
        }
        if (reset) {
            throw new SocketException("Connection reset");
        }
        if (broken != null) {
            throw new SocketException("connection to " + mux.peer() + " lost: " + broken);
        }
    }

    private int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int give = 0;
        int n;
        lock.lock();
        try {
            long timeout = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            long left = timeout;
            while (queued == 0) {
                // End of stream once all before the FIN was read, unless this side closed or the peer reset it.
                if (finReceived && !closed && !reset) {
                    return -1;
                }
                check();
                if (timeout == 0) {
                    readable.awaitUninterruptibly();
                } else if (left <= 0) {
                    throw new SocketTimeoutException("Read timed out");
                } else {
                    left = readable.awaitNanos(left);
                }
            }
            n = 0;
            while (n < len && !queue.isEmpty()) {
                Chunk head = queue.peek();
                int take = Math.min(len - n, head.length() - offset);
                System.arraycopy(head.bytes(), offset, b, off + n, take);
                n += take;
                offset += take;
                if (offset == head.length()) {
                    queue.poll();
                    offset = 0;
                    mux.giveBack(head.bytes());
                }
            }
            queued -= n;
            unacknowledged += n;
            // Credit goes back in halves of the window, so small messages cost no frame of their own each time.
            if (unacknowledged >= Mux.WINDOW / 2 && !finReceived) {
                give = unacknowledged;
                unacknowledged = 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException("interrupted");
        } finally {
            lock.unlock();
        }
        if (give > 0) {
            mux.send(Mux.CREDIT, id, give);
        }
        return n;
    }

    private void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n;
            lock.lock();
            try {
                for (; ; ) {
                    check();
                    if (finSent) {
                        throw new SocketException("Socket output is shutdown");
                    }
                    if (credit > 0) {
                        break;
                    }
                    writable.awaitUninterruptibly();
                }
                n = Math.min(Math.min(len, Mux.MAX_DATA), credit);
                credit -= n;
            } finally {
                lock.unlock();
            }
            mux.sendData(id, b, off, n);
            off += n;
            len -= n;
        }
    }

    /** Bytes that arrived and are not read yet. */
    int unread() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public InputStream getInputStream() {
        return input;
    }

    @Override
    public OutputStream getOutputStream() {
        return output;
    }

    @Override
    public void shutdownOutput() throws IOException {
        lock.lock();
        try {
            check();
            if (finSent) {
                return;
            }
            finSent = true;
            writable.signalAll();
        } finally {
            lock.unlock();
        }
        mux.send(Mux.FIN, id, 0);
    }

    /** Closes the stream: RST to the peer unless both sides had sent FIN, or the peer reset it, or the mux broke. */
    @Override
    public void close() {
        boolean rst;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            rst = !(finSent && finReceived) && !reset && broken == null;
            for (Chunk c; (c = queue.poll()) != null; ) {
                mux.giveBack(c.bytes());
            }
            queued = 0;
            readable.signalAll();
            writable.signalAll();
        } finally {
            lock.unlock();
        }
        mux.forget(this);
        if (rst) {
            mux.reset(id);
        }
    }

    @Override
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public boolean isOutputShutdown() {
        lock.lock();
        try {
            return finSent;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        timeoutMillis = timeout;
    }

    @Override
    public int getSoTimeout() {
        return timeoutMillis;
    }

    @Override
    public void setSoLinger(boolean on, int linger) {
        // The connection's; a stream's close is a RST frame already.
    }

    @Override
    public void setTcpNoDelay(boolean on) {
        // The connection's.
    }

    @Override
    public void setKeepAlive(boolean on) {
        // The connection's.
    }

    @Override
    public InetAddress getInetAddress() {
        return mux.socket().getInetAddress();
    }

    @Override
    public int getPort() {
        return mux.socket().getPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return mux.socket().getRemoteSocketAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return mux.socket().getLocalAddress();
    }

    @Override
    public int getLocalPort() {
        return mux.socket().getLocalPort();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return mux.socket().getLocalSocketAddress();
    }

    @Override
    public String toString() {
        return "stream " + id + " of " + mux;
    }

    private final class Input extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = MuxStream.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            return MuxStream.this.read(b, off, len);
        }

        @Override
        public int available() {
            return unread();
        }

        @Override
        public void close() {
            MuxStream.this.close();
        }
    }

    private final class Output extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            MuxStream.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            MuxStream.this.write(b, off, len);
        }

        @Override
        public void close() {
            MuxStream.this.close();
        }
    }
}

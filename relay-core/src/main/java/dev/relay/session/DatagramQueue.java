package dev.relay.session;

import dev.relay.protocol.Datagrams;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The datagrams of one UDP flow waiting for its writer, bounded by count and by bytes. The route's receive loop offers
 * and never waits: when the queue is full the datagram is dropped, as UDP allows, so one slow flow never holds up the
 * route's other flows. The flow's writer takes, waiting; {@link #close} wakes it.
 */
public final class DatagramQueue {
    private final int maxDatagrams;
    private final int maxBytes;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private int bytes;
    private boolean closed;

    /** @param maxBytes at least one datagram of the largest size must fit, or such datagrams could never pass */
    public DatagramQueue(int maxDatagrams, int maxBytes) {
        if (maxDatagrams < 1 || maxBytes < Datagrams.MAX_DATAGRAM) {
            throw new IllegalArgumentException("a queue must hold at least one datagram of the largest size");
        }
        this.maxDatagrams = maxDatagrams;
        this.maxBytes = maxBytes;
    }

    /** Queues {@code d} unless the queue is full or closed; never waits. */
    public boolean offer(byte[] d) {
        lock.lock();
        try {
            if (closed || queue.size() >= maxDatagrams || bytes + d.length > maxBytes) {
                return false;
            }
            queue.addLast(d);
            bytes += d.length;
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The next datagram, waiting for one; null once the queue is closed (what was still queued is dropped). */
    public byte[] take() throws InterruptedException {
        lock.lock();
        try {
            while (!closed && queue.isEmpty()) {
                notEmpty.await();
            }
            if (closed) {
                return null;
            }
            byte[] d = queue.removeFirst();
            bytes -= d.length;
            return d;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the queue: the waiting writer wakes with null; returns how many datagrams were left in it. */
    public int close() {
        lock.lock();
        try {
            closed = true;
            int left = queue.size();
            queue.clear();
            bytes = 0;
            notEmpty.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #close} has run: an offer fails for that, not for want of room. */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a datagram is waiting now. */
    public boolean isEmpty() {
        lock.lock();
        try {
            return queue.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Bytes queued now. */
    public int bytes() {
        lock.lock();
        try {
            return bytes;
        } finally {
            lock.unlock();
        }
    }
}

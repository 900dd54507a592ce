package dev.relay.protocol;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The frames a control channel's owner has queued, and the writer that sends them, with a heartbeat whenever the
 * heartbeat interval passes with nothing else to send. {@link #run} runs on the owner's writer thread
 * ({@code control-writer}, {@code inner-writer}); any thread may queue. The queue is bounded, so a peer that stops
 * reading holds a bounded amount of this side's memory; a write blocked for longer than the stall limit closes the
 * channel.
 */
public final class Outbox {
    private final Channel channel;
    private final LinkedBlockingQueue<Message> queue;
    private final Duration heartbeat;
    private final Duration stallLimit;

    /** @param capacity frames queued at most; the owner sizes it to what its limits let it queue at once */
    public Outbox(Channel channel, int capacity, Duration heartbeat, Duration stallLimit) {
        this.channel = channel;
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.heartbeat = heartbeat;
        this.stallLimit = stallLimit;
    }

    /** Queues a frame without waiting; false, and the frame is dropped, when the queue is full. */
    public boolean offer(Message m) {
        return queue.offer(m);
    }

    /**
     * Queues a frame, waiting while the queue is full: backpressure, for a reader whose every frame in makes one
     * frame out. A queue still full after the stall limit means the peer stopped reading: the channel is closed.
     */
    public void put(Message m) throws Channel.Stalled {
        try {
            if (queue.offer(m, stallLimit.toNanos(), TimeUnit.NANOSECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.close();
        throw new Channel.Stalled("stopped reading for " + stallLimit.toSeconds() + "s");
    }

    /**
     * Writes what is queued, in order, and heartbeats; until the channel is closed or the thread interrupted. A write
     * stalled for longer than the stall limit by another writer closes the channel (the reader's
     * {@link Channel#checkPeerReads} covers this thread's own).
     */
    public void run() {
        try {
            while (!channel.socket().isClosed()) {
                Message m = queue.poll(heartbeat.toNanos(), TimeUnit.NANOSECONDS);
                if (channel.writeStalled().compareTo(stallLimit) > 0) {
                    channel.close();
                    return;
                }
                if (m == null) {
                    channel.trySend(new Message.Heartbeat());
                } else {
                    channel.send(m);
                }
            }
        } catch (InterruptedException | IOException e) {
            // Interrupted when the channel ends; a failed write is the reader's to notice.
        }
    }
}

package dev.relay.inner;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The inner's {@code tuning.maxSessions}, shared among its outers so that no outer, however hostile, can take them
 * all: half of the slots are split evenly among the outers as reserves that only their owner can use, and the rest go
 * to whoever asks first. With one outer this is a plain limit. Taken on a control channel's reader or a pool slot's
 * thread, given back by a session's end; the lock covers a few additions, never I/O.
 */
final class SessionSlots {
    private final ReentrantLock lock = new ReentrantLock();
    private final int max;
    private final List<Share> shares = new ArrayList<>();
    /** Slots each outer may use whatever the others hold: max / (2 × outers). */
    private int reserve;
    /** Slots held now, by every share, including those of outers no longer configured. */
    private int held;
    /** Reserved slots not held by their owners: the others may not take these. */
    private int unusedReserve;

    SessionSlots(int max) {
        this.max = max;
    }

    /** One outer's claim on the slots. */
    final class Share {
        private int held;
        private boolean attached = true;

        /** Takes a slot without waiting; false at the process's limit, or when only other outers' reserves are left. */
        boolean take() {
            lock.lock();
            try {
                if (SessionSlots.this.held >= max) {
                    return false;
                }
                if (attached && held < reserve) {
                    unusedReserve--;
                } else if (SessionSlots.this.held + unusedReserve >= max) {
                    return false;
                }
                held++;
                SessionSlots.this.held++;
                return true;
            } finally {
                lock.unlock();
            }
        }

        /** Gives back a slot taken by {@link #take}. */
        void release() {
            lock.lock();
            try {
                held--;
                SessionSlots.this.held--;
                if (attached && held < reserve) {
                    unusedReserve++;
                }
            } finally {
                lock.unlock();
            }
        }

        /** This outer's sessions, and opens on their way to becoming one. */
        int held() {
            lock.lock();
            try {
                return held;
            } finally {
                lock.unlock();
            }
        }
    }

    /** A share for an outer added at start or by a reload; the reserves are split again. */
    Share add() {
        lock.lock();
        try {
            Share s = new Share();
            shares.add(s);
            split();
            return s;
        } finally {
            lock.unlock();
        }
    }

    /**
     * An outer removed by a reload: its running sessions keep their slots until they end, but it has no reserve any
     * more, and the others' grow.
     */
    void remove(Share s) {
        lock.lock();
        try {
            s.attached = false;
            shares.remove(s);
            split();
        } finally {
            lock.unlock();
        }
    }

    /** The slots only this many outers' owners may use, each: shown in docs and checked by tests. */
    static int reserve(int max, int outers) {
        return outers == 0 ? 0 : max / (2 * outers);
    }

    private void split() {
        reserve = reserve(max, shares.size());
        unusedReserve = 0;
        for (Share s : shares) {
            unusedReserve += Math.max(0, reserve - s.held);
        }
    }
}

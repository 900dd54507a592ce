package dev.relay.session;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** The live sessions of one outer or inner: for limits, the idle reaper and shutdown. */
public final class Sessions {
    private final Set<Session> live = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition emptied = lock.newCondition();

    public void add(Session s) {
        live.add(s);
    }

    public void remove(Session s) {
        if (live.remove(s) && live.isEmpty()) {
            lock.lock();
            try {
                emptied.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    public int size() {
        return live.size();
    }

    /** Closes every session that has been idle longer than its own idle timeout. */
    public void closeIdle() {
        List<Session> idle = live.stream().filter(Session::idleTooLong).toList();
        idle.forEach(s -> s.close("idle for more than " + s.idleTimeout().toSeconds() + "s", Session.Ending.IDLE));
    }

    /** Closes every session, then waits up to {@code grace} for their threads to finish. */
    public void closeAll(String why, Duration grace) {
        List.copyOf(live).forEach(s -> s.close(why));
        long deadline = System.nanoTime() + grace.toNanos();
        lock.lock();
        try {
            while (!live.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0
                        || !emptied.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS)
                                && System.nanoTime() >= deadline) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }
}

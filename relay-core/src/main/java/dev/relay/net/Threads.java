package dev.relay.net;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place relay threads come from: named after what they serve, counted while alive (tests assert the count
 * returns to zero), and ending in a logged error rather than silence if a bug escapes their task.
 */
public final class Threads {
    private static final Logger LOG = LoggerFactory.getLogger(Threads.class);
    private static final AtomicInteger LIVE = new AtomicInteger();

    private Threads() {}

    /** Starts a virtual thread named {@code name} running {@code task}. */
    public static Thread start(String name, Runnable task) {
        return Thread.ofVirtual().name(name).start(counted(task));
    }

    /** A virtual thread named {@code name}, not yet started. */
    public static Thread unstarted(String name, Runnable task) {
        return Thread.ofVirtual().name(name).unstarted(counted(task));
    }

    /**
     * Platform daemon threads named {@code name}, for the one scheduled executor a side runs: its tasks are short and
     * must not wait behind the virtual threads' carriers.
     */
    public static ThreadFactory platformDaemons(String name) {
        return task -> Thread.ofPlatform().daemon().name(name).unstarted(counted(task));
    }

    /** How many relay threads are running now, in this JVM. */
    public static int live() {
        return LIVE.get();
    }

    private static Runnable counted(Runnable task) {
        return () -> {
            LIVE.incrementAndGet();
            try {
                task.run();
            } catch (Throwable t) {
                LOG.error(
                        "bug: thread {} ended with an unexpected exception",
                        Thread.currentThread().getName(),
                        t);
            } finally {
                LIVE.decrementAndGet();
            }
        };
    }
}

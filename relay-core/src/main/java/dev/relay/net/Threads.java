package dev.relay.net;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place relay threads come from: named after what they serve, counted while alive (tests assert the count
 * returns to zero), and ending in a logged error rather than silence if a bug escapes their task.
 */
public final class Threads {
    private static final Logger LOG = LoggerFactory.getLogger(Threads.class);
    private static final AtomicInteger LIVE = new AtomicInteger();
    /** What the programs exit with after a fatal error, so that a supervisor (systemd) starts them again. */
    public static final int FATAL_EXIT_STATUS = 3;

    private static volatile Consumer<VirtualMachineError> onFatal = e -> {};

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

    /** A factory of virtual threads named {@code name-<n>}, counted like the others: for an executor. */
    public static ThreadFactory virtualFactory(String name) {
        ThreadFactory virtual = Thread.ofVirtual().name(name + "-", 0).factory();
        return task -> virtual.newThread(counted(task));
    }

    /** How many relay threads are running now, in this JVM. */
    public static int live() {
        return LIVE.get();
    }

    /**
     * Makes a fatal error (out of memory, in any thread) end the process with {@link #FATAL_EXIT_STATUS}, for the
     * programs: a process that stays alive but can no longer serve is never restarted. An embedding program keeps the
     * default, which only logs.
     */
    public static void exitOnFatalError() {
        onFatal = e -> Runtime.getRuntime().halt(FATAL_EXIT_STATUS);
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof VirtualMachineError fatal) {
                fatal(thread, fatal);
            } else {
                LOG.error("bug: thread {} ended with an unexpected exception", thread.getName(), e);
            }
        });
    }

    /** Replaces what a fatal error does after it is logged; for tests of that path. */
    static void onFatalError(Consumer<VirtualMachineError> action) {
        onFatal = action;
    }

    private static void fatal(Thread thread, VirtualMachineError e) {
        try {
            LOG.error(
                    "fatal: thread {} failed with {}; this process cannot go on serving",
                    thread.getName(),
                    e.toString());
        } finally {
            onFatal.accept(e);
        }
    }

    private static Runnable counted(Runnable task) {
        return () -> {
            LIVE.incrementAndGet();
            try {
                task.run();
            } catch (VirtualMachineError e) {
                fatal(Thread.currentThread(), e);
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

package dev.relay.net;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives memory back to the system when the process goes quiet, for users who run {@code java -jar} with no flags.
 * Runs on its own platform thread, {@code idle-memory}.
 *
 * <p>G1 sizes its heap for throughput: a burst of sessions grows it to hundreds of MB, and it does not shrink while
 * nothing allocates. So, unless the user set them:
 * <ul>
 *   <li>at start, the heap's free share after a collection is capped at {@link #MAX_HEAP_FREE_PERCENT}% (G1's default
 *       is 70%), so a shrinking collection gives back nearly all of what is not live;
 *   <li>while the heap is grown, G1's periodic collection is on: once no collection has run for
 *       {@link #PERIODIC_GC_MILLIS} ms, which means the process allocates little, G1 runs a concurrent cycle that ends
 *       by shrinking the heap. A busy process collects anyway and never sees one. Once the heap is back to its size it
 *       is off again, so a small idle heap is not collected every few seconds for nothing;
 *   <li>once after start, and again each time the sessions have all gone and left the heap grown, one full collection.
 * </ul>
 * After a collection gave heap back it trims the C heap as well ({@code jcmd System.trim_native_heap}), where the JIT
 * compilers and the collector leave freed memory behind.
 */
public final class IdleMemory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdleMemory.class);
    /** How long the process must be idle before it tidies: startup settles, or a burst's last session ends. */
    static final long QUIET_SECONDS = 10;
    /** How often the heap's size is looked at: a read of one number, for turning periodic collection on or off. */
    static final long LOOK_MILLIS = 1000;
    /**
     * Looks that periodic collection may stay on without the heap shrinking: then the heap is what is live, and it is
     * taken as the size to grow from, so that a quiet process holding many sessions is not collected every second.
     */
    static final int PERIODIC_TRIES = 5;
    /** At most one tidy for sessions that came and went without growing the heap, per this long. */
    static final long MIN_TIDY_GAP_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Heap growth that is worth a collection to give back. */
    static final long GROWTH_BYTES = 8L << 20;
    /** G1's periodic collection while the heap is grown: after this long with no collection, a concurrent cycle. */
    static final long PERIODIC_GC_MILLIS = 1000;
    /** The most of the heap a shrinking collection leaves free; G1's own default, 70, keeps 3× what is live. */
    static final int MAX_HEAP_FREE_PERCENT = 30;
    /** Below {@link #MAX_HEAP_FREE_PERCENT}, as the JVM requires; G1's default is 40. */
    static final int MIN_HEAP_FREE_PERCENT = 10;

    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Threads.platformDaemons("idle-memory"));
    private final IntSupplier activeSessions;
    private final VmOptions options = VmOptions.find();
    /** Heap committed when last tidied; 0 at start, so that startup is tidied after too. */
    long committedAfterTidy;
    /** Heap committed at the last look, to see a collection give some back. */
    private long committedAtLastLook;
    /**
     * Heap committed when a collection last gave some back: periodic collection is on only while the heap has grown
     * past it, so that 5,000 open sessions, once their heap is trimmed to size, are not marked every few seconds.
     */
    long settled;
    /**
     * Whether this program has set G1's periodic collection: once set, the flag no longer reads as the JVM's default,
     * and a later watcher in the same JVM (a restart in a test) may still turn it on and off.
     */
    private static volatile boolean periodicSetHere;
    /** Where the committed heap is read; a test gives its own. */
    LongSupplier committed = () -> Runtime.getRuntime().totalMemory();
    /** Whether the user left G1's periodic collection alone, so that this may turn it on and off. */
    private final boolean ownsPeriodic;
    /** Whether this turned G1's periodic collection on. */
    boolean periodic;
    /**
     * Whether a look saw a session open since the last tidy. Sessions that came and went leave classes compiled, C heap
     * and heap behind that need no growth past the threshold to be worth one collection once they are gone.
     */
    boolean sessionsSinceTidy;
    /** When the last tidy ran (System.nanoTime), so that a trickle of short sessions costs at most one a minute. */
    long lastTidyNanos = System.nanoTime();
    /**
     * When a look last saw a session open. A tidy waits until none has been for {@link #QUIET_SECONDS}: right after
     * a burst, closing sessions still hold objects, and a collection then sizes the heap for them (measured: 20 MB
     * committed, against 12 MB ten seconds later).
     */
    long lastBusyNanos;

    private long looks;
    /** Looks in a row with periodic collection on and no heap given back. */
    private int fruitlessLooks;

    private IdleMemory(IntSupplier activeSessions) {
        this.activeSessions = activeSessions;
        this.ownsPeriodic = periodicSetHere || options.isDefault("G1PeriodicGCInterval");
    }

    /**
     * Caps the heap's free share, then looks every {@link #LOOK_MILLIS} ms: turns periodic collection on while the
     * heap is grown, and every {@link #QUIET_SECONDS} s tidies when no session is open and the heap has grown since.
     */
    public static IdleMemory watch(IntSupplier activeSessions) {
        IdleMemory m = unscheduled(activeSessions);
        m.timer.scheduleWithFixedDelay(m::lookSafely, LOOK_MILLIS, LOOK_MILLIS, TimeUnit.MILLISECONDS);
        return m;
    }

    /** Sets the heap's free share as {@link #watch} does, but looks only when called: for tests, which drive it. */
    static IdleMemory unscheduled(IntSupplier activeSessions) {
        IdleMemory m = new IdleMemory(activeSessions);
        m.options.setIfDefault("MinHeapFreeRatio", Integer.toString(MIN_HEAP_FREE_PERCENT));
        m.options.setIfDefault("MaxHeapFreeRatio", Integer.toString(MAX_HEAP_FREE_PERCENT));
        return m;
    }

    /**
     * A look that fails must not end the looking: an exception would cancel the timer's task for good, silently, and
     * leave periodic collection on if it was. So it is logged, periodic collection goes off, and the next look runs.
     */
    private void lookSafely() {
        try {
            look();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            LOG.warn("bug: looking at the heap failed; will look again", e);
            periodic(false);
        }
    }

    void look() {
        looks++;
        if (activeSessions.getAsInt() > 0) {
            sessionsSinceTidy = true;
            lastBusyNanos = System.nanoTime();
        }
        if (looks % (QUIET_SECONDS * 1000 / LOOK_MILLIS) == 0) {
            check();
        }
        long committed = this.committed.getAsLong();
        if (committed < committedAtLastLook) {
            // A collection gave heap back: from here on, that is the size to grow from.
            settled = committed;
            fruitlessLooks = 0;
            NativeHeap.trim();
        } else if (periodic && ++fruitlessLooks >= PERIODIC_TRIES) {
            // What is there is live (thousands of idle sessions, say): a cycle a second would only burn CPU.
            settled = committed;
            fruitlessLooks = 0;
        }
        committedAtLastLook = committed;
        periodic(grown(committed, settled));
    }

    void check() {
        long committed = this.committed.getAsLong();
        long now = System.nanoTime();
        boolean quiet = activeSessions.getAsInt() == 0
                && (!sessionsSinceTidy || now - lastBusyNanos >= TimeUnit.SECONDS.toNanos(QUIET_SECONDS));
        boolean cameAndWent = sessionsSinceTidy && now - lastTidyNanos >= MIN_TIDY_GAP_NANOS;
        if (quiet && (grown(committed, committedAfterTidy) || cameAndWent)) {
            tidy();
            sessionsSinceTidy = false;
            lastTidyNanos = System.nanoTime();
            committedAfterTidy = this.committed.getAsLong();
            committedAtLastLook = committedAfterTidy;
            settled = committedAfterTidy;
            periodic(false);
        }
    }

    /** Grown by a quarter and at least GROWTH_BYTES: G1 commits in regions, and a tidy that gains little is waste. */
    static boolean grown(long committed, long from) {
        return committed > from + Math.max(GROWTH_BYTES, from / 4);
    }

    /** Turns G1's periodic collection on or off, unless the user set it. */
    void periodic(boolean on) {
        if (on != periodic && ownsPeriodic) {
            boolean set = options.set("G1PeriodicGCInterval", Long.toString(on ? PERIODIC_GC_MILLIS : 0));
            periodicSetHere |= set;
            periodic = set && on;
        }
    }

    /** One full collection: G1 shrinks the heap to what is live and returns the rest; then the C heap is trimmed. */
    static void tidy() {
        long started = System.nanoTime();
        System.gc();
        NativeHeap.trim();
        LOG.debug("gave idle memory back in {} ms", (System.nanoTime() - started) / 1_000_000);
    }

    /** Stops looking, and leaves G1's periodic collection as it found it. */
    @Override
    public void close() {
        timer.shutdownNow();
        periodic(false);
    }

    /** The JVM's manageable flags, through the platform's diagnostic bean; does nothing where there is none. */
    static final class VmOptions {
        private final HotSpotDiagnosticMXBean bean;

        private VmOptions(HotSpotDiagnosticMXBean bean) {
            this.bean = bean;
        }

        static VmOptions find() {
            try {
                return new VmOptions(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class));
            } catch (RuntimeException | LinkageError e) {
                LOG.debug("no HotSpot diagnostic bean: the heap keeps the JVM's sizing", e);
                return new VmOptions(null);
            }
        }

        /** Whether {@code name} exists and neither the user nor this program has set it. */
        boolean isDefault(String name) {
            if (bean == null) {
                return false;
            }
            try {
                VMOption o = bean.getVMOption(name);
                return o.getOrigin() == VMOption.Origin.DEFAULT || o.getOrigin() == VMOption.Origin.ERGONOMIC;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }

        /** Sets {@code name} unless the user set it; whether it is now {@code value}. */
        boolean setIfDefault(String name, String value) {
            return isDefault(name) && set(name, value);
        }

        boolean set(String name, String value) {
            try {
                bean.setVMOption(name, value);
                return true;
            } catch (RuntimeException e) {
                LOG.debug("cannot set {}={}", name, value, e);
                return false;
            }
        }

        String get(String name) {
            return bean == null ? null : bean.getVMOption(name).getValue();
        }
    }

    /**
     * {@code malloc_trim} through HotSpot's own diagnostic command. The JDK offers it only through JMX's MBean server,
     * which costs 20 MB of classes to reach; this calls the command's entry point directly instead, which needs the
     * jar's {@code Add-Opens: jdk.management/com.sun.management.internal}. Without it (tests, an embedding program),
     * or on a JVM without the command, it does nothing.
     */
    static final class NativeHeap {
        private static final Object TARGET;
        private static final Method EXECUTE;

        static {
            Object target = null;
            Method execute = null;
            try {
                Class<?> c = Class.forName("com.sun.management.internal.DiagnosticCommandImpl");
                Method get = c.getDeclaredMethod("getDiagnosticCommandMBean");
                get.setAccessible(true);
                execute = c.getDeclaredMethod("executeDiagnosticCommand", String.class);
                execute.setAccessible(true);
                target = get.invoke(null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.debug("the C heap is not trimmed: {}", e.toString());
                execute = null;
            }
            TARGET = target;
            EXECUTE = target == null ? null : execute;
        }

        private NativeHeap() {}

        /** Whether trimming is possible in this JVM. */
        static boolean available() {
            return EXECUTE != null;
        }

        /** Gives the C heap's free pages back; what the JVM said, or null when it cannot. */
        static String trim() {
            if (EXECUTE == null) {
                return null;
            }
            try {
                return (String) EXECUTE.invoke(TARGET, "System.trim_native_heap");
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.debug("cannot trim the C heap", e);
                return null;
            }
        }
    }
}

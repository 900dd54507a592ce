package dev.relay.net;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
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
 *   <li>while the process is quiet, the heap's free share after a collection is capped at
 *       {@link #MAX_HEAP_FREE_PERCENT}% (G1's default is 70%), so a shrinking collection gives back nearly all of what
 *       is not live. While it is busy the cap is G1's own again: in a burst, each concurrent cycle's shrink to near what
 *       is live only made the next collections grow the heap back, in pauses of 150–300 ms;
 *   <li>while the heap is grown, G1's periodic collection is on: once no collection has run for
 *       {@link #PERIODIC_GC_MILLIS} ms, which means the process allocates little, G1 runs a concurrent cycle that ends
 *       by shrinking the heap. A busy process collects anyway and never sees one. It stays on while cycles give heap
 *       back, until the heap is back to its size or cycles stop giving any, so a small idle heap is not collected
 *       every few seconds for nothing;
 *   <li>once after start, and again each time the sessions have all gone and left the heap grown, one full collection.
 * </ul>
 * After a collection gave heap back it trims the C heap as well ({@code jcmd System.trim_native_heap}), where the JIT
 * compilers and the collector leave freed memory behind.
 */
public final class IdleMemory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdleMemory.class);
    /** How long the process must be idle before it tidies: startup settles, or a burst's last session ends. */
    static final long QUIET_SECONDS = 10;
    /**
     * How often the heap is looked at: three numbers read (committed, allocated, cycles), for turning periodic
     * collection and the free-share cap on or off.
     */
    static final long LOOK_MILLIS = 1000;
    /**
     * Concurrent cycles in a quiet process that may give no heap back before periodic collection goes off: then the heap
     * is what is live, and it is taken as the size to grow from, so that a quiet process holding many sessions is not
     * collected every second. Only a cycle shrinks the heap; the young collections between cycles never do.
     */
    static final int PERIODIC_TRIES = 3;
    /**
     * Cycles of any kind that may give no heap back before periodic collection goes off all the same: a process busy
     * enough never to count as quiet, but whose young collections come more than a second apart, would otherwise be
     * collected once a second for as long as it holds its sessions. A burst's own cycles (five in twelve seconds in one
     * GC log) stay well below it.
     */
    static final int MAX_CYCLES = 20;
    /**
     * The process is quiet when it allocated less than this share of its heap since the last look: only then does G1
     * have a second with no collection, run a periodic cycle, and may the cycle shrink the heap to 1.1× what is live.
     * A busy one (a burst of sessions still arriving) collects for its own reasons, and a heap that does not shrink
     * then says nothing about what is live.
     */
    static final int QUIET_ALLOCATION_SHARE = 16;
    /** At most one tidy for sessions that came and went without growing the heap, per this long. */
    static final long MIN_TIDY_GAP_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Heap growth that is worth a collection to give back. */
    static final long GROWTH_BYTES = 8L << 20;
    /** G1's periodic collection while the heap is grown: after this long with no collection, a concurrent cycle. */
    static final long PERIODIC_GC_MILLIS = 1000;
    /**
     * The most of the heap a shrinking collection of a quiet process leaves free: 1.1× what is live, where G1's own
     * default, 70, keeps 3×. A quiet process needs little room to allocate in (allocating a sixteenth of its heap a
     * second, it collects its young generation every second or so at worst), and when it gets busier the cap is G1's
     * own again within a look.
     */
    static final int MAX_HEAP_FREE_PERCENT = 10;
    /** At most {@link #MAX_HEAP_FREE_PERCENT}, as the JVM requires; G1's default is 40. */
    static final int MIN_HEAP_FREE_PERCENT = 10;

    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Threads.platformDaemons("idle-memory"));
    private final IntSupplier activeSessions;
    private final VmOptions options = VmOptions.find();
    /** Heap committed when last tidied; 0 at start, so that startup is tidied after too. */
    long committedAfterTidy;
    /** Heap committed at the last look, to see a collection give some back. */
    private long committedAtLastLook;
    /** {@link #allocated} at the last look. */
    private long allocatedAtLastLook;
    /** {@link #cycles} at the last look. */
    private long cyclesAtLastLook;
    /**
     * The heap's size before it last grew: periodic collection is on only while the heap is grown past it. When quiet
     * cycles stop giving heap back, what is left is live and becomes the size, so that 5,000 open sessions, once their
     * heap is trimmed to size, are not marked every few seconds.
     */
    long settled;
    /**
     * Whether this program has set G1's periodic collection: once set, the flag no longer reads as the JVM's default,
     * and a later watcher in the same JVM (a restart in a test) may still turn it on and off.
     */
    private static volatile boolean periodicSetHere;
    /** The heap's most free share as the JVM chose it, read before this program first set it; null until then. */
    private static volatile String jvmFreeShare;
    /** Where the committed heap is read; a test gives its own. */
    LongSupplier committed = () -> Runtime.getRuntime().totalMemory();
    /** Bytes allocated by all threads since the JVM started, or -1 where the JVM does not count; a test gives its own. */
    LongSupplier allocated = allocatedBytes();
    /** G1's concurrent cycles so far (two pauses each), or -1 where there is no such count; a test gives its own. */
    LongSupplier cycles = concurrentCycles();
    /** Whether the user left G1's periodic collection alone, so that this may turn it on and off. */
    private final boolean ownsPeriodic;
    /** Whether this turned G1's periodic collection on. */
    boolean periodic;
    /** Whether the user left the heap's free share alone, so that this may cap it while quiet. */
    private final boolean ownsFreeShare;
    /** Whether the free share is capped at {@link #MAX_HEAP_FREE_PERCENT} now, the process being quiet. */
    boolean tight;
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
    /**
     * Concurrent cycles in a row, in a quiet process with periodic collection on, that gave no heap back; counted
     * afresh each time periodic collection comes on or goes off, and at each new low.
     */
    private int fruitlessCycles;
    /** Concurrent cycles in a row, quiet or not, with periodic collection on, that gave no heap back; as above. */
    private int cyclesWithout;
    /** Set by {@link #close}: a look still under way must then leave the flags alone. */
    private boolean closed;
    /**
     * The least heap committed since periodic collection last came on: a cycle gave heap back only if it went below.
     * Back and forth around one size (what a quiet cycle keeps for what was allocated meanwhile) is not progress.
     */
    private long lowest = Long.MAX_VALUE;

    private IdleMemory(IntSupplier activeSessions) {
        this.activeSessions = activeSessions;
        this.ownsPeriodic = periodicSetHere || options.isDefault("G1PeriodicGCInterval");
        this.ownsFreeShare = ownsFreeShare(options);
        rebase();
    }

    /**
     * Counts allocation and cycles from now, so that the first look does not take all since the JVM started for a
     * busy second; again after a test gave suppliers of its own.
     */
    void rebase() {
        allocatedAtLastLook = allocated.getAsLong();
        cyclesAtLastLook = cycles.getAsLong();
    }

    /**
     * Whether both free-share flags are the JVM's or this program's: a later watcher in the same JVM (a restart in a
     * test) may still set them, but not over a value that someone else set; a user who set either keeps both.
     */
    private static synchronized boolean ownsFreeShare(VmOptions options) {
        String min = options.get("MinHeapFreeRatio");
        boolean minOurs = options.isDefault("MinHeapFreeRatio")
                || (jvmFreeShare != null
                        && Integer.toString(MIN_HEAP_FREE_PERCENT).equals(min));
        if (!minOurs) {
            return false;
        }
        if (options.isDefault("MaxHeapFreeRatio")) {
            jvmFreeShare = options.get("MaxHeapFreeRatio");
            return true;
        }
        String max = options.get("MaxHeapFreeRatio");
        return jvmFreeShare != null
                && (max.equals(jvmFreeShare) || max.equals(Integer.toString(MAX_HEAP_FREE_PERCENT)));
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

    /**
     * Caps the heap's free share as {@link #watch} does (a process starts quiet), but looks only when called: for
     * tests, which drive it.
     */
    static IdleMemory unscheduled(IntSupplier activeSessions) {
        IdleMemory m = new IdleMemory(activeSessions);
        if (m.ownsFreeShare) {
            m.options.set("MinHeapFreeRatio", Integer.toString(MIN_HEAP_FREE_PERCENT));
        }
        m.tight(true);
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
            synchronized (this) {
                if (!closed) {
                    periodic(false);
                }
            }
        }
    }

    synchronized void look() {
        if (closed) {
            return;
        }
        looks++;
        if (activeSessions.getAsInt() > 0) {
            sessionsSinceTidy = true;
            lastBusyNanos = System.nanoTime();
        }
        if (looks % (QUIET_SECONDS * 1000 / LOOK_MILLIS) == 0) {
            check();
        }
        long committed = this.committed.getAsLong();
        long allocated = this.allocated.getAsLong();
        long cycles = this.cycles.getAsLong();
        boolean quiet = allocated < 0 || allocated - allocatedAtLastLook < committed / QUIET_ALLOCATION_SHARE;
        // Two pauses per cycle (Remark and Cleanup), which may fall either side of a look: a cycle counts once.
        boolean cycled = cycles < 0 || cycles / 2 != cyclesAtLastLook / 2;
        if (committed < committedAtLastLook) {
            NativeHeap.trim();
        }
        if (committed < lowest) {
            // A collection gave heap back, and the next may give more: a burst's floating garbage takes a few cycles.
            lowest = committed;
            fruitlessCycles = 0;
            cyclesWithout = 0;
        } else if (periodic
                && cycled
                && ((quiet && ++fruitlessCycles >= PERIODIC_TRIES) || ++cyclesWithout >= MAX_CYCLES)) {
            // What is there is live (thousands of idle sessions, say): a cycle a second would only burn CPU. Periodic
            // collection goes off below, and the counts start afresh when it next comes on.
            settled = committed;
        }
        committedAtLastLook = committed;
        allocatedAtLastLook = allocated;
        cyclesAtLastLook = cycles;
        tight(quiet);
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

    /** What {@link #allocated} reads by default: HotSpot's count over all threads, carriers of virtual ones included. */
    static LongSupplier allocatedBytes() {
        try {
            com.sun.management.ThreadMXBean threads =
                    ManagementFactory.getPlatformMXBean(com.sun.management.ThreadMXBean.class);
            if (threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
                return threads::getTotalThreadAllocatedBytes;
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("allocation is not counted here: every look counts as quiet", e);
        }
        return () -> -1;
    }

    /** What {@link #cycles} reads by default: the count of G1's concurrent collector, two pauses per cycle. */
    static LongSupplier concurrentCycles() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc.getName().equals("G1 Concurrent GC")) {
                return gc::getCollectionCount;
            }
        }
        return () -> -1;
    }

    /** Grown by a quarter and at least GROWTH_BYTES: G1 commits in regions, and a tidy that gains little is waste. */
    static boolean grown(long committed, long from) {
        return committed > from + Math.max(GROWTH_BYTES, from / 4);
    }

    /** Caps the heap's free share at {@link #MAX_HEAP_FREE_PERCENT}, or gives it back to the JVM; unless the user set it. */
    void tight(boolean on) {
        if (on != tight && ownsFreeShare) {
            boolean set = options.set("MaxHeapFreeRatio", on ? Integer.toString(MAX_HEAP_FREE_PERCENT) : jvmFreeShare);
            tight = set == on;
        }
    }

    /** Turns G1's periodic collection on or off, unless the user set it. */
    void periodic(boolean on) {
        if (on != periodic && ownsPeriodic) {
            boolean set = options.set("G1PeriodicGCInterval", Long.toString(on ? PERIODIC_GC_MILLIS : 0));
            periodicSetHere |= set;
            if (set) {
                periodic = on;
                // A new episode: progress is measured from the heap's size now, and only its own cycles count.
                lowest = committedAtLastLook;
                fruitlessCycles = 0;
                cyclesWithout = 0;
            }
        }
    }

    /** One full collection: G1 shrinks the heap to what is live and returns the rest; then the C heap is trimmed. */
    static void tidy() {
        long started = System.nanoTime();
        System.gc();
        NativeHeap.trim();
        LOG.debug("gave idle memory back in {} ms", (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Stops looking (a look under way ends first, and the next does nothing), and leaves G1's periodic collection and
     * the cap on the heap's free share as it found them (the lower bound stays at {@link #MIN_HEAP_FREE_PERCENT}, which
     * no JVM default needs back).
     */
    @Override
    public void close() {
        timer.shutdownNow();
        synchronized (this) {
            closed = true;
            periodic(false);
            tight(false);
        }
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

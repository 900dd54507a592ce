package dev.relay.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class IdleMemoryTest {
    @Test
    void tidiesOnlyWhenNoSessionIsOpenAndOnlyOnceForTheSameHeap() {
        AtomicInteger active = new AtomicInteger(1);
        try (IdleMemory m = IdleMemory.unscheduled(active::get)) {
            // A heap of its own: the test JVM's may be below the 8 MB that counts as grown from nothing.
            m.committed = () -> 64L << 20;
            m.check();
            assertEquals(0, m.committedAfterTidy, "a session is open: nothing is collected");

            active.set(0);
            // Quiet for long enough, whether or not the watcher's own look saw the session open meanwhile.
            m.lastBusyNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(IdleMemory.QUIET_SECONDS);
            m.check();
            long after = m.committedAfterTidy;
            assertTrue(after > 0, "idle after start: tidied");

            m.check();
            assertEquals(after, m.committedAfterTidy, "the heap has not grown since: not again");
        }
    }

    @Test
    void sessionsThatCameAndWentAreTidiedAfterOnceTheHeapIsBackToSize() {
        AtomicInteger active = new AtomicInteger(0);
        try (IdleMemory m = IdleMemory.unscheduled(active::get)) {
            m.committed = () -> 64L << 20;
            m.check();
            long first = m.committedAfterTidy;
            assertTrue(first > 0, "idle after start: tidied");
            m.sessionsSinceTidy = true;
            m.check();
            assertTrue(m.sessionsSinceTidy, "within a minute of the last tidy: sessions alone do not call for another");

            m.lastTidyNanos -= IdleMemory.MIN_TIDY_GAP_NANOS;
            active.set(1);
            m.check();
            assertTrue(m.sessionsSinceTidy, "a session is open: nothing is collected");

            active.set(0);
            long before = m.lastTidyNanos;
            m.lastBusyNanos = System.nanoTime();
            m.check();
            assertTrue(m.sessionsSinceTidy, "the last session has only just gone: not yet, its objects may be live");

            m.lastBusyNanos -= TimeUnit.SECONDS.toNanos(IdleMemory.QUIET_SECONDS);
            m.check();
            assertFalse(m.sessionsSinceTidy, "quiet, a minute on: tidied though the heap did not grow");
            assertTrue(m.lastTidyNanos > before);
        }
    }

    @Test
    void capsTheHeapsFreeShareUnlessTheUserSetIt() {
        IdleMemory.VmOptions options = IdleMemory.VmOptions.find();
        String before = options.get("MaxHeapFreeRatio");
        try (IdleMemory m = IdleMemory.unscheduled(() -> 0)) {
            assertEquals(Integer.toString(IdleMemory.MAX_HEAP_FREE_PERCENT), options.get("MaxHeapFreeRatio"));
            assertEquals(Integer.toString(IdleMemory.MIN_HEAP_FREE_PERCENT), options.get("MinHeapFreeRatio"));
        }
        options.set("MaxHeapFreeRatio", "60");
        try (IdleMemory m = IdleMemory.unscheduled(() -> 0)) {
            assertEquals("60", options.get("MaxHeapFreeRatio"), "set by someone else: left alone");
        } finally {
            options.set("MaxHeapFreeRatio", before);
        }
    }

    @Test
    void periodicCollectionIsOnOnlyWhileTheHeapIsGrown() {
        IdleMemory.VmOptions options = IdleMemory.VmOptions.find();
        try (IdleMemory m = IdleMemory.unscheduled(() -> 1)) {
            m.periodic(true);
            assertTrue(m.periodic);
            assertEquals(Long.toString(IdleMemory.PERIODIC_GC_MILLIS), options.get("G1PeriodicGCInterval"));

            m.periodic(false);
            assertFalse(m.periodic);
            assertEquals("0", options.get("G1PeriodicGCInterval"), "back to size: no collections for nothing");
        }
    }

    @Test
    void periodicCollectionGoesOffWhenTheGrownHeapTurnsOutLive() {
        long mb = 1L << 20;
        long[] heap = {64 * mb};
        try (IdleMemory m = quiet(1000, heap, 16 * mb)) {
            m.look();
            assertTrue(m.periodic, "grown from 16 to 64 MB: periodic collection on");
            for (int i = 0; i < IdleMemory.PERIODIC_TRIES; i++) {
                m.look();
            }
            assertFalse(m.periodic, "no heap given back in three cycles: what is there is live, and no more cycles");
            assertEquals(64 * mb, m.settled);

            heap[0] = 96 * mb;
            m.look();
            assertTrue(m.periodic, "grown again past the new size: on again");
            heap[0] = 48 * mb;
            m.look();
            assertFalse(m.periodic, "a collection gave the growth back: off");
            assertEquals(64 * mb, m.settled);
        }
    }

    @Test
    void periodicCollectionStaysOnWhileCyclesGiveHeapBack() {
        long mb = 1L << 20;
        long[] heap = {240 * mb};
        try (IdleMemory m = quiet(5000, heap, 16 * mb)) {
            m.look();
            assertTrue(m.periodic);
            // After a burst, each cycle finds less live than the one before: its floating garbage takes a few.
            for (long size = 220; size >= 60; size -= 40) {
                for (int i = 0; i < IdleMemory.PERIODIC_TRIES - 1; i++) {
                    m.look();
                }
                heap[0] = size * mb;
                m.look();
                assertTrue(m.periodic, "gave some back, down to " + size + " MB: on for the next cycle");
            }
            assertEquals(16 * mb, m.settled, "the size before the burst, still");
            for (int i = 0; i < IdleMemory.PERIODIC_TRIES; i++) {
                m.look();
            }
            assertFalse(m.periodic, "no more given back: what is left is live");
            assertEquals(60 * mb, m.settled);
        }
    }

    @Test
    void g1sConcurrentCyclesAreCounted() {
        boolean g1 = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .anyMatch(gc -> gc.getName().startsWith("G1"));
        Assumptions.assumeTrue(g1, "the JVM collects with G1, as it does with no flags on two cores or more");
        LongSupplier cycles = IdleMemory.concurrentCycles();
        long before = cycles.getAsLong();
        assertTrue(
                before >= 0, "G1 counts its concurrent cycles: without the count, every quiet look would count as one");
    }

    @Test
    void onlyAConcurrentCycleThatGaveNothingBackCounts() {
        long mb = 1L << 20;
        long[] cycles = {0};
        try (IdleMemory m = watcher(5000, () -> 400 * mb, () -> 0, () -> cycles[0], 100 * mb)) {
            // Between cycles G1's periodic collections are young ones, which never shrink the heap.
            for (int i = 0; i < 4 * IdleMemory.PERIODIC_TRIES; i++) {
                m.look();
                assertTrue(m.periodic, "no cycle yet after " + (i + 1) + " looks");
            }
            for (int i = 0; i < IdleMemory.PERIODIC_TRIES; i++) {
                cycles[0] += 2;
                m.look();
            }
            assertFalse(m.periodic, "three quiet cycles gave nothing back: live");
        }
    }

    @Test
    void aHeapThatGoesBackAndForthIsNotGivingAnythingBack() {
        long mb = 1L << 20;
        long[] heap = {200 * mb};
        try (IdleMemory m = quiet(5000, heap, 16 * mb)) {
            m.look();
            assertTrue(m.periodic);
            // What a quiet cycle keeps for what was allocated since moves the heap by a region either way.
            for (int i = 0; i <= IdleMemory.PERIODIC_TRIES; i++) {
                heap[0] = (i % 2 == 0 ? 196 : 200) * mb;
                m.look();
            }
            assertFalse(m.periodic, "never below 196 MB: live, no more cycles");
        }
    }

    @Test
    void aTidyStartsTheCountOfFruitlessCyclesAfresh() {
        long mb = 1L << 20;
        long[] heap = {200 * mb};
        try (IdleMemory m = quiet(0, heap, 16 * mb)) {
            for (int i = 0; i < IdleMemory.PERIODIC_TRIES; i++) {
                m.look();
            }
            assertTrue(m.periodic, "one look to come on, then fruitless cycles short of the limit");
            m.check();
            assertFalse(m.periodic, "tidied: off");
            heap[0] = 400 * mb;
            m.look();
            assertTrue(m.periodic, "the next burst");
            m.look();
            assertTrue(m.periodic, "one fruitless cycle of its own is not three");
        }
    }

    @Test
    void closeGivesTheCapOnTheFreeShareBack() {
        IdleMemory.VmOptions options = IdleMemory.VmOptions.find();
        String before = options.get("MaxHeapFreeRatio");
        IdleMemory m = IdleMemory.unscheduled(() -> 0);
        assertEquals(Integer.toString(IdleMemory.MAX_HEAP_FREE_PERCENT), options.get("MaxHeapFreeRatio"));
        m.close();
        assertEquals(before, options.get("MaxHeapFreeRatio"));
    }

    @Test
    void aUserWhoSetTheLowerBoundKeepsBoth() {
        IdleMemory.VmOptions options = IdleMemory.VmOptions.find();
        // Whatever ran before: the flags as a watcher leaves them, so that putting the bound back is not a user's.
        IdleMemory.unscheduled(() -> 0).close();
        String min = options.get("MinHeapFreeRatio");
        String max = options.get("MaxHeapFreeRatio");
        options.set("MinHeapFreeRatio", "25");
        try (IdleMemory m = IdleMemory.unscheduled(() -> 0)) {
            assertEquals("25", options.get("MinHeapFreeRatio"));
            assertEquals(max, options.get("MaxHeapFreeRatio"), "a cap of 10 under a bound of 25 would fail every look");
        } finally {
            options.set("MinHeapFreeRatio", min);
        }
    }

    @Test
    void aCycleWhosePausesFallEitherSideOfALookCountsOnce() {
        long mb = 1L << 20;
        long[] pauses = {0};
        try (IdleMemory m = watcher(5000, () -> 200 * mb, () -> 0, () -> pauses[0], 16 * mb)) {
            m.look();
            assertTrue(m.periodic);
            // One pause a look: Remark before one look, Cleanup before the next.
            for (int i = 0; i < 2 * IdleMemory.PERIODIC_TRIES - 1; i++) {
                pauses[0]++;
                m.look();
            }
            assertTrue(m.periodic, "two cycles and a half");
            pauses[0]++;
            m.look();
            assertFalse(m.periodic, "three whole cycles gave nothing back");
        }
    }

    @Test
    void aProcessNeverQuietEnoughStopsItsCyclesAfterTwenty() {
        long mb = 1L << 20;
        long[] allocated = {0};
        try (IdleMemory m = watcher(5000, () -> 200 * mb, () -> allocated[0], aCycleEachLook(), 16 * mb)) {
            m.look();
            // Busy enough never to count as quiet, but collected only by its periodic cycles.
            for (int i = 0; i < IdleMemory.MAX_CYCLES - 1; i++) {
                allocated[0] += 20 * mb;
                m.look();
                assertTrue(m.periodic, (i + 1) + " cycles");
            }
            allocated[0] += 20 * mb;
            m.look();
            assertFalse(m.periodic, "twenty cycles gave nothing back");
            assertEquals(200 * mb, m.settled);
        }
    }

    @Test
    void aLookAfterCloseLeavesTheFlagsAlone() {
        IdleMemory.VmOptions options = IdleMemory.VmOptions.find();
        IdleMemory m = IdleMemory.unscheduled(() -> 5000);
        m.committed = () -> 400L << 20;
        m.allocated = () -> 0;
        m.rebase();
        m.close();
        String max = options.get("MaxHeapFreeRatio");
        m.look();
        assertFalse(m.periodic, "grown, but closed");
        assertEquals("0", options.get("G1PeriodicGCInterval"));
        assertEquals(max, options.get("MaxHeapFreeRatio"));
    }

    @Test
    void theHeapsFreeShareIsCappedOnlyWhileTheProcessIsQuiet() {
        IdleMemory.VmOptions options = IdleMemory.VmOptions.find();
        String before = options.get("MaxHeapFreeRatio");
        long mb = 1L << 20;
        long[] allocated = {0};
        try (IdleMemory m = watcher(5000, () -> 400 * mb, () -> allocated[0], aCycleEachLook(), 0)) {
            m.look();
            assertEquals(Integer.toString(IdleMemory.MAX_HEAP_FREE_PERCENT), options.get("MaxHeapFreeRatio"));
            // A burst: a cycle's shrink to 1.1x what is live would only make the next collections grow it again.
            allocated[0] += 200 * mb;
            m.look();
            assertFalse(m.tight);
            assertEquals(before, options.get("MaxHeapFreeRatio"), "busy: the JVM's own");
            allocated[0] += mb;
            m.look();
            assertTrue(m.tight);
            assertEquals(Integer.toString(IdleMemory.MAX_HEAP_FREE_PERCENT), options.get("MaxHeapFreeRatio"));
        }
    }

    @Test
    void aBusyProcessKeepsPeriodicCollectionOnUntilItGoesQuiet() {
        long mb = 1L << 20;
        long[] allocated = {0};
        try (IdleMemory m = watcher(5000, () -> 400 * mb, () -> allocated[0], aCycleEachLook(), 100 * mb)) {
            // A burst: sessions still arriving allocate far more than a sixteenth of the heap a second, and G1
            // collects for them, so a heap that does not shrink is no sign that it is live.
            for (int i = 0; i < 3 * IdleMemory.PERIODIC_TRIES; i++) {
                allocated[0] += 200 * mb;
                m.look();
                assertTrue(m.periodic, "busy after " + (i + 1) + " looks: periodic collection stays on");
            }
            assertEquals(100 * mb, m.settled);
            for (int i = 0; i < IdleMemory.PERIODIC_TRIES; i++) {
                allocated[0] += mb;
                m.look();
            }
            assertFalse(m.periodic, "quiet for three cycles and nothing given back: live, no more cycles");
            assertEquals(400 * mb, m.settled);
        }
    }

    @Test
    void allocationIsCountedAcrossThreadsVirtualOnesIncluded() throws InterruptedException {
        LongSupplier allocated = IdleMemory.allocatedBytes();
        long before = allocated.getAsLong();
        assertTrue(before >= 0, "HotSpot counts allocation");
        byte[][] kept = new byte[16][];
        Thread t = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < kept.length; i++) {
                kept[i] = new byte[1 << 20];
            }
        });
        t.join();
        assertEquals(1 << 20, kept[kept.length - 1].length);
        assertTrue(
                allocated.getAsLong() - before >= 16L << 20,
                "16 MB allocated on a virtual thread: " + (allocated.getAsLong() - before));
    }

    @Test
    void closeLeavesPeriodicCollectionOff() {
        IdleMemory.VmOptions options = IdleMemory.VmOptions.find();
        IdleMemory m = IdleMemory.unscheduled(() -> 0);
        m.periodic(true);
        assertEquals(Long.toString(IdleMemory.PERIODIC_GC_MILLIS), options.get("G1PeriodicGCInterval"));
        m.close();
        assertEquals("0", options.get("G1PeriodicGCInterval"));
    }

    @Test
    void grownMeansAQuarterAndAtLeastEightMegabytes() {
        long mb = 1L << 20;
        assertFalse(IdleMemory.grown(30 * mb, 24 * mb), "6 MB more: too little to give back");
        assertTrue(IdleMemory.grown(33 * mb, 24 * mb));
        assertFalse(IdleMemory.grown(240 * mb, 200 * mb), "a fifth more of a big heap: not worth a collection");
        assertTrue(IdleMemory.grown(260 * mb, 200 * mb));
    }

    @Test
    void trimsTheCHeapWhenTheJvmLetsIt() {
        // Surefire opens the package as the jars' manifests do (see the parent pom), so the command runs here.
        assertTrue(IdleMemory.NativeHeap.available(), "opened as the jars' manifests open it");
        String said = IdleMemory.NativeHeap.trim();
        assertTrue(said != null && said.contains("RSS"), "the JVM answers with what it trimmed: " + said);
    }

    /** A watcher of a heap the test sizes, in a quiet process where every look sees a concurrent cycle end. */
    private static IdleMemory quiet(int sessions, long[] heap, long settled) {
        return watcher(sessions, () -> heap[0], () -> 0, aCycleEachLook(), settled);
    }

    /**
     * A watcher that reads the committed heap, the bytes allocated and G1's concurrent pauses from the test, counted
     * from now, with the heap's size before it grew at {@code settled}.
     */
    private static IdleMemory watcher(
            int sessions, LongSupplier committed, LongSupplier allocated, LongSupplier cycles, long settled) {
        IdleMemory m = IdleMemory.unscheduled(() -> sessions);
        m.committed = committed;
        m.allocated = allocated;
        m.cycles = cycles;
        m.rebase();
        m.settled = settled;
        return m;
    }

    /** G1's count of concurrent pauses when each look sees one whole cycle end: Remark and Cleanup. */
    private static LongSupplier aCycleEachLook() {
        AtomicLong pauses = new AtomicLong();
        return () -> pauses.addAndGet(2);
    }
}

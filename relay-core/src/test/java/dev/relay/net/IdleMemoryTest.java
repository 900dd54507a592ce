package dev.relay.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdleMemoryTest {
    @Test
    void tidiesOnlyWhenNoSessionIsOpenAndOnlyOnceForTheSameHeap() {
        AtomicInteger active = new AtomicInteger(1);
        try (IdleMemory m = IdleMemory.unscheduled(active::get)) {
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
        try (IdleMemory m = IdleMemory.unscheduled(() -> 1000)) {
            m.committed = () -> heap[0];
            m.settled = 16 * mb;
            m.look();
            assertTrue(m.periodic, "grown from 16 to 64 MB: periodic collection on");
            for (int i = 0; i < IdleMemory.PERIODIC_TRIES; i++) {
                m.look();
            }
            assertFalse(m.periodic, "no heap given back in five looks: what is there is live, and no more cycles");
            assertEquals(64 * mb, m.settled);

            heap[0] = 96 * mb;
            m.look();
            assertTrue(m.periodic, "grown again past the new size: on again");
            heap[0] = 48 * mb;
            m.look();
            assertEquals(48 * mb, m.settled, "a collection gave some back: the size to grow from");
            assertFalse(m.periodic);
        }
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
}

package dev.relay.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdleMemoryTest {
    @Test
    void tidiesOnlyWhenNoSessionIsOpenAndOnlyOnceForTheSameHeap() {
        AtomicInteger active = new AtomicInteger(1);
        try (IdleMemory m = IdleMemory.watch(active::get)) {
            m.check();
            assertEquals(0, m.committedAfterTidy, "a session is open: nothing is collected");

            active.set(0);
            m.check();
            long after = m.committedAfterTidy;
            assertTrue(after > 0, "idle after start: tidied");

            m.check();
            assertEquals(after, m.committedAfterTidy, "the heap has not grown since: not again");
        }
    }
}

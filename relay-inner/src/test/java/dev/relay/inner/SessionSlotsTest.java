package dev.relay.inner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How maxSessions is shared among outers: reserves no other outer can take, the rest first come first served. */
class SessionSlotsTest {
    private static int takeAll(SessionSlots.Share s) {
        int n = 0;
        while (s.take()) {
            n++;
        }
        return n;
    }

    @Test
    void oneOuterHasThePlainLimit() {
        SessionSlots slots = new SessionSlots(10);
        SessionSlots.Share only = slots.add();
        assertEquals(10, takeAll(only));
        only.release();
        assertTrue(only.take());
    }

    @Test
    void aGreedyOuterLeavesTheOthersTheirReserves() {
        SessionSlots slots = new SessionSlots(12);
        SessionSlots.Share greedy = slots.add();
        SessionSlots.Share b = slots.add();
        SessionSlots.Share c = slots.add();
        assertEquals(2, SessionSlots.reserve(12, 3));
        assertEquals(8, takeAll(greedy), "12 less the two others' reserves of 2");
        assertEquals(2, takeAll(b));
        assertEquals(2, takeAll(c));
        assertEquals(12, greedy.held() + b.held() + c.held());
        // A slot b gives back is its reserve again: greedy cannot take it.
        b.release();
        assertFalse(greedy.take());
        assertTrue(b.take());
    }

    @Test
    void removingAnOuterGivesItsReserveToTheOthersOnceItsSessionsEnd() {
        SessionSlots slots = new SessionSlots(8);
        SessionSlots.Share a = slots.add();
        SessionSlots.Share gone = slots.add();
        assertEquals(6, takeAll(gone), "8 less a's reserve of 2");
        slots.remove(gone);
        // Its six sessions still count; a may now use everything that is free.
        assertEquals(2, takeAll(a));
        for (int i = 0; i < 6; i++) {
            gone.release();
        }
        assertEquals(6, takeAll(a));
        assertEquals(8, a.held());
    }

    @Test
    void addingAnOuterGivesItAReserveOnceSlotsAreFree() {
        SessionSlots slots = new SessionSlots(8);
        SessionSlots.Share a = slots.add();
        assertEquals(8, takeAll(a));
        SessionSlots.Share late = slots.add();
        assertFalse(late.take(), "nothing is free yet");
        a.release();
        assertFalse(a.take(), "the freed slot is the newcomer's reserve");
        assertTrue(late.take());
    }
}

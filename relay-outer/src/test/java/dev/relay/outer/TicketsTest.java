package dev.relay.outer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pool tickets: good once, for a limited time, and never more than {@link Tickets#MAX} outstanding. */
class TicketsTest {
    private static final Duration TTL = Duration.ofSeconds(20);
    private static final long T0 = 1_000_000_000L;

    @Test
    void aTicketIsGoodOnce() {
        Tickets tickets = new Tickets(TTL);
        String t = tickets.issue(T0);
        assertNotEquals(t, tickets.issue(T0), "each ticket is new");
        assertTrue(tickets.redeem(t, T0 + 1));
        assertFalse(tickets.redeem(t, T0 + 2), "spent");
        assertFalse(tickets.redeem("never-given-out", T0), "unknown");
    }

    @Test
    void aTicketExpiresAndIsSpentEvenThen() {
        Tickets tickets = new Tickets(TTL);
        String fresh = tickets.issue(T0);
        String old = tickets.issue(T0);
        assertTrue(tickets.redeem(fresh, T0 + TTL.toNanos()), "good up to its time to live");
        assertFalse(tickets.redeem(old, T0 + TTL.toNanos() + 1), "too old");
        assertFalse(tickets.redeem(old, T0), "an expired ticket is gone, not kept for a clock that runs back");
    }

    @Test
    void onlyTheNewestTicketsAreKept() {
        Tickets tickets = new Tickets(TTL);
        List<String> issued = new ArrayList<>();
        for (int i = 0; i < Tickets.MAX + 3; i++) {
            issued.add(tickets.issue(T0 + i));
        }
        for (int i = 0; i < 3; i++) {
            assertFalse(tickets.redeem(issued.get(i), T0 + Tickets.MAX), "the oldest are forgotten");
        }
        assertTrue(tickets.redeem(issued.get(3), T0 + Tickets.MAX));
        assertTrue(tickets.redeem(issued.get(issued.size() - 1), T0 + Tickets.MAX));
    }

    @Test
    void aDiscardedTicketIsNotGood() {
        Tickets tickets = new Tickets(TTL);
        String t = tickets.issue(T0);
        tickets.discard(t);
        assertFalse(tickets.redeem(t, T0));
    }
}

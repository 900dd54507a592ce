package dev.relay.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final Duration MIN = Duration.ofMillis(500);
    private static final Duration MAX = Duration.ofSeconds(30);

    @Test
    void everyDelayIsWithinMinAndMax() {
        Backoff b = new Backoff(MIN, MAX);
        for (int i = 0; i < 100; i++) {
            Duration d = b.next();
            assertTrue(d.compareTo(MIN) >= 0, i + ": " + d);
            assertTrue(d.compareTo(MAX) <= 0, i + ": " + d);
        }
    }

    @Test
    void theCeilingDoublesUpToMax() {
        Backoff b = new Backoff(MIN, MAX);
        Duration ceiling = MIN;
        for (int i = 0; i < 100; i++) {
            Duration d = b.next();
            assertTrue(d.compareTo(ceiling) <= 0, i + ": " + d + " over the ceiling " + ceiling);
            ceiling = ceiling.multipliedBy(2).compareTo(MAX) > 0 ? MAX : ceiling.multipliedBy(2);
        }
    }

    @Test
    void theDelaysGrow() {
        Backoff b = new Backoff(MIN, MAX);
        Duration longest = Duration.ZERO;
        for (int i = 0; i < 100; i++) {
            Duration d = b.next();
            longest = d.compareTo(longest) > 0 ? d : longest;
        }
        // Ninety draws capped at 30s with full jitter from 0.5s: all of them under 2s is astronomically unlikely.
        assertTrue(longest.compareTo(Duration.ofSeconds(2)) > 0, longest.toString());
    }

    @Test
    void resetBringsTheCeilingBackToMin() {
        Backoff b = new Backoff(MIN, MAX);
        assertEquals(MIN, b.next());
        for (int i = 0; i < 20; i++) {
            b.next();
        }
        b.reset();
        assertEquals(MIN, b.next());
        Duration second = b.next();
        assertTrue(second.compareTo(MIN.multipliedBy(2)) <= 0, second.toString());
    }

    @Test
    void equalMinAndMaxGiveAFixedDelay() {
        Backoff b = new Backoff(MIN, MIN);
        for (int i = 0; i < 10; i++) {
            assertEquals(MIN, b.next());
        }
    }
}

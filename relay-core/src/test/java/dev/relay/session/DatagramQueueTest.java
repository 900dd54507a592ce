package dev.relay.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.protocol.Datagrams;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A flow's queue: bounded by count and bytes, never waits to offer, and wakes its taker when closed. */
class DatagramQueueTest {

    @Test
    void aFullQueueRefusesByCountAndByBytes() throws Exception {
        DatagramQueue byCount = new DatagramQueue(2, Datagrams.MAX_DATAGRAM);
        assertTrue(byCount.offer(new byte[1]));
        assertTrue(byCount.offer(new byte[1]));
        assertFalse(byCount.offer(new byte[1]));
        assertEquals(1, byCount.take().length);
        assertTrue(byCount.offer(new byte[1]));

        DatagramQueue byBytes = new DatagramQueue(100, Datagrams.MAX_DATAGRAM);
        assertTrue(byBytes.offer(new byte[Datagrams.MAX_DATAGRAM - 10]));
        assertFalse(byBytes.offer(new byte[11]));
        assertTrue(byBytes.offer(new byte[10]));
        assertEquals(Datagrams.MAX_DATAGRAM, byBytes.bytes());
    }

    @Test
    void datagramsComeOutInOrderAndWhole() throws Exception {
        DatagramQueue q = new DatagramQueue(8, 1 << 20);
        for (byte i = 0; i < 8; i++) {
            q.offer(new byte[] {i, i});
        }
        for (byte i = 0; i < 8; i++) {
            assertArrayEquals(new byte[] {i, i}, q.take());
        }
    }

    @Test
    void closeWakesTheTakerAndDropsWhatWasLeft() throws Exception {
        DatagramQueue q = new DatagramQueue(8, 1 << 20);
        CompletableFuture<byte[]> taken = new CompletableFuture<>();
        Thread taker = Thread.ofVirtual().start(() -> {
            try {
                taken.complete(q.take());
            } catch (InterruptedException e) {
                taken.completeExceptionally(e);
            }
        });
        DatagramQueue other = new DatagramQueue(8, 1 << 20);
        other.offer(new byte[1]);
        other.offer(new byte[1]);
        assertEquals(2, other.close());
        assertEquals(0, q.close());
        assertNull(taken.get(10, TimeUnit.SECONDS));
        taker.join();
        assertFalse(q.offer(new byte[1]));
        assertTrue(q.isClosed());
    }

    @Test
    void aQueueThatCouldNotHoldTheLargestDatagramIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new DatagramQueue(1, Datagrams.MAX_DATAGRAM - 1));
        assertThrows(IllegalArgumentException.class, () -> new DatagramQueue(0, Datagrams.MAX_DATAGRAM));
    }
}

package dev.relay.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** A channel whose peer stops reading is found out by its reader, and closing it frees the stuck writer. */
class ChannelTest {

    @Test
    void aPeerThatStopsReadingIsFoundAndTheStuckWriterIsFreed() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket mine = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket deaf = server.accept();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Channel ch = new Channel(mine);
            assertDoesNotThrow(() -> ch.checkPeerReads(Duration.ofMillis(50)), "nothing written yet");
            // The peer never reads: frames pile up in the socket buffers until a send blocks.
            Future<?> writer = threads.submit(() -> {
                for (; ; ) {
                    ch.send(new Message.Error("x".repeat(60_000)));
                }
            });
            Channel.Stalled stalled = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (stalled == null && System.nanoTime() < deadline) {
                try {
                    ch.checkPeerReads(Duration.ofMillis(200));
                    Thread.sleep(20); // polling the clock is the subject here
                } catch (Channel.Stalled e) {
                    stalled = e;
                }
            }
            assertTrue(stalled != null && stalled.getMessage().contains("stopped reading"), "never stalled");
            ch.close();
            Exception e = assertThrows(Exception.class, writer::get);
            assertTrue(e.getCause() instanceof IOException, "the writer ends with the close: " + e);
        }
    }
}

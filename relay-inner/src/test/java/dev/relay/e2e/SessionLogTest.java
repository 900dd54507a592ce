package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A session logs one line when it opens and one when it closes, on each side, however many chunks it moves. */
@ExtendWith(NoLeaks.class)
class SessionLogTest {

    @Test
    void oneLineAtOpenAndOneAtCloseOnEachSideNoLinePerChunk() throws Exception {
        long size = 4_000_000; // 4,000 writes of 1,000 bytes
        LogCapture captured = LogCapture.start();
        try (captured;
                Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo)) {
            try (Socket s = t.connect()) {
                Future<?> w = Executors.newVirtualThreadPerTaskExecutor().submit(() -> {
                    // Many small writes: thousands of chunks through the relay.
                    byte[] chunk = new byte[1000];
                    for (long sent = 0; sent < size; sent += chunk.length) {
                        s.getOutputStream().write(chunk);
                    }
                    s.shutdownOutput();
                    return null;
                });
                assertTrue(s.getInputStream().transferTo(OutputStream.nullOutputStream()) >= size);
                w.get();
            }
            Await.until("both sides to log the close", () -> captured.count("session closed") >= 2);
        }
        String log = captured.text();
        Matcher m = Pattern.compile("session open id=(\\S+) route=r0 user=").matcher(log);
        assertTrue(m.find(), log);
        String id = m.group(1);
        List<String> lines = log.lines().filter(l -> l.contains(id)).toList();
        assertEquals(4, lines.size(), "lines naming the session: " + lines);
        assertEquals(
                2,
                lines.stream().filter(l -> l.contains("session open id=" + id)).count(),
                lines.toString());
        assertEquals(
                2,
                lines.stream()
                        .filter(l -> l.contains("session closed id=" + id))
                        .count(),
                lines.toString());
        assertTrue(
                lines.stream().anyMatch(l -> l.contains("session closed") && l.contains("up=" + size)),
                "the close line counts the bytes: " + lines);
    }
}

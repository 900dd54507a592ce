package dev.relay.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogLimiterTest {

    @Test
    void onlyTheFirstEventOfAnIntervalIsLoggedAndTheNextLineCountsTheRest() throws InterruptedException {
        LogLimiter limiter = new LogLimiter(Duration.ofMillis(200), "refused");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            limiter.event(more -> lines.add("line" + more));
        }
        assertEquals(List.of("line"), lines);
        Thread.sleep(250); // the interval itself is what is under test
        limiter.event(more -> lines.add("line" + more));
        assertEquals(List.of("line", "line (4 more refused since the last line)"), lines);
    }
}

package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.config.Token;
import dev.relay.inner.Inner;
import dev.relay.outer.Outer;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's embedding example, as written there, so it keeps compiling and working. */
@ExtendWith(NoLeaks.class)
class EmbeddingExampleTest {

    @Test
    void theReadmeExampleExposesALocalPort() throws Exception {
        try (Target app = Target.echo()) {
            int appPort = app.port();
            // --- as in README.md, "Embedding" ---
            Token token = new Token("embedding-example-token-0123");
            Route route = Route.of("app", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", appPort));
            try (Outer outer = Outer.start(OuterConfig.of(new HostPort("127.0.0.1", 0), token, List.of(route)));
                    Inner inner = Inner.start(InnerConfig.of(new HostPort("127.0.0.1", outer.controlPort()), token))) {
                assertTrue(inner.awaitConnected(Duration.ofSeconds(5)));
                int publicPort = outer.port("app");
                // --- end of the example ---
                try (Socket s = new Socket("127.0.0.1", publicPort)) {
                    s.setSoTimeout(10_000);
                    assertEquals("embedded", TunnelTest.roundTrip(s, "embedded"));
                }
            }
        }
    }
}

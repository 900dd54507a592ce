package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.Token;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Everything relay logs while things go right and wrong, searched for the tokens: they must never appear. */
@ExtendWith(NoLeaks.class)
class SecretsInLogsTest {
    @TempDir
    Path dir;

    @Test
    void noTokenEverReachesTheLog() throws Exception {
        String wrong = "wrong-secret-0123456789abcdef";
        LogCapture captured = LogCapture.start();
        try (captured) {
            try (Target echo = Target.echo();
                    TestTunnel t = TestTunnel.to(echo)) {
                try (Socket s = t.connect()) {
                    TunnelTest.roundTrip(s, "hello");
                }
                t.stopInner();
                t.launchInner(t.innerConfig().withToken(new Token(wrong)));
                Await.until("the wrong token to be refused", () -> t.inner.lastFailure() != null);
            }
            Path config = dir.resolve("routes.json");
            Files.writeString(config, "{ \"inner\": { \"connect\": \"127.0.0.1:1\" }, \"token\": " + wrong + " }");
            dev.relay.inner.InnerMainAccess.run(new String[] {"--config", config.toString()}, System.err);
            dev.relay.inner.InnerMainAccess.run(new String[] {"--help"}, System.err);
        }
        String log = captured.text();
        assertTrue(log.contains("session open") && log.contains("relay-inner: "), "the log was not captured: " + log);
        assertFalse(log.contains(TestTunnel.TOKEN.value()), "the real token leaked");
        assertFalse(log.contains(wrong), "the wrong token leaked");
    }
}

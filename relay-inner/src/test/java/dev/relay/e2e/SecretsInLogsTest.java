package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.Token;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(new Tee(original, captured), true));
        try {
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
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("session open") && log.contains("relay-inner: "), "the log was not captured: " + log);
        assertFalse(log.contains(TestTunnel.TOKEN.value()), "the real token leaked");
        assertFalse(log.contains(wrong), "the wrong token leaked");
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}

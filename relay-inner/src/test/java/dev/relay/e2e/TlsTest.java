package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.ClientTls;
import dev.relay.config.InnerConfig;
import dev.relay.mux.Mux;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** TLS between inner and outer: both ways of trusting the outer work, and every mismatch is refused by name. */
@ExtendWith(NoLeaks.class)
class TlsTest {

    @Test
    void aPinnedFingerprintCarriesASession() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 2, TestCert.shared());
                Socket s = t.connect()) {
            assertEquals("over tls", TunnelTest.roundTrip(s, "over tls"));
        }
    }

    @Test
    void aCaFileWithAMatchingNameCarriesASession() throws Exception {
        TestCert cert = TestCert.shared();
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(cert, TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            t.startInner(t.innerConfig().withTls(cert.ca())); // dials 127.0.0.1, which the certificate names
            try (Socket s = t.connect()) {
                assertEquals("ca", TunnelTest.roundTrip(s, "ca"));
            }
        }
    }

    @Test
    void aWrongFingerprintIsRefusedNamingBoth() throws Exception {
        TestCert cert = TestCert.shared();
        String wrong = TestCert.create("localhost").fingerprint();
        String why = refusal(cert, ClientTls.pinned(wrong));
        assertTrue(why.contains(cert.fingerprint()) && why.contains(wrong), why);
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        String why = refusal(
                TestCert.shared(), TestCert.create("localhost", "127.0.0.1").ca());
        assertTrue(why.contains("TLS handshake"), why);
    }

    @Test
    void aCaCertificateThatDoesNotNameTheHostIsRefused() throws Exception {
        TestCert elsewhere = TestCert.create("relay.example.com");
        String why = refusal(elsewhere, elsewhere.ca());
        assertTrue(why.contains("TLS handshake"), why);
    }

    @Test
    void aPlainInnerAgainstATlsOuterIsToldTlsIsRequired() throws Exception {
        String why = refusal(TestCert.shared(), null);
        assertTrue(why.contains("requires TLS"), why);
    }

    @Test
    void aTlsInnerAgainstAPlainOuterFailsCleanly() throws Exception {
        String why = refusal(null, TestCert.shared().pinned());
        assertTrue(why.contains("TLS handshake"), why);
    }

    /**
     * Runs an outer with {@code outerCert} (null: plain) and an inner that trusts {@code innerTls} (null: plain),
     * expects the inner never to get in, and returns why it says it failed.
     */
    private static String refusal(TestCert outerCert, ClientTls innerTls) throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(outerCert, TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            t.launchInner(t.innerConfig().withTls(innerTls));
            Await.until("the inner to fail to get in", () -> t.inner.lastFailure() != null);
            assertFalse(t.outer.innerConnected());
            assertFalse(t.inner.connected());
            return t.inner.lastFailure();
        }
    }

    @Test
    void thePoolFillsOverTlsAndItsConnectionsCarrySessionAfterSession() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, InnerConfig.DEFAULT_POOL, TestCert.shared())) {
            Await.until("a full pool", () -> t.outer.pooledConnections() == InnerConfig.DEFAULT_POOL);
            for (int i = 0; i < 20; i++) {
                try (Socket s = t.connect()) {
                    assertEquals("t" + i, TunnelTest.roundTrip(s, "t" + i));
                }
            }
            // The first fill made full handshakes; every session then gave its connection back, so twenty sessions
            // cost no TLS handshake, and no refill was needed.
            Await.until("twenty connections given back", () -> t.outer.pooledConnectionsReused() == 20);
            assertEquals(0, t.outer.pooledConnectionsTicketed());
        }
    }

    @Test
    void sessionsThePoolCannotServeTravelAsStreamsOnOneConnection() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 0, TestCert.shared())) {
            // Forty at once, each with bytes of its own, some more than a stream's window: none mixed, none lost.
            int users = 40;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> all = new ArrayList<>();
                for (int i = 0; i < users; i++) {
                    int seed = i;
                    all.add(pool.submit(() -> {
                        byte[] sent = new byte[seed % 4 == 0 ? 3 * Mux.WINDOW + seed : 100 + seed];
                        new Random(seed).nextBytes(sent);
                        try (Socket u = t.connect()) {
                            Future<byte[]> back =
                                    pool.submit(() -> u.getInputStream().readAllBytes());
                            u.getOutputStream().write(sent);
                            u.shutdownOutput();
                            assertArrayEquals(sent, back.get(30, TimeUnit.SECONDS));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : all) {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            assertEquals(1, t.outer.streamConnections(), "one TLS connection carried them all");
            assertEquals(users, t.outer.dataStreams());
            assertEquals(0, t.outer.dataConnectionsInOneFrame(), "no data connection of their own");
            assertEquals(0, t.outer.pooledConnections());
            Await.until(
                    "every session to end on both sides",
                    () -> t.outer.activeSessions() == 0 && t.inner.activeSessions() == 0);
        }
    }

    @Test
    void aStreamConnectionLivesAndDiesWithItsInnerAndTheNextInnerDialsItsOwn() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 0, TestCert.shared())) {
            Socket first = t.connect();
            try (first) {
                assertEquals("before", TunnelTest.roundTrip(first, "before"));
                t.stopInner();
                // The session on the stream ends with its connection: end of stream or a reset, never a hang.
                first.setSoTimeout(10_000);
                try {
                    assertEquals(-1, first.getInputStream().read());
                } catch (SocketException reset) {
                    // Equally ended.
                }
            }
            Await.until("the session to end on the outer", () -> t.outer.activeSessions() == 0);
            t.startInner(t.innerConfig().withPool(0));
            try (Socket second = t.connect()) {
                assertEquals("after", TunnelTest.roundTrip(second, "after"));
            }
            assertEquals(2, t.outer.streamConnections(), "a new inner, a new stream connection");
        }
    }

    @Test
    void overPlainTcpADataConnectionStaysOnTheChallenge() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = TestTunnel.to(echo, 0);
                Socket s = t.connect()) {
            assertEquals("plain", TunnelTest.roundTrip(s, "plain"));
            assertEquals(0, t.outer.dataConnectionsInOneFrame());
        }
    }
}

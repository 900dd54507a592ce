package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.ClientTls;
import dev.relay.config.InnerConfig;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** TLS between inner and outer: both ways of trusting the outer work, and every mismatch is refused by name. */
@ExtendWith(NoLeaks.class)
class TlsTest {

    @Test
    void aPinnedFingerprintCarriesASession() throws Exception {
        try (Target echo = Target.echo(); TestTunnel t = TestTunnel.to(echo, 2, TestCert.shared());
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
        try (Target echo = Target.echo();
             TestTunnel t = TestTunnel.outerOnly(cert, TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            t.launchInner(t.innerConfig().withTls(ClientTls.pinned(wrong)));
            Await.until("the inner to refuse the outer", () -> t.inner.lastFailure() != null);
            String why = t.inner.lastFailure();
            assertTrue(why.contains(cert.fingerprint()) && why.contains(wrong), why);
            assertFalse(t.outer.innerConnected());
        }
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        TestCert other = TestCert.create("localhost", "127.0.0.1");
        try (Target echo = Target.echo();
             TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            t.launchInner(t.innerConfig().withTls(other.ca()));
            Await.until("the inner to refuse the outer", () -> t.inner.lastFailure() != null);
            assertTrue(t.inner.lastFailure().contains("TLS handshake"), t.inner.lastFailure());
            assertFalse(t.outer.innerConnected());
        }
    }

    @Test
    void aCaCertificateThatDoesNotNameTheHostIsRefused() throws Exception {
        TestCert elsewhere = TestCert.create("relay.example.com");
        try (Target echo = Target.echo();
             TestTunnel t = TestTunnel.outerOnly(elsewhere, TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            t.launchInner(t.innerConfig().withTls(elsewhere.ca()));
            Await.until("the inner to refuse the outer", () -> t.inner.lastFailure() != null);
            assertTrue(t.inner.lastFailure().contains("TLS handshake"), t.inner.lastFailure());
            assertFalse(t.outer.innerConnected());
        }
    }

    @Test
    void aPlainInnerAgainstATlsOuterIsToldTlsIsRequired() throws Exception {
        try (Target echo = Target.echo();
             TestTunnel t = TestTunnel.outerOnly(TestCert.shared(), TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            t.launchInner(t.innerConfig().withTls(null));
            Await.until("the inner to be refused", () -> t.inner.lastFailure() != null);
            assertTrue(t.inner.lastFailure().contains("requires TLS"), t.inner.lastFailure());
            assertFalse(t.outer.innerConnected());
        }
    }

    @Test
    void aTlsInnerAgainstAPlainOuterFailsCleanly() throws Exception {
        try (Target echo = Target.echo();
             TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, TestTunnel.route("r0", echo))) {
            t.launchInner(t.innerConfig().withTls(TestCert.shared().pinned()));
            Await.until("the inner to give up on this attempt", () -> t.inner.lastFailure() != null);
            assertTrue(t.inner.lastFailure().contains("TLS handshake"), t.inner.lastFailure());
            assertFalse(t.outer.innerConnected());
        }
    }

    @Test
    void thePoolFillsOverTls() throws Exception {
        try (Target echo = Target.echo();
             TestTunnel t = TestTunnel.to(echo, InnerConfig.DEFAULT_POOL, TestCert.shared())) {
            Await.until("a full pool", () -> t.outer.pooledConnections() == InnerConfig.DEFAULT_POOL);
            for (int i = 0; i < 20; i++) {
                try (Socket s = t.connect()) {
                    assertEquals("t" + i, TunnelTest.roundTrip(s, "t" + i));
                }
            }
        }
    }
}

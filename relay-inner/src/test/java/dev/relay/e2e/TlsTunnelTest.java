package dev.relay.e2e;

/** Every tunnel test again with TLS 1.3 between inner and outer (self-signed certificate, pinned fingerprint). */
class TlsTunnelTest extends TunnelTest {
    @Override
    TestCert cert() {
        return TestCert.shared();
    }
}

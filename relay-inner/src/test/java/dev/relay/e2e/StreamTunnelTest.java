package dev.relay.e2e;

/** Every tunnel test again over TLS with the pool off, so each session is a stream on the inner's stream connection. */
class StreamTunnelTest extends TunnelTest {
    @Override
    TestCert cert() {
        return TestCert.shared();
    }

    @Override
    int pool() {
        return 0;
    }
}

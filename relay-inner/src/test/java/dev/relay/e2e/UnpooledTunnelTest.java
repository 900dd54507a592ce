package dev.relay.e2e;

/** Every tunnel test again with the pool off, so each session is opened over the control channel. */
class UnpooledTunnelTest extends TunnelTest {
    @Override
    int pool() {
        return 0;
    }
}

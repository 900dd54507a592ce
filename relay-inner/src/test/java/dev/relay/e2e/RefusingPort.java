package dev.relay.e2e;

import dev.relay.config.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port where every connect is refused, for as long as the test holds it: a socket bound there that never
 * listens, without SO_REUSEADDR, so no other test can bind the port meanwhile. Closing a listener to get a refusing
 * port is not enough: with tests running in parallel, another test's listener can take the port that was let go and
 * answer in its place.
 */
final class RefusingPort implements AutoCloseable {
    private final Socket holder = new Socket();

    RefusingPort() throws IOException {
        try {
            holder.setReuseAddress(false);
            holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            holder.close();
            throw e;
        }
    }

    HostPort address() {
        return new HostPort("127.0.0.1", holder.getLocalPort());
    }

    @Override
    public void close() throws IOException {
        holder.close();
    }
}

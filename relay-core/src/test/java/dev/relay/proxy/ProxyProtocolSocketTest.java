package dev.relay.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The codec over real loopback sockets, where reads return what has arrived and a stalled peer blocks. */
class ProxyProtocolSocketTest {
    /** What the outer will set while it waits for a load balancer's header. */
    private static final int HEADER_TIMEOUT_MILLIS = 3000;

    private static final int SHORT_TIMEOUT_MILLIS = 300;

    @Test
    void theServerReadsTheHeaderThenTheClientsBytes() throws IOException {
        ProxyHeader sent = ProxyHeader.tcp(
                new InetSocketAddress(InetAddress.getByName("203.0.113.9"), 50000),
                new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 443));
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket accepted = server.accept()) {
            OutputStream out = client.getOutputStream();
            out.write(ProxyProtocol.v2(sent));
            out.write("hello".getBytes(US_ASCII));
            client.shutdownOutput();
            accepted.setSoTimeout(HEADER_TIMEOUT_MILLIS);
            assertEquals(sent, ProxyProtocol.read(accepted.getInputStream()));
            assertEquals("hello", new String(accepted.getInputStream().readAllBytes(), US_ASCII));
        }
    }

    @Test
    void aPeerThatStallsMidHeaderTimesOut() throws IOException {
        byte[] header = ProxyProtocol.v2(ProxyHeader.LOCAL);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket accepted = server.accept()) {
            client.getOutputStream().write(Arrays.copyOf(header, header.length / 2));
            accepted.setSoTimeout(SHORT_TIMEOUT_MILLIS);
            long start = System.nanoTime();
            assertTimeoutPreemptively(Duration.ofMillis(HEADER_TIMEOUT_MILLIS), () -> {
                assertThrows(SocketTimeoutException.class, () -> ProxyProtocol.read(accepted.getInputStream()));
            });
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= SHORT_TIMEOUT_MILLIS - 50, "gave up after " + millis + " ms");
        }
    }
}

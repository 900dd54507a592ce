package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.relay.config.AdminConfig;
import dev.relay.config.HostPort;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.config.Route.ProxyVersion;
import dev.relay.net.AddressRule;
import dev.relay.proxy.ProxyHeader;
import dev.relay.proxy.ProxyProtocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real HAProxy in TCP mode in front of the outer, sending the PROXY protocol (v2) to a route that accepts it, and
 * checking the outer's /readyz: the private target, which reads the v1 header relay writes, sees the user's address.
 */
class HaproxyIT {
    @TempDir
    Path dir;

    @Test
    void usersThroughHaproxyReachTheTargetUnderTheirOwnAddress() throws Exception {
        OutsideProgram.requireInstalled("haproxy");
        BlockingQueue<ProxyHeader> seen = new LinkedBlockingQueue<>();
        try (Target target = Target.start(s -> {
            seen.add(ProxyProtocol.read(s.getInputStream()));
            s.getInputStream().transferTo(s.getOutputStream());
            s.shutdownOutput();
        })) {
            Route r = TestTunnel.route("web", target)
                    .withAcceptProxyProtocol(true)
                    .withProxyProtocol(ProxyVersion.V1);
            HostPort any = new HostPort("127.0.0.1", 0);
            OuterConfig c = new OuterConfig(
                    any,
                    TestTunnel.TOKEN,
                    List.of(r),
                    TestTunnel.FAST,
                    null,
                    AdminConfig.local(any),
                    AddressRule.parseAll(List.of("127.0.0.1")));
            try (TestTunnel t = new TestTunnel(c, null)) {
                t.startInner();
                InetSocketAddress front = freeAddress();
                Path cfg = dir.resolve("haproxy.cfg");
                Files.writeString(cfg, """
                        defaults
                          mode tcp
                          timeout connect 5s
                          timeout client 30s
                          timeout server 30s
                          timeout check 3s
                        frontend users
                          bind %s:%d
                          default_backend outers
                        backend outers
                          option httpchk
                          http-check send meth GET uri /readyz
                          server outer 127.0.0.1:%d send-proxy-v2 check port %d inter 200ms rise 1 fall 3
                        """.formatted(
                                front.getHostString(), front.getPort(), t.outer.port("web"), t.outer.adminPort()));
                try (OutsideProgram haproxy =
                        OutsideProgram.start(dir.resolve("haproxy.log"), "haproxy", "-f", cfg.toString(), "-db")) {
                    haproxy.awaitListening(1);
                    for (int i = 0; i < 3; i++) {
                        try (Socket user = new Socket()) {
                            user.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                            user.connect(front, 5000);
                            user.setSoTimeout(10_000);
                            assertEquals("via haproxy", TunnelTest.roundTrip(user, "via haproxy"), haproxy.log());
                            ProxyHeader h = seen.poll(10, TimeUnit.SECONDS);
                            assertEquals(
                                    new InetSocketAddress(InetAddress.getByName("127.0.0.2"), user.getLocalPort()),
                                    h.source(),
                                    "the target sees the user, not HAProxy");
                        }
                    }
                }
            }
        }
    }

    /**
     * A loopback address of its own (127.x.y.z, chosen at random) and a port the kernel just gave out there: HAProxy
     * cannot bind port 0, and nothing else listens on that address.
     */
    static InetSocketAddress freeAddress() throws IOException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        InetAddress a = InetAddress.getByAddress(
                new byte[] {127, (byte) r.nextInt(1, 255), (byte) r.nextInt(1, 255), (byte) r.nextInt(1, 255)});
        try (ServerSocket s = new ServerSocket(0, 1, a)) {
            return new InetSocketAddress(a, s.getLocalPort());
        }
    }
}

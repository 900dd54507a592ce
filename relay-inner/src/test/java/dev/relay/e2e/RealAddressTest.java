package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The user's real address, both ways: the inner writes a PROXY header to the target, and a route behind a trusted
 * load balancer reads one. 127.0.0.2 plays a user, 127.0.0.3 a trusted balancer, 127.0.0.4 a stranger.
 */
@ExtendWith(NoLeaks.class)
class RealAddressTest {
    private static final String BALANCER = "127.0.0.3";

    /** A target that reads a PROXY header, reports it, then echoes. */
    private static Target headerReading(BlockingQueue<ProxyHeader> seen) throws IOException {
        return Target.start(s -> {
            seen.add(ProxyProtocol.read(s.getInputStream()));
            s.getInputStream().transferTo(s.getOutputStream());
            s.shutdownOutput();
        });
    }

    @ParameterizedTest(name = "{0}, pool {1}")
    @CsvSource({"V1, 8", "V2, 8", "V1, 0", "V2, 0"})
    void theTargetSeesTheUsersAddressAndTheRoutesBeforeAnyOtherByte(ProxyVersion version, int pool) throws Exception {
        BlockingQueue<ProxyHeader> seen = new LinkedBlockingQueue<>();
        try (Target target = headerReading(seen);
                TestTunnel t = TestTunnel.outerOnly(
                                TestTunnel.FAST, TestTunnel.route("r0", target).withProxyProtocol(version))
                        .pool(pool)) {
            t.startInner();
            try (Socket user = from("127.0.0.2", t.outer.port("r0"))) {
                assertEquals("after the header", TunnelTest.roundTrip(user, "after the header"));
                ProxyHeader h = seen.poll(10, TimeUnit.SECONDS);
                assertEquals(
                        new InetSocketAddress(InetAddress.getByName("127.0.0.2"), user.getLocalPort()), h.source());
                assertEquals(
                        new InetSocketAddress(InetAddress.getByName("127.0.0.1"), t.outer.port("r0")), h.destination());
            }
        }
    }

    /** A route behind a balancer at {@value #BALANCER}, whose users must be in 198.51.100.0/24. */
    private static TestTunnel behindBalancer(Target target) throws IOException {
        Route r = TestTunnel.route("r0", target)
                .withAcceptProxyProtocol(true)
                .withAllow(AddressRule.parseAll(List.of("198.51.100.0/24", BALANCER)))
                .withProxyProtocol(ProxyVersion.V1);
        OuterConfig c = new OuterConfig(
                new HostPort("127.0.0.1", 0),
                TestTunnel.TOKEN,
                List.of(r),
                TestTunnel.FAST,
                null,
                null,
                AddressRule.parseAll(List.of(BALANCER)));
        return new TestTunnel(c, null);
    }

    @Test
    void aTrustedBalancersHeaderIsTheUserEverywhereAndIsCheckedAgainstTheAllowList() throws Exception {
        BlockingQueue<ProxyHeader> seen = new LinkedBlockingQueue<>();
        try (Target target = headerReading(seen);
                TestTunnel t = behindBalancer(target);
                LogCapture log = LogCapture.start()) {
            t.startInner();
            InetSocketAddress client = new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 40000);
            InetSocketAddress route = new InetSocketAddress(InetAddress.getByName("203.0.113.1"), 443);
            try (Socket lb = from(BALANCER, t.outer.port("r0"))) {
                lb.getOutputStream().write(ProxyProtocol.v2(ProxyHeader.tcp(client, route)));
                assertEquals("hi", TunnelTest.roundTrip(lb, "hi"));
                assertEquals(client, seen.poll(10, TimeUnit.SECONDS).source(), "passed on to the target");
            }
            Await.until("the session's close line", () -> log.count("user=198.51.100.7:40000") >= 2);

            InetSocketAddress outsider = new InetSocketAddress(InetAddress.getByName("203.0.113.9"), 40001);
            try (Socket lb = from(BALANCER, t.outer.port("r0"))) {
                lb.getOutputStream().write(ProxyProtocol.v1(ProxyHeader.tcp(outsider, route)));
                lb.getOutputStream().write('x');
                assertEquals(-1, lb.getInputStream().read(), "outside the allow list");
            }
            // The balancer's own health check: LOCAL, so the connection's endpoints count.
            try (Socket check = from(BALANCER, t.outer.port("r0"))) {
                check.getOutputStream().write(ProxyProtocol.v2(ProxyHeader.LOCAL));
                assertEquals("check", TunnelTest.roundTrip(check, "check"));
                assertEquals(
                        InetAddress.getByName(BALANCER),
                        seen.poll(10, TimeUnit.SECONDS).source().getAddress());
            }
            assertEquals(2, target.accepted.get());
        }
    }

    @Test
    void anUntrustedSenderIsRefusedWhateverItSends() throws Exception {
        try (Target target = Target.echo();
                TestTunnel t = behindBalancer(target);
                LogCapture log = LogCapture.start()) {
            t.startInner();
            try (Socket stranger = from("127.0.0.4", t.outer.port("r0"))) {
                InetSocketAddress client = new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 1);
                stranger.getOutputStream().write(ProxyProtocol.v1(ProxyHeader.tcp(client, client)));
                assertEquals(-1, stranger.getInputStream().read());
            }
            assertEquals(0, target.accepted.get());
            Await.until("the refusal's log line", () -> log.count("not in outer.trustedProxies") == 1);
        }
    }

    @Test
    void malformedTruncatedAndSlowHeadersGetAClearClose() throws Exception {
        try (Target target = Target.echo();
                TestTunnel t = behindBalancer(target);
                LogCapture log = LogCapture.start()) {
            t.startInner();
            int port = t.outer.port("r0");
            try (Socket lb = from(BALANCER, port)) {
                lb.getOutputStream()
                        .write("PROXY TCP4 not-an-address 1.2.3.4 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(-1, lb.getInputStream().read());
            }
            try (Socket lb = from(BALANCER, port)) {
                lb.getOutputStream().write(new byte[] {'\r', '\n', '\r', '\n', 0, '\r', '\n'});
                lb.shutdownOutput();
                assertEquals(-1, lb.getInputStream().read());
            }
            try (Socket lb = from(BALANCER, port)) {
                // A plain request where a header must be: never guessed to be one's first bytes.
                lb.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(-1, lb.getInputStream().read());
            }
            long start = System.nanoTime();
            try (Socket lb = from(BALANCER, port)) {
                assertEquals(-1, lb.getInputStream().read(), "says nothing: closed at the deadline");
            }
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= 2_900 && waitedMs < 8_000, "closed after " + waitedMs + "ms");
            assertEquals(0, target.accepted.get());
            Await.until("each refusal logged with its reason, sparingly", () -> log.count("refused: ") >= 2);
            assertTrue(log.text().contains("no PROXY header within 3000ms"), log.text());
        }
    }

    private static Socket from(String local, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }
}

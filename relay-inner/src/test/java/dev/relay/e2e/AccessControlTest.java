package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.relay.config.HostPort;
import dev.relay.config.Route;
import dev.relay.net.AddressRule;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Who may use a route (the outer's source allowlist) and where an inner may connect (its target allowlist).
 * 127.0.0.2 stands in for another client: every 127.x address is loopback.
 */
@ExtendWith(NoLeaks.class)
class AccessControlTest {

    @Test
    void aRouteServesAllowedIpv4SourcesAndClosesOthersBeforeTheInnerHearsOfThem() throws Exception {
        try (Target echo = Target.echo()) {
            Route r = TestTunnel.route("r0", echo).withAllow(AddressRule.parseAll(List.of("127.0.0.1/32")));
            try (TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, r).pool(0)) {
                t.startInner();
                try (Socket allowed = connectFrom("127.0.0.1", "127.0.0.1", t.outer.port("r0"))) {
                    assertEquals("in", TunnelTest.roundTrip(allowed, "in"));
                }
                for (int i = 0; i < 20; i++) {
                    try (Socket stranger = connectFrom("127.0.0.2", "127.0.0.1", t.outer.port("r0"))) {
                        assertEquals(-1, stranger.getInputStream().read());
                    }
                }
                assertEquals(1, echo.accepted.get(), "only the allowed user may reach the target");
                assertEquals(0, t.outer.pendingOpens());
            }
        }
    }

    @Test
    void aDualStackRouteMatchesIpv6AndIpv4MappedSources() throws Exception {
        try (Target echo = Target.echo()) {
            Route r = Route.of("r0", new HostPort("::", 0), new HostPort("127.0.0.1", echo.port()))
                    .withAllow(AddressRule.parseAll(List.of("::1", "127.0.0.1")));
            try (TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, r)) {
                t.startInner();
                int port = t.outer.port("r0");
                try (Socket v6 = connectFrom("::1", "::1", port)) {
                    assertEquals("six", TunnelTest.roundTrip(v6, "six"));
                }
                try (Socket v4 = connectFrom("127.0.0.1", "127.0.0.1", port)) {
                    assertEquals("four", TunnelTest.roundTrip(v4, "four"));
                }
                try (Socket stranger = connectFrom("127.0.0.2", "127.0.0.1", port)) {
                    assertEquals(-1, stranger.getInputStream().read());
                }
                assertEquals(2, echo.accepted.get());
            }
        }
    }

    @Test
    void anAllInterfacesRouteIsDualStackAndItsAllowListSeesIpv4MappedUsersAsIpv4() throws Exception {
        try (Target echo = Target.echo()) {
            // 0.0.0.0, like a bare port, binds every interface of both families: ::1 reaches it too.
            Route r = Route.of("r0", new HostPort("0.0.0.0", 0), new HostPort("127.0.0.1", echo.port()))
                    .withAllow(AddressRule.parseAll(List.of("::ffff:127.0.0.1", "::1")));
            try (TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, r)) {
                t.startInner();
                int port = t.outer.port("r0");
                try (Socket v4 = connectFrom("127.0.0.1", "127.0.0.1", port)) {
                    assertEquals("mapped rule", TunnelTest.roundTrip(v4, "mapped rule"));
                }
                try (Socket v6 = connectFrom("::1", "::1", port)) {
                    assertEquals("v6 on 0.0.0.0", TunnelTest.roundTrip(v6, "v6 on 0.0.0.0"));
                }
                try (Socket other = connectFrom("127.0.0.2", "127.0.0.1", port)) {
                    assertEquals(-1, other.getInputStream().read());
                }
                assertEquals(2, echo.accepted.get());
            }
            Route v4Only = Route.of("r1", new HostPort("0.0.0.0", 0), new HostPort("127.0.0.1", echo.port()))
                    .withAllow(AddressRule.parseAll(List.of("127.0.0.0/8")));
            try (TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, v4Only)) {
                t.startInner();
                try (Socket v6 = connectFrom("::1", "::1", t.outer.port("r1"))) {
                    assertEquals(-1, v6.getInputStream().read(), "::1 is not in 127.0.0.0/8");
                }
            }
        }
    }

    @Test
    void oneAddressCannotHoldMoreThanItsShareOfARoute() throws Exception {
        try (Target echo = Target.echo()) {
            Route r = Route.of("r0", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", echo.port()))
                    .withMaxSessionsPerSource(2);
            try (TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, r)) {
                t.startInner();
                int port = t.outer.port("r0");
                try (Socket a = connectFrom("127.0.0.2", "127.0.0.1", port);
                        Socket b = connectFrom("127.0.0.2", "127.0.0.1", port)) {
                    assertEquals("a", TunnelTest.roundTrip(a, "a"));
                    assertEquals("b", TunnelTest.roundTrip(b, "b"));
                    try (Socket third = connectFrom("127.0.0.2", "127.0.0.1", port)) {
                        assertEquals(-1, third.getInputStream().read(), "a third session from the same address");
                    }
                    try (Socket other = connectFrom("127.0.0.3", "127.0.0.1", port)) {
                        assertEquals("other", TunnelTest.roundTrip(other, "other"));
                    }
                }
                Await.until("the sessions to end", () -> t.outer.activeSessions() == 0);
                try (Socket again = connectFrom("127.0.0.2", "127.0.0.1", port)) {
                    assertEquals("again", TunnelTest.roundTrip(again, "again"), "its slots came back");
                }
            }
        }
    }

    @Test
    void anIpv6OnlyAllowListRefusesIpv6SourcesOutsideIt() throws Exception {
        try (Target echo = Target.echo()) {
            Route r = Route.of("r0", new HostPort("::1", 0), new HostPort("127.0.0.1", echo.port()))
                    .withAllow(AddressRule.parseAll(List.of("2001:db8::/32")));
            try (TestTunnel t = TestTunnel.outerOnly(TestTunnel.FAST, r)) {
                t.startInner();
                try (Socket v6 = connectFrom("::1", "::1", t.outer.port("r0"))) {
                    assertEquals(-1, v6.getInputStream().read());
                }
                assertEquals(0, echo.accepted.get());
            }
        }
    }

    @Test
    void anInnerRefusesRoutesWhoseTargetIsNotInItsAllowListAndServesTheRest() throws Exception {
        try (Target allowed = Target.echo();
                Target forbidden = Target.echo();
                TestTunnel t = TestTunnel.outerOnly(
                        TestTunnel.FAST, TestTunnel.route("ok", allowed), TestTunnel.route("no", forbidden))) {
            t.startInner(
                    t.innerConfig().withAllowTargets(AddressRule.parseAll(List.of("127.0.0.1:" + allowed.port()))));
            try (Socket s = t.connect("ok")) {
                assertEquals("fine", TunnelTest.roundTrip(s, "fine"));
            }
            try (Socket s = t.connect("no")) {
                s.getOutputStream().write("let me in".getBytes());
                assertEquals(-1, s.getInputStream().read());
            }
            assertEquals(0, forbidden.accepted.get(), "the inner must never connect to a target outside its list");
            try (Socket s = t.connect("ok")) {
                assertEquals("still fine", TunnelTest.roundTrip(s, "still fine"));
            }
        }
    }

    private static Socket connectFrom(String local, String remote, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        s.connect(new InetSocketAddress(InetAddress.getByName(remote), port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }
}

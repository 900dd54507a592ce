package dev.relay.proxy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * One PROXY protocol header: the client a proxy relays and the address it accepted it on. A header that names no
 * client ({@link #LOCAL}, {@link #UNKNOWN}) carries null addresses and means "use the connection's own endpoints".
 * IPv4 transports hold IPv4 addresses; IPv6 ones may hold IPv4 addresses too, which go on the wire IPv4-mapped.
 */
public record ProxyHeader(
        Command command, Transport transport, InetSocketAddress source, InetSocketAddress destination) {
    /** A connection the proxy made itself, such as a health check; v2 LOCAL, and v1 can only say UNKNOWN. */
    public static final ProxyHeader LOCAL = new ProxyHeader(Command.LOCAL, Transport.UNSPEC, null, null);
    /** A relayed connection whose client the proxy cannot name: v1 {@code PROXY UNKNOWN}, v2 PROXY with UNSPEC. */
    public static final ProxyHeader UNKNOWN = new ProxyHeader(Command.PROXY, Transport.UNSPEC, null, null);

    /** The v2 command, the low nibble of its thirteenth byte; v1 headers are always PROXY. */
    public enum Command {
        LOCAL(0x0),
        PROXY(0x1);

        final int code;

        Command(int code) {
            this.code = code;
        }
    }

    /** The v2 address family and transport byte; v1 spells TCP4, TCP6 and UNSPEC (as UNKNOWN) only. */
    public enum Transport {
        UNSPEC(0x00, 0),
        TCP4(0x11, 4),
        UDP4(0x12, 4),
        TCP6(0x21, 16),
        UDP6(0x22, 16);

        final int code;
        final int addressLength;

        Transport(int code, int addressLength) {
            this.code = code;
            this.addressLength = addressLength;
        }

        /** Bytes of the v2 address block: two addresses, then two 16-bit ports. */
        int blockLength() {
            return addressLength == 0 ? 0 : 2 * addressLength + 4;
        }
    }

    public ProxyHeader {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(transport, "transport");
        if (transport == Transport.UNSPEC) {
            if (source != null || destination != null) {
                throw new IllegalArgumentException("an UNSPEC header carries no addresses");
            }
        } else {
            if (command == Command.LOCAL) {
                throw new IllegalArgumentException("a LOCAL header carries no addresses");
            }
            requireFits(source, "source", transport);
            requireFits(destination, "destination", transport);
        }
    }

    /** A TCP header for a client and the address it reached: TCP4 when both are IPv4 (or IPv4-mapped), else TCP6. */
    public static ProxyHeader tcp(InetSocketAddress source, InetSocketAddress destination) {
        return of(Transport.TCP4, Transport.TCP6, source, destination);
    }

    /** A UDP header for a client and the address it reached: UDP4 when both are IPv4 (or IPv4-mapped), else UDP6. */
    public static ProxyHeader udp(InetSocketAddress source, InetSocketAddress destination) {
        return of(Transport.UDP4, Transport.UDP6, source, destination);
    }

    /** Whether the header names the client; if not, the connection's own endpoints stand. */
    public boolean namesClient() {
        return source != null;
    }

    private static ProxyHeader of(Transport v4, Transport v6, InetSocketAddress source, InetSocketAddress destination) {
        InetSocketAddress s = unmapped(source, "source");
        InetSocketAddress d = unmapped(destination, "destination");
        // One header has one family: two IPv4 ends need no IPv6, and a mixed pair goes as IPv6 with the IPv4 end
        // mapped.
        boolean both4 = s.getAddress() instanceof Inet4Address && d.getAddress() instanceof Inet4Address;
        return new ProxyHeader(Command.PROXY, both4 ? v4 : v6, s, d);
    }

    /** The address with an IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer) made IPv4. */
    private static InetSocketAddress unmapped(InetSocketAddress a, String name) {
        requireResolved(a, name);
        try {
            // getByAddress is what turns ::ffff:a.b.c.d into an Inet4Address; it never asks DNS.
            InetAddress ip = InetAddress.getByAddress(a.getAddress().getAddress());
            return ip instanceof Inet4Address ? new InetSocketAddress(ip, a.getPort()) : a;
        } catch (UnknownHostException e) {
            throw new AssertionError("an InetAddress's own bytes are always an address", e);
        }
    }

    private static void requireFits(InetSocketAddress a, String name, Transport transport) {
        requireResolved(a, name);
        if (transport.addressLength == 4 && !(a.getAddress() instanceof Inet4Address)) {
            throw new IllegalArgumentException(name + " " + a + " is not IPv4, which " + transport + " carries");
        }
    }

    private static void requireResolved(InetSocketAddress a, String name) {
        if (a == null || a.isUnresolved()) {
            throw new IllegalArgumentException("the " + name + " must be a resolved address, not " + a);
        }
    }
}

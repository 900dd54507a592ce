package dev.relay.protocol;

import dev.relay.net.IpLiteral;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Socket addresses as they travel in an {@link OuterToInner.Open}: {@code a.b.c.d:port} or {@code [v6]:port}, an IP
 * literal (never a name) and a port, so the inner can put them in a PROXY header without a lookup.
 */
public final class Endpoints {
    /** The longest such text: a bracketed IPv6 literal with an IPv4 tail, and a port. */
    static final int MAX_LENGTH = 53;

    private Endpoints() {}

    /** The text for {@code a}, whose address must be resolved. */
    public static String of(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        int zone = host.indexOf('%');
        if (zone >= 0) {
            host = host.substring(0, zone);
        }
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** The address a text from {@link #of} names; throws IllegalArgumentException naming {@code field} if none. */
    public static InetSocketAddress parse(String field, String text) {
        check(field, text);
        int colon = text.lastIndexOf(':');
        String host = text.startsWith("[") ? text.substring(1, colon - 1) : text.substring(0, colon);
        InetAddress ip = IpLiteral.literal(host).orElseThrow();
        return new InetSocketAddress(ip, Integer.parseInt(text.substring(colon + 1)));
    }

    static void check(String field, String text) {
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(field + " is " + text.length() + " characters, over " + MAX_LENGTH);
        }
        int colon = text.lastIndexOf(':');
        String port = colon < 0 ? "" : text.substring(colon + 1);
        String host = colon < 0 ? "" : text.substring(0, colon);
        boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (bracketed) {
            host = host.substring(1, host.length() - 1);
        }
        byte[] ip = IpLiteral.parse(host);
        boolean ok = ip != null
                && (ip.length == 16) == bracketed
                && !port.isEmpty()
                && port.length() <= 5
                && port.chars().allMatch(c -> c >= '0' && c <= '9')
                && Integer.parseInt(port) <= 65535;
        if (!ok) {
            throw new IllegalArgumentException(field + " \"" + Frames.printable(text) + "\" is not ip:port");
        }
    }
}

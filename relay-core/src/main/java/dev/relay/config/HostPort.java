package dev.relay.config;

import dev.relay.protocol.Frames;
import java.net.InetSocketAddress;
import java.util.Objects;

/** A host (name, IPv4 or IPv6 literal) and a port, written {@code host:port} or {@code [v6]:port}. */
public record HostPort(String host, int port) {
    /** The wildcard address a bare port number listens on, like the original rinetd. */
    public static final String ALL_INTERFACES = "0.0.0.0";
    /** The longest DNS name. */
    public static final int MAX_HOST_LENGTH = 253;

    public HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host is empty");
        }
        if (host.length() > MAX_HOST_LENGTH || !host.chars().allMatch(HostPort::hostChar)) {
            // Text a peer may send ends up in logs and in allowTargets comparisons: plain ASCII only, so neither a
            // newline nor a look-alike letter (the Kelvin sign for K) gets through.
            throw new IllegalArgumentException("host \"" + Frames.printable(host) + "\" must be a DNS name of at most "
                    + MAX_HOST_LENGTH + " ASCII letters, digits, '.', '-' or '_' (IDNA xn-- form for others), or an"
                    + " IP address");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range (0-65535)");
        }
    }

    private static boolean hostChar(int c) {
        return c >= 'a' && c <= 'z'
                || c >= 'A' && c <= 'Z'
                || c >= '0' && c <= '9'
                || c == '.'
                || c == '-'
                || c == '_'
                || c == ':'
                || c == '%';
    }

    /** Parses {@code host:port}; {@code [::1]:80} for IPv6 literals. */
    public static HostPort parse(String text) {
        Objects.requireNonNull(text, "address");
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw malformed(text, "an IPv6 address is written [address]:port");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw malformed(text, "expected host:port");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.contains(":")) {
                throw malformed(text, "an IPv6 address is written [address]:port");
            }
        }
        if (host.isEmpty()) {
            throw malformed(text, "the host is empty");
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw malformed(text, "the port is not a number");
        }
        int p = Integer.parseInt(port);
        if (p > 65535) {
            throw malformed(text, "port " + p + " is out of range (0-65535)");
        }
        return new HostPort(host, p);
    }

    /** A port on all interfaces. */
    public static HostPort anyInterface(int port) {
        return new HostPort(ALL_INTERFACES, port);
    }

    /** Resolves the host now; callers that connect do this per connection so DNS changes are followed. */
    public InetSocketAddress resolve() {
        return new InetSocketAddress(host, port);
    }

    /** This address with another port, e.g. the port a listener actually bound. */
    public HostPort withPort(int newPort) {
        return new HostPort(host, newPort);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static IllegalArgumentException malformed(String text, String why) {
        return new IllegalArgumentException("malformed address \"" + text + "\": " + why);
    }
}

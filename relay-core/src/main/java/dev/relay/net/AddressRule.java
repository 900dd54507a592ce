package dev.relay.net;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One allowlist entry: an IP network ({@code 203.0.113.0/24}, {@code 2001:db8::/32}), a single address or a DNS
 * name, optionally with a port ({@code 192.168.1.0/24:22}, {@code [::1]:22}, {@code db.lan:5432}; none or {@code *}
 * allows every port). Parsing never does a DNS lookup. An IPv4-mapped address ({@code ::ffff:a.b.c.d}) is treated
 * as the IPv4 address {@code a.b.c.d}, in rules and in the addresses they are matched against alike.
 */
public final class AddressRule {
    private static final int ANY_PORT = -1;
    private static final int MAX_PORT = 65535;
    private static final int MAX_NAME_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;
    private static final int MAPPED_PREFIX_BITS = 96;

    /** Null for a name entry; else 4 or 16 bytes with every host bit zero, IPv4-mapped networks stored as IPv4. */
    private final byte[] network;

    private final int prefix;
    /** Null for a network entry; else lower case, without a trailing dot. */
    private final String name;

    private final int port;
    private final String canonical;

    private AddressRule(byte[] network, int prefix, String name, int port, String canonical) {
        this.network = network;
        this.prefix = prefix;
        this.name = name;
        this.port = port;
        this.canonical = canonical;
    }

    /** Parses one entry; the exception message quotes the text and says what is wrong with it. */
    public static AddressRule parse(String text) {
        Objects.requireNonNull(text, "address rule");
        if (text.isBlank()) {
            throw invalid(text, "it is empty");
        }
        String address;
        String portText = null;
        boolean bracketed = text.startsWith("[");
        if (bracketed) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw invalid(text, "the \"[\" has no matching \"]\"");
            }
            address = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw invalid(text, "expected \":port\" after \"]\"");
                }
                portText = rest.substring(1);
            }
        } else {
            int colon = text.indexOf(':');
            int slash = text.indexOf('/');
            if (colon >= 0 && colon == text.lastIndexOf(':')) {
                address = text.substring(0, colon);
                portText = text.substring(colon + 1);
            } else if (colon >= 0 && slash >= 0 && text.indexOf(':', slash) >= 0) {
                int last = text.lastIndexOf(':');
                throw invalid(
                        text,
                        "an IPv6 entry with a port needs brackets: \"[" + text.substring(0, last) + "]"
                                + text.substring(last) + "\"");
            } else {
                address = text; // no colon, or an IPv6 address: more than one
            }
        }
        int port = portText == null ? ANY_PORT : parsePort(text, portText);
        int slash = address.indexOf('/');
        String host = slash < 0 ? address : address.substring(0, slash);
        if (host.isEmpty()) {
            throw invalid(text, "the address is empty");
        }
        if (bracketed && !host.contains(":")) {
            throw invalid(text, "brackets are only for IPv6 addresses");
        }
        if (host.contains(":")) {
            byte[] ip = IpLiteral.parseIpv6(host);
            if (ip == null) {
                throw invalid(text, ipv6Problem(text, host, address, bracketed));
            }
            return network(text, ip, slash < 0 ? null : address.substring(slash + 1), port);
        }
        if (host.chars().allMatch(c -> c >= '0' && c <= '9' || c == '.')) {
            byte[] ip = IpLiteral.parseIpv4(host);
            if (ip == null) {
                throw invalid(text, "\"" + host + "\" is not a valid IPv4 address");
            }
            return network(text, ip, slash < 0 ? null : address.substring(slash + 1), port);
        }
        if (slash >= 0) {
            throw invalid(text, "\"" + host + "\" is a name, not an IP address, so it cannot have a prefix length");
        }
        return named(text, host, port);
    }

    /** Parses every entry, in order. */
    public static List<AddressRule> parseAll(List<String> texts) {
        return texts.stream().map(AddressRule::parse).toList();
    }

    /** Whether {@code address} is inside this entry's network; a name entry matches no address, and the port is ignored. */
    public boolean matches(InetAddress address) {
        return network != null && contains(address.getAddress());
    }

    /**
     * Whether a connection to {@code host:port} is allowed: an IP literal must be inside this entry's network,
     * a DNS name must equal this entry's name (ignoring ASCII case only: no other letter folds into an ASCII one),
     * and the port must match unless this entry allows any.
     */
    public boolean matchesTarget(String host, int port) {
        if (this.port != ANY_PORT && this.port != port) {
            return false;
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        byte[] ip = IpLiteral.parse(h);
        if (ip != null) {
            return network != null && contains(ip);
        }
        String n = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
        return name != null && name.equals(asciiLowerCase(n));
    }

    /** Lower case for ASCII letters alone; anything else stays as it is, and so never equals a checked name. */
    private static String asciiLowerCase(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.chars().forEach(c -> b.append((char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c)));
        return b.toString();
    }

    /** Whether this entry is a DNS name rather than a network, so it can never match a source address. */
    public boolean isName() {
        return name != null;
    }

    /** The one port this entry allows, or empty when it allows every port. */
    public OptionalInt port() {
        return port == ANY_PORT ? OptionalInt.empty() : OptionalInt.of(port);
    }

    /** The canonical text: lower case, IPv6 compressed per RFC 5952, no prefix for one address, no port for any. */
    @Override
    public String toString() {
        return canonical;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressRule r && r.canonical.equals(canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode();
    }

    private boolean contains(byte[] address) {
        byte[] a = IpLiteral.unmapped(address);
        if (a.length != network.length) {
            return false;
        }
        int whole = prefix / 8;
        for (int i = 0; i < whole; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        return rest == 0 || ((a[whole] ^ network[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
    }

    private static AddressRule network(String text, byte[] ip, String prefixText, int port) {
        int bits = ip.length * 8;
        int prefix = bits;
        if (prefixText != null) {
            if (prefixText.isEmpty() || !prefixText.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw invalid(text, "the prefix length \"/" + prefixText + "\" is not a number");
            }
            prefix = prefixText.length() > 3 ? Integer.MAX_VALUE : Integer.parseInt(prefixText);
            if (prefix > bits) {
                throw invalid(
                        text,
                        "the prefix length /" + prefixText + " is too long for an IPv" + (bits == 32 ? 4 : 6)
                                + " address (at most /" + bits + ")");
            }
        }
        byte[] masked = mask(ip, prefix);
        String canonical = canonical(masked, prefix, port);
        if (!Arrays.equals(masked, ip)) {
            throw invalid(text, "host bits are set after the /" + prefix + "; did you mean \"" + canonical + "\"?");
        }
        if (masked.length == 16 && IpLiteral.isMapped(masked) && prefix >= MAPPED_PREFIX_BITS) {
            return new AddressRule(IpLiteral.unmapped(masked), prefix - MAPPED_PREFIX_BITS, null, port, canonical);
        }
        return new AddressRule(masked, prefix, null, port, canonical);
    }

    private static AddressRule named(String text, String host, int port) {
        String n = asciiLowerCase(host.endsWith(".") ? host.substring(0, host.length() - 1) : host);
        if (n.isEmpty() || n.length() > MAX_NAME_LENGTH) {
            throw invalid(text, "\"" + host + "\" is not a valid host name (1 to " + MAX_NAME_LENGTH + " characters)");
        }
        String[] labels = n.split("\\.", -1);
        for (String label : labels) {
            boolean ok = !label.isEmpty()
                    && label.length() <= MAX_LABEL_LENGTH
                    && !label.startsWith("-")
                    && !label.endsWith("-")
                    && label.chars()
                            .allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_');
            if (!ok) {
                throw invalid(
                        text,
                        "\"" + host + "\" is not a valid host name (letters, digits, '-' and '_' "
                                + "in dot-separated labels of at most " + MAX_LABEL_LENGTH + ")");
            }
        }
        if (labels[labels.length - 1].chars().allMatch(c -> c >= '0' && c <= '9')) {
            // RFC 3696 2: a top-level label is never all digits, so this is a mistyped IPv4 address.
            throw invalid(text, "\"" + host + "\" is neither a valid IPv4 address nor a host name");
        }
        return new AddressRule(null, 0, n, port, port == ANY_PORT ? n : n + ":" + port);
    }

    private static int parsePort(String text, String portText) {
        if (portText.equals("*")) {
            return ANY_PORT;
        }
        if (portText.isEmpty() || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(text, "the port \"" + portText + "\" is not a number (or * for any port)");
        }
        int p = portText.length() > 5 ? Integer.MAX_VALUE : Integer.parseInt(portText);
        if (p < 1 || p > MAX_PORT) {
            throw invalid(text, "the port " + portText + " is out of range (1-" + MAX_PORT + ")");
        }
        return p;
    }

    /** Explains an unparseable IPv6 host: most often an IPv6 entry whose port was added without brackets. */
    private static String ipv6Problem(String text, String host, String address, boolean bracketed) {
        int last = text.lastIndexOf(':');
        if (!bracketed && last > 0) {
            String before = text.substring(0, last);
            int slash = before.indexOf('/');
            if (IpLiteral.parseIpv6(slash < 0 ? before : before.substring(0, slash)) != null) {
                return "an IPv6 entry with a port needs brackets: \"[" + before + "]" + text.substring(last) + "\"";
            }
        }
        if (host.contains("%")) {
            return "\"" + host + "\" has a zone (%...), which an allowlist cannot use";
        }
        return "\"" + host + "\" is not a valid IPv6 address"
                + (bracketed || !address.equals(text) ? "" : " (an IPv6 entry with a port is written [address]:port)");
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("invalid address rule \"" + text + "\": " + why);
    }

    private static String canonical(byte[] ip, int prefix, int port) {
        String a = IpLiteral.format(ip);
        String net = prefix == ip.length * 8 ? a : a + "/" + prefix;
        if (port == ANY_PORT) {
            return net;
        }
        return (ip.length == 16 ? "[" + net + "]" : net) + ":" + port;
    }

    private static byte[] mask(byte[] ip, int prefix) {
        byte[] out = ip.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - 8 * i));
            out[i] &= (byte) (0xff << (8 - keep));
        }
        return out;
    }
}

package dev.relay.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;

/**
 * IPv4 and IPv6 literals as text, parsed and formatted without a DNS lookup. Parsing is strict: a dotted quad has
 * no leading zeros (which some parsers read as octal), and IPv6 takes the RFC 4291 text forms; formatting follows
 * RFC 5952.
 */
public final class IpLiteral {
    private static final int MAPPED_PREFIX_BYTES = 12;

    private IpLiteral() {}

    /** The IPv4 or IPv6 address {@code text} spells, without a DNS lookup; empty if it is not an IP literal. */
    public static Optional<InetAddress> literal(String text) {
        byte[] ip = parse(text);
        if (ip == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByAddress(ip));
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }

    /** An address as text: a dotted quad, or RFC 5952 IPv6 (an IPv4-mapped one as {@code ::ffff:a.b.c.d}). */
    public static String format(byte[] ip) {
        return ip.length == 4 ? formatIpv4(ip, 0) : formatIpv6(ip);
    }

    /** Whether a 16-byte address is IPv4-mapped ({@code ::ffff:a.b.c.d}). */
    static boolean isMapped(byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return ip[10] == (byte) 0xff && ip[11] == (byte) 0xff;
    }

    /** The IPv4 address inside an IPv4-mapped one; any other address as it is. */
    static byte[] unmapped(byte[] ip) {
        return ip.length == 16 && isMapped(ip) ? Arrays.copyOfRange(ip, MAPPED_PREFIX_BYTES, 16) : ip;
    }

    /** The 4 or 16 bytes an IPv4 or IPv6 literal spells, or null if {@code s} is not one. */
    public static byte[] parse(String s) {
        return s.contains(":") ? parseIpv6(s) : parseIpv4(s);
    }

    /** Strict dotted quad: four decimal parts, no leading zeros (which some parsers read as octal). */
    static byte[] parseIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty()
                    || p.length() > 3
                    || (p.length() > 1 && p.charAt(0) == '0')
                    || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /** RFC 4291 2.2 text forms: eight groups, one "::" for a run of zero groups, an optional dotted-quad tail. */
    static byte[] parseIpv6(String s) {
        int gap = s.indexOf("::");
        if (gap >= 0 && gap != s.lastIndexOf("::")) {
            return null;
        }
        int[] head = groups(gap < 0 ? s : s.substring(0, gap), gap < 0);
        int[] tail = gap < 0 ? new int[0] : groups(s.substring(gap + 2), true);
        if (head == null || tail == null) {
            return null;
        }
        int total = head.length + tail.length;
        if (gap < 0 ? total != 8 : total > 7) {
            return null;
        }
        byte[] out = new byte[16];
        for (int i = 0; i < head.length; i++) {
            out[2 * i] = (byte) (head[i] >> 8);
            out[2 * i + 1] = (byte) head[i];
        }
        for (int i = 0; i < tail.length; i++) {
            int g = 8 - tail.length + i;
            out[2 * g] = (byte) (tail[i] >> 8);
            out[2 * g + 1] = (byte) tail[i];
        }
        return out;
    }

    /** The 16-bit groups of a colon-separated part; only the address's last part may end with a dotted quad. */
    private static int[] groups(String part, boolean last) {
        if (part.isEmpty()) {
            return new int[0];
        }
        String[] pieces = part.split(":", -1);
        int[] out = new int[pieces.length + 1];
        int n = 0;
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            if (p.contains(".")) {
                byte[] v4 = last && i == pieces.length - 1 ? parseIpv4(p) : null;
                if (v4 == null) {
                    return null;
                }
                out[n++] = (v4[0] & 0xff) << 8 | v4[1] & 0xff;
                out[n++] = (v4[2] & 0xff) << 8 | v4[3] & 0xff;
            } else {
                if (p.isEmpty() || p.length() > 4 || !p.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
                    return null;
                }
                out[n++] = Integer.parseInt(p, 16);
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static String formatIpv4(byte[] ip, int from) {
        return (ip[from] & 0xff) + "." + (ip[from + 1] & 0xff) + "." + (ip[from + 2] & 0xff) + "."
                + (ip[from + 3] & 0xff);
    }

    /** RFC 5952: lower-case hex, the longest run (two or more, leftmost on a tie) of zero groups as "::". */
    private static String formatIpv6(byte[] ip) {
        if (isMapped(ip)) {
            return "::ffff:" + formatIpv4(ip, MAPPED_PREFIX_BYTES);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (ip[2 * i] & 0xff) << 8 | ip[2 * i + 1] & 0xff;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}

package dev.relay.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.relay.net.IpLiteral;
import dev.relay.proxy.ProxyHeader.Command;
import dev.relay.proxy.ProxyHeader.Transport;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The PROXY protocol, versions 1 and 2 (haproxy.org, proxy-protocol.txt): the header a load balancer puts before a
 * connection's first byte to name the client it relays. {@link #read} runs on the connection's own thread before
 * anything else reads the socket, and reads exactly the header: the client's bytes follow it in the same stream.
 *
 * <p>Decisions the spec leaves open: v2's AF_UNIX families read as {@link ProxyHeader#UNKNOWN} (the spec lets a
 * receiver fall back to UNSPEC for families it does not support, and a socket path names no client we could use);
 * port 0 is accepted, being in the spec's range; v2 TLVs are walked to check they fit the declared length, then
 * dropped.
 */
public final class ProxyProtocol {
    /** Longest v1 header the spec allows, CRLF included. */
    public static final int V1_MAX_LENGTH = 107;
    /** Most TLV bytes a v2 header may carry after its addresses; HAProxy sends a few dozen, so more is refused. */
    public static final int V2_MAX_TLV_BYTES = 1024;
    /** Bytes of a v2 header before its address block: signature, version and command, family, length. */
    public static final int V2_FIXED_LENGTH = 16;

    private static final byte[] V1_PREFIX = "PROXY ".getBytes(US_ASCII);
    private static final String V1_UNKNOWN = "UNKNOWN";
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final int V2_VERSION = 2;
    private static final int V2_UNIX_STREAM = 0x31;
    private static final int V2_UNIX_DGRAM = 0x32;
    /** Two 108-byte socket paths. */
    private static final int V2_UNIX_BLOCK = 216;
    /** A TLV's type byte and 16-bit length. */
    private static final int TLV_HEADER = 3;

    private static final int MAX_PORT = 65535;
    private static final int MAX_PORT_DIGITS = 5;
    private static final int IPV6_LENGTH = 16;
    private static final int MAPPED_PREFIX = 12;

    private ProxyProtocol() {}

    /**
     * Reads one v1 or v2 header, whichever the first byte announces, and not one byte more. It expects a socket with
     * SO_TIMEOUT set: a peer that stalls mid-header is cut off by the read timeout alone.
     *
     * After any exception the stream's position is unknown, so the connection is only fit to be closed.
     *
     * @throws EOFException when the stream ends before the first byte
     * @throws ProxyProtocolException when the stream does not start with a well-formed header, or ends inside one
     */
    public static ProxyHeader read(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            throw new EOFException("connection closed before its PROXY header");
        }
        if (first == V1_PREFIX[0]) {
            return readV1(in);
        }
        if (first == V2_SIGNATURE[0]) {
            return readV2(in);
        }
        // Never guess: a connection that must start with a header and does not is refused, not passed through.
        throw new ProxyProtocolException(String.format(
                "no PROXY header: the first byte is 0x%02x, not the 'P' of v1's \"PROXY \" (upper case) nor the CR"
                        + " of the v2 signature",
                first));
    }

    /** The v1 line for a header; one without addresses is {@code PROXY UNKNOWN}. v1 has no form for UDP. */
    public static byte[] v1(ProxyHeader header) {
        Transport t = header.transport();
        String line = switch (t) {
            case UNSPEC -> "PROXY " + V1_UNKNOWN;
            case TCP4, TCP6 ->
                String.join(
                        " ",
                        "PROXY",
                        t.name(),
                        IpLiteral.format(wire(header.source().getAddress(), t)),
                        IpLiteral.format(wire(header.destination().getAddress(), t)),
                        Integer.toString(header.source().getPort()),
                        Integer.toString(header.destination().getPort()));
            case UDP4, UDP6 -> throw new IllegalArgumentException("PROXY v1 cannot carry " + t);
        };
        return (line + "\r\n").getBytes(US_ASCII);
    }

    /** The v2 header, without TLVs; one without addresses has family UNSPEC and an empty address block. */
    public static byte[] v2(ProxyHeader header) {
        Transport t = header.transport();
        ByteBuffer b = ByteBuffer.allocate(V2_FIXED_LENGTH + t.blockLength())
                .put(V2_SIGNATURE)
                .put((byte) (V2_VERSION << 4 | header.command().code))
                .put((byte) t.code)
                .putShort((short) t.blockLength());
        if (t != Transport.UNSPEC) {
            b.put(wire(header.source().getAddress(), t))
                    .put(wire(header.destination().getAddress(), t))
                    .putShort((short) header.source().getPort())
                    .putShort((short) header.destination().getPort());
        }
        return b.array();
    }

    private static ProxyHeader readV1(InputStream in) throws IOException {
        byte[] line = new byte[V1_MAX_LENGTH];
        line[0] = V1_PREFIX[0];
        int n = 1;
        // Byte by byte: any read-ahead would swallow the client's first bytes, which follow the CRLF directly.
        while (line[n - 1] != '\n') {
            if (n == V1_MAX_LENGTH) {
                throw new ProxyProtocolException("v1 header has no CRLF within " + V1_MAX_LENGTH + " bytes");
            }
            int b = in.read();
            if (b < 0) {
                throw new ProxyProtocolException(
                        "truncated v1 header: the connection ended after " + n + " bytes, before the CRLF");
            }
            if (n < V1_PREFIX.length && b != V1_PREFIX[n]) {
                throw new ProxyProtocolException("no PROXY header: a v1 header starts with \"PROXY \", upper case");
            }
            line[n++] = (byte) b;
        }
        if (line[n - 2] != '\r') {
            throw new ProxyProtocolException("v1 header ends with a bare LF, not CRLF");
        }
        return parseV1(new String(line, V1_PREFIX.length, n - 2 - V1_PREFIX.length, US_ASCII));
    }

    /** Everything between "PROXY " and the CRLF. */
    private static ProxyHeader parseV1(String rest) throws ProxyProtocolException {
        if (rest.equals(V1_UNKNOWN) || rest.startsWith(V1_UNKNOWN + " ")) {
            return ProxyHeader.UNKNOWN; // The spec says to ignore whatever follows UNKNOWN.
        }
        String[] fields = rest.split(" ", -1);
        if (Arrays.asList(fields).contains("")) {
            throw new ProxyProtocolException("v1 header has an empty field: fields are separated by single spaces");
        }
        Transport t = switch (fields[0]) {
            case "TCP4" -> Transport.TCP4;
            case "TCP6" -> Transport.TCP6;
            default -> throw new ProxyProtocolException("v1 protocol is not TCP4, TCP6 or UNKNOWN");
        };
        if (fields.length != 5) {
            throw new ProxyProtocolException("v1 " + t + " header has " + (fields.length - 1)
                    + " fields after the protocol, not 4 (source, destination, source port, destination port)");
        }
        return new ProxyHeader(
                Command.PROXY,
                t,
                new InetSocketAddress(v1Address(fields[1], t, "source"), v1Port(fields[3], "source")),
                new InetSocketAddress(v1Address(fields[2], t, "destination"), v1Port(fields[4], "destination")));
    }

    private static InetAddress v1Address(String text, Transport t, String which) throws ProxyProtocolException {
        // The text must be of the family named: TCP4 a dotted quad, TCP6 an IPv6 literal (which may end in one).
        byte[] ip = text.contains(":") == (t == Transport.TCP6) ? IpLiteral.parse(text) : null;
        if (ip == null) {
            throw new ProxyProtocolException("v1 " + which + " address is not an "
                    + (t == Transport.TCP4 ? "IPv4" : "IPv6") + " literal, which " + t + " requires");
        }
        return address(ip);
    }

    private static int v1Port(String text, String which) throws ProxyProtocolException {
        // A lone "0" is port 0; any other leading zero is refused, as the spec's examples never have one.
        if (text.length() > MAX_PORT_DIGITS
                || (text.length() > 1 && text.charAt(0) == '0')
                || !text.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(text) > MAX_PORT) {
            throw new ProxyProtocolException(
                    "v1 " + which + " port is not a decimal from 0 to " + MAX_PORT + " without leading zeros");
        }
        return Integer.parseInt(text);
    }

    private static ProxyHeader readV2(InputStream in) throws IOException {
        byte[] fixed = new byte[V2_FIXED_LENGTH];
        fixed[0] = V2_SIGNATURE[0];
        // The signature first, alone: a stranger's bytes are refused without waiting for four more.
        readFully(in, fixed, 1, V2_SIGNATURE.length, 0, V2_FIXED_LENGTH);
        if (!Arrays.equals(fixed, 0, V2_SIGNATURE.length, V2_SIGNATURE, 0, V2_SIGNATURE.length)) {
            throw new ProxyProtocolException("no PROXY header: it starts with CR but not with the v2 signature");
        }
        readFully(in, fixed, V2_SIGNATURE.length, V2_FIXED_LENGTH, 0, V2_FIXED_LENGTH);
        ByteBuffer after = ByteBuffer.wrap(fixed, V2_SIGNATURE.length, V2_FIXED_LENGTH - V2_SIGNATURE.length);
        int versionAndCommand = after.get() & 0xff;
        int family = after.get() & 0xff;
        int length = after.getShort() & 0xffff;
        if (versionAndCommand >> 4 != V2_VERSION) {
            throw new ProxyProtocolException(
                    "v2 header has version " + (versionAndCommand >> 4) + ", not " + V2_VERSION);
        }
        Command command = switch (versionAndCommand & 0x0f) {
            case 0x0 -> Command.LOCAL;
            case 0x1 -> Command.PROXY;
            default -> throw new ProxyProtocolException("v2 header has unknown command " + (versionAndCommand & 0x0f));
        };
        Transport transport = Arrays.stream(Transport.values())
                .filter(t -> t.code == family)
                .findFirst()
                .orElse(null);
        int block;
        if (transport != null) {
            block = transport.blockLength();
        } else if (family == V2_UNIX_STREAM || family == V2_UNIX_DGRAM) {
            block = V2_UNIX_BLOCK;
        } else {
            throw new ProxyProtocolException(
                    String.format("v2 header has unknown family and transport 0x%02x", family));
        }
        if (length < block) {
            throw new ProxyProtocolException(String.format(
                    "v2 header's length %d is shorter than the %d-byte address block family 0x%02x needs",
                    length, block, family));
        }
        if (length - block > V2_MAX_TLV_BYTES) {
            throw new ProxyProtocolException("v2 header declares " + (length - block)
                    + " bytes after its addresses, over the limit of " + V2_MAX_TLV_BYTES);
        }
        byte[] rest = new byte[length];
        readFully(in, rest, 0, length, V2_FIXED_LENGTH, V2_FIXED_LENGTH + length);
        checkTlvs(rest, block);
        if (command == Command.LOCAL) {
            return ProxyHeader.LOCAL; // The spec says to ignore a LOCAL header's addresses.
        }
        if (transport == null || transport == Transport.UNSPEC) {
            return ProxyHeader.UNKNOWN;
        }
        ByteBuffer b = ByteBuffer.wrap(rest);
        byte[] source = new byte[transport.addressLength];
        byte[] destination = new byte[transport.addressLength];
        b.get(source).get(destination);
        return new ProxyHeader(
                command,
                transport,
                new InetSocketAddress(address(source), b.getShort() & 0xffff),
                new InetSocketAddress(address(destination), b.getShort() & 0xffff));
    }

    /** Walks the TLVs after the address block: they must tile the declared length exactly, or we disagree on it. */
    private static void checkTlvs(byte[] rest, int from) throws ProxyProtocolException {
        for (int i = from; i < rest.length; ) {
            if (rest.length - i < TLV_HEADER) {
                throw new ProxyProtocolException("v2 header ends inside a TLV's type and length");
            }
            int type = rest[i] & 0xff;
            i += TLV_HEADER + ((rest[i + 1] & 0xff) << 8 | rest[i + 2] & 0xff);
            if (i > rest.length) {
                throw new ProxyProtocolException(
                        String.format("v2 TLV of type 0x%02x runs past the header's length", type));
            }
        }
    }

    /** Fills {@code b[from, to)}; {@code b[0]} is byte {@code at} of a header of {@code total}, for the message. */
    private static void readFully(InputStream in, byte[] b, int from, int to, int at, int total) throws IOException {
        int n = in.readNBytes(b, from, to - from);
        if (n < to - from) {
            throw new ProxyProtocolException(
                    "truncated v2 header: the connection ended after " + (at + from + n) + " of " + total + " bytes");
        }
    }

    /** An address's bytes as the transport carries them: an IPv4 one in an IPv6 header goes IPv4-mapped. */
    private static byte[] wire(InetAddress address, Transport t) {
        byte[] ip = address.getAddress();
        if (ip.length == t.addressLength) {
            return ip;
        }
        byte[] mapped = new byte[IPV6_LENGTH];
        mapped[MAPPED_PREFIX - 2] = (byte) 0xff;
        mapped[MAPPED_PREFIX - 1] = (byte) 0xff;
        System.arraycopy(ip, 0, mapped, MAPPED_PREFIX, ip.length);
        return mapped;
    }

    private static InetAddress address(byte[] ip) {
        try {
            return InetAddress.getByAddress(ip); // No DNS: a literal's bytes only.
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }
}

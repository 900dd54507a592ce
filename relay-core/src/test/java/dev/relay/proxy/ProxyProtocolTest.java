package dev.relay.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.net.IpLiteral;
import dev.relay.proxy.ProxyHeader.Command;
import dev.relay.proxy.ProxyHeader.Transport;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProxyProtocolTest {
    private static final byte[] SIGNATURE = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a");
    private static final byte[] USER_BYTES = "GET / HTTP/1.1\r\n".getBytes(US_ASCII);
    private static final String SPEC_V1 = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
    /** The v2 form of the spec's v1 example, byte by byte: signature, PROXY, TCP4, length 12, addresses, ports. */
    private static final byte[] SPEC_V2 =
            concat(SIGNATURE, HexFormat.of().parseHex("2111000c" + "c0a80001c0a8000b" + "dc0401bb"));

    @Test
    void wireCodesArePinned() {
        // The spec's values: a change here breaks every load balancer and target, so it must be on purpose.
        assertEquals(
                List.of(0x0, 0x1), Stream.of(Command.values()).map(c -> c.code).toList());
        assertEquals(
                List.of(0x00, 0x11, 0x12, 0x21, 0x22),
                Stream.of(Transport.values()).map(t -> t.code).toList());
    }

    @Test
    void theSpecsV1ExampleReadsAndEncodesByteForByte() throws IOException {
        ProxyHeader h = ProxyHeader.tcp(at("192.168.0.1", 56324), at("192.168.0.11", 443));
        assertEquals(
                new ProxyHeader(Command.PROXY, Transport.TCP4, at("192.168.0.1", 56324), at("192.168.0.11", 443)), h);
        assertEquals(h, read(SPEC_V1.getBytes(US_ASCII)));
        assertEquals(SPEC_V1, new String(ProxyProtocol.v1(h), US_ASCII));
        assertTrue(h.namesClient());
    }

    @Test
    void aHandBuiltV2HeaderReadsAndEncodesByteForByte() throws IOException {
        ProxyHeader h = ProxyHeader.tcp(at("192.168.0.1", 56324), at("192.168.0.11", 443));
        assertEquals(h, read(SPEC_V2));
        assertArrayEquals(SPEC_V2, ProxyProtocol.v2(h));
    }

    @Test
    void ipv6UsesTheShortestTextAndSixteenBytes() throws IOException {
        ProxyHeader h = ProxyHeader.tcp(at("2001:db8:0:0:0:0:0:1", 0), at("2001:db8::2", 65535));
        assertEquals(Transport.TCP6, h.transport());
        assertEquals("PROXY TCP6 2001:db8::1 2001:db8::2 0 65535\r\n", new String(ProxyProtocol.v1(h), US_ASCII));
        byte[] v2 = ProxyProtocol.v2(h);
        assertEquals(
                "2121" + "0024" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002" + "0000ffff",
                HexFormat.of().formatHex(v2, SIGNATURE.length, v2.length));
    }

    @Test
    void everyKindOfHeaderSurvivesARoundTrip() throws IOException {
        List<ProxyHeader> v1AndV2 = List.of(
                ProxyHeader.tcp(at("10.0.0.1", 1), at("10.0.0.2", 2)),
                ProxyHeader.tcp(at("::1", 40000), at("fe80::1", 8080)),
                ProxyHeader.tcp(at("203.0.113.7", 5), at("2001:db8::2", 6)),
                ProxyHeader.UNKNOWN);
        for (ProxyHeader h : v1AndV2) {
            assertEquals(h, read(ProxyProtocol.v1(h)), "v1");
            assertEquals(h, read(ProxyProtocol.v2(h)), "v2");
        }
        List<ProxyHeader> v2Only = List.of(
                ProxyHeader.LOCAL,
                ProxyHeader.udp(at("10.0.0.1", 53), at("10.0.0.2", 5353)),
                ProxyHeader.udp(at("2001:db8::1", 53), at("10.0.0.2", 5353)));
        for (ProxyHeader h : v2Only) {
            assertEquals(h, read(ProxyProtocol.v2(h)), "v2");
        }
        // v1 has no LOCAL: the receiver of either is told to use the connection's own endpoints.
        assertEquals("PROXY UNKNOWN\r\n", new String(ProxyProtocol.v1(ProxyHeader.LOCAL), US_ASCII));
        assertEquals("20000000", HexFormat.of().formatHex(ProxyProtocol.v2(ProxyHeader.LOCAL), 12, 16));
        assertFalse(ProxyHeader.LOCAL.namesClient());
        assertFalse(ProxyHeader.UNKNOWN.namesClient());
        assertThrows(IllegalArgumentException.class, () -> ProxyProtocol.v1(v2Only.get(1)));
    }

    @Test
    void ipv4MappedAddressesGoAsIpv4WhenBothEndsAreIpv4() throws IOException {
        byte[] mapped = HexFormat.of().parseHex("00000000000000000000ffffc0000201");
        InetSocketAddress source = new InetSocketAddress(Inet6Address.getByAddress(null, mapped, -1), 1234);
        ProxyHeader h = ProxyHeader.tcp(source, at("192.0.2.2", 80));
        assertEquals(ProxyHeader.tcp(at("192.0.2.1", 1234), at("192.0.2.2", 80)), h);
        assertEquals("PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\n", new String(ProxyProtocol.v1(h), US_ASCII));

        // A mixed pair needs one family: IPv6, with the IPv4 end mapped.
        ProxyHeader mixed = ProxyHeader.tcp(source, at("2001:db8::2", 80));
        assertEquals(Transport.TCP6, mixed.transport());
        assertEquals(
                "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1234 80\r\n", new String(ProxyProtocol.v1(mixed), US_ASCII));
        assertEquals(mixed, read("PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1234 80\r\n".getBytes(US_ASCII)));
        byte[] v2 = ProxyProtocol.v2(mixed);
        assertEquals("00000000000000000000ffffc0000201", HexFormat.of().formatHex(v2, 16, 32));
    }

    @Test
    void theRecordRefusesContradictions() throws UnknownHostException {
        InetSocketAddress v6 = at("::1", 1);
        InetSocketAddress v4 = at("127.0.0.1", 1);
        assertThrows(IllegalArgumentException.class, () -> new ProxyHeader(Command.PROXY, Transport.TCP4, v6, v4));
        assertThrows(IllegalArgumentException.class, () -> new ProxyHeader(Command.LOCAL, Transport.TCP4, v4, v4));
        assertThrows(IllegalArgumentException.class, () -> new ProxyHeader(Command.PROXY, Transport.UNSPEC, v4, v4));
        assertThrows(IllegalArgumentException.class, () -> new ProxyHeader(Command.PROXY, Transport.TCP6, v6, null));
        assertThrows(
                IllegalArgumentException.class,
                () -> ProxyHeader.tcp(InetSocketAddress.createUnresolved("example.com", 1), v4));
    }

    @Test
    void unknownIgnoresWhateverFollowsIt() throws IOException {
        assertEquals(ProxyHeader.UNKNOWN, read("PROXY UNKNOWN\r\n".getBytes(US_ASCII)));
        assertEquals(ProxyHeader.UNKNOWN, read("PROXY UNKNOWN ffff::1 ? 1 2\r\n".getBytes(US_ASCII)));
        // The longest line the spec allows: 107 bytes with the CRLF.
        String longest = "PROXY UNKNOWN " + "x".repeat(ProxyProtocol.V1_MAX_LENGTH - 16) + "\r\n";
        assertEquals(ProxyProtocol.V1_MAX_LENGTH, longest.length());
        assertEquals(ProxyHeader.UNKNOWN, read(longest.getBytes(US_ASCII)));
    }

    @Test
    void v2LocalIgnoresItsAddressesAndUnixReadsAsUnknown() throws IOException {
        byte[] local = SPEC_V2.clone();
        local[12] = 0x20;
        assertEquals(ProxyHeader.LOCAL, read(local));
        for (int family : new int[] {0x31, 0x32}) {
            byte[] unix = concat(SIGNATURE, new byte[] {0x21, (byte) family, 0x00, (byte) 216}, new byte[216]);
            assertEquals(ProxyHeader.UNKNOWN, read(unix));
        }
    }

    @Test
    void tlvsAreSkipped() throws IOException {
        byte[] authority = "example.com".getBytes(US_ASCII);
        byte[] tlvs = concat(
                new byte[] {0x02, 0x00, (byte) authority.length}, authority, new byte[] {0x04, 0x00, 0x03, 0, 0, 0});
        byte[] header = SPEC_V2.clone();
        header[15] = (byte) (12 + tlvs.length);
        assertEquals(ProxyHeader.tcp(at("192.168.0.1", 56324), at("192.168.0.11", 443)), read(concat(header, tlvs)));
    }

    @Test
    void readLeavesTheUsersBytesInTheStream() throws IOException {
        ProxyHeader h = ProxyHeader.tcp(at("10.0.0.1", 1), at("10.0.0.2", 2));
        for (byte[] header : List.of(
                ProxyProtocol.v1(h),
                ProxyProtocol.v2(h),
                ProxyProtocol.v2(ProxyHeader.LOCAL),
                "PROXY UNKNOWN junk\r\n".getBytes(US_ASCII))) {
            ByteArrayInputStream in = new ByteArrayInputStream(concat(header, USER_BYTES));
            ProxyProtocol.read(in);
            assertEquals("GET / HTTP/1.1\r\n", new String(in.readAllBytes(), US_ASCII));
        }
    }

    @Test
    void anEmptyStreamIsAnEofNotAProtocolError() {
        assertThrows(EOFException.class, () -> read(new byte[0]));
    }

    static Stream<Arguments> malformed() {
        String ok = "192.168.0.1 192.168.0.11 56324 443";
        return Stream.of(
                v1("GET / HTTP/1.1\r\n", "first byte is 0x47"),
                v1("proxy TCP4 " + ok + "\r\n", "upper case"),
                v1("PROXYTCP4 " + ok + "\r\n", "upper case"),
                v1("PROXY  TCP4 " + ok + "\r\n", "single spaces"),
                v1("PROXY TCP4  " + ok + "\r\n", "single spaces"),
                v1("PROXY TCP4 " + ok + " \r\n", "single spaces"),
                v1("PROXY TCP4 " + ok + " 7\r\n", "5 fields after the protocol, not 4"),
                v1("PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n", "3 fields after the protocol, not 4"),
                v1("PROXY tcp4 " + ok + "\r\n", "not TCP4, TCP6 or UNKNOWN"),
                v1("PROXY UDP4 " + ok + "\r\n", "not TCP4, TCP6 or UNKNOWN"),
                v1("PROXY UNKNOWNX\r\n", "not TCP4, TCP6 or UNKNOWN"),
                v1("PROXY TCP4 2001:db8::1 192.168.0.11 1 2\r\n", "source address is not an IPv4 literal"),
                v1("PROXY TCP6 192.168.0.1 2001:db8::1 1 2\r\n", "source address is not an IPv6 literal"),
                v1("PROXY TCP6 ::1 ::1%eth0 1 2\r\n", "destination address is not an IPv6 literal"),
                v1("PROXY TCP4 192.168.0.01 192.168.0.11 1 2\r\n", "source address is not an IPv4 literal"),
                v1("PROXY TCP4 localhost 192.168.0.11 1 2\r\n", "source address is not an IPv4 literal"),
                v1("PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n", "source port"),
                v1("PROXY TCP4 192.168.0.1 192.168.0.11 56324 0443\r\n", "destination port"),
                v1("PROXY TCP4 192.168.0.1 192.168.0.11 +1 443\r\n", "source port"),
                v1("PROXY TCP4 192.168.0.1 192.168.0.11 -1 443\r\n", "source port"),
                v1("PROXY TCP4 192.168.0.1 192.168.0.11 99999999999 443\r\n", "source port"),
                v1("PROXY TCP4 " + ok + "\n", "bare LF"),
                v1("PROXY TCP4 " + ok + "\r\r\n", "destination port"),
                v1("PROXY TCP4 " + ok, "truncated v1 header: the connection ended after 45 bytes"),
                v1("PROXY UNKNOWN " + "x".repeat(100) + "\r\n", "no CRLF within 107 bytes"),
                v2("1111000c", 12, "version 1, not 2"),
                v2("3111000c", 12, "version 3, not 2"),
                v2("2211000c", 12, "unknown command 2"),
                v2("2113000c", 12, "unknown family and transport 0x13"),
                v2("2101000c", 12, "unknown family and transport 0x01"),
                v2("2141000c", 12, "unknown family and transport 0x41"),
                v2("2111000b", 11, "length 11 is shorter than the 12-byte address block family 0x11 needs"),
                v2("21210018", 24, "length 24 is shorter than the 36-byte"),
                v2("213100d7", 215, "length 215 is shorter than the 216-byte"),
                v2("2111ffff", 0, "65523 bytes after its addresses, over the limit of 1024"),
                v2("21000401", 0, "1025 bytes after its addresses, over the limit of 1024"),
                v2("2111000c", 8, "truncated v2 header: the connection ended after 24 of 28 bytes"),
                v2("2111000e", 14, "ends inside a TLV's type and length"),
                arguments(
                        concat(SIGNATURE, HexFormat.of().parseHex("2111000f"), new byte[12], new byte[] {2, 0, 5}),
                        "TLV of type 0x02 runs past the header's length"),
                arguments(concat(Arrays.copyOf(SIGNATURE, 11), new byte[] {'X'}), "not with the v2 signature"),
                arguments(Arrays.copyOf(SIGNATURE, 7), "ended after 7 of 16 bytes"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedHeadersAreRefusedWithAReason(byte[] input, String reason) {
        ProxyProtocolException e = assertThrows(ProxyProtocolException.class, () -> read(input));
        assertTrue(e.getMessage().contains(reason), () -> "expected \"" + reason + "\" in: " + e.getMessage());
    }

    /**
     * Generated inputs, a few thousand, from a fixed seed so a failure replays: each must parse or fail as this codec
     * fails, never escape as another exception, never hang, and never read past the header it would have read.
     */
    @Test
    void generatedInputNeverEscapesAsAnotherException() {
        List<byte[]> valid = List.of(
                SPEC_V1.getBytes(US_ASCII),
                "PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 1 65535\r\n".getBytes(US_ASCII),
                "PROXY UNKNOWN\r\n".getBytes(US_ASCII),
                SPEC_V2,
                ProxyProtocol.v2(ProxyHeader.LOCAL),
                ProxyProtocol.v2(ProxyHeader.udp(at("2001:db8::1", 53), at("2001:db8::2", 53))),
                concat(
                        SIGNATURE,
                        HexFormat.of()
                                .parseHex("21110018" + "c0a80001c0a8000b" + "dc0401bb" + "0200056578616d70"
                                        + "04000100")));
        String[] tokens = {
            "PROXY ",
            "TCP4",
            "TCP6",
            "UNKNOWN",
            " ",
            "1.2.3.4",
            "::1",
            "::ffff:1.2.3.4",
            "65535",
            "0",
            "00",
            "\r\n",
            "\r",
            "\n",
            "\u0000",
            "\u00ff"
        };
        for (byte[] seed : valid) {
            assertTrue(check(concat(seed, USER_BYTES), -1), () -> HexFormat.of().formatHex(seed) + " is not valid");
        }
        Random random = new Random(20250301L);
        int[] parsed = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 5000; i++) {
                byte[] input = switch (i % 4) {
                    case 0 -> randomBytes(random, random.nextInt(64));
                    case 1 -> {
                        StringBuilder line = new StringBuilder("PROXY ");
                        for (int t = random.nextInt(10); t > 0; t--) {
                            line.append(tokens[random.nextInt(tokens.length)]);
                        }
                        yield line.toString().getBytes(ISO_8859_1);
                    }
                    default -> mutate(valid.get(random.nextInt(valid.size())), random);
                };
                parsed[0] += check(concat(input, USER_BYTES), i) ? 1 : 0;
            }
        });
        // Both answers must be common, or the generator has stopped testing one of them.
        assertTrue(parsed[0] > 100 && parsed[0] < 4900, parsed[0] + " of 5000 parsed");
    }

    /** Whether the input parsed; either way, that it behaved. */
    private static boolean check(byte[] input, int iteration) {
        ByteArrayInputStream in = new ByteArrayInputStream(input);
        try {
            ProxyHeader h = ProxyProtocol.read(in);
            int consumed = input.length - in.available();
            assertEquals(expectedLength(input), consumed, () -> "iteration " + iteration + " consumed");
            assertEquals(h, read(ProxyProtocol.v2(h)), () -> "iteration " + iteration + " v2 round trip");
            if (h.transport() != Transport.UDP4 && h.transport() != Transport.UDP6) {
                ProxyHeader back = read(ProxyProtocol.v1(h));
                assertEquals(h.command() == Command.LOCAL ? ProxyHeader.UNKNOWN : h, back);
            }
            return true;
        } catch (EOFException | ProxyProtocolException expected) {
            int consumed = input.length - in.available();
            int most = ProxyProtocol.V2_FIXED_LENGTH + 216 + ProxyProtocol.V2_MAX_TLV_BYTES;
            assertTrue(consumed <= most, () -> "iteration " + iteration + " read " + consumed + " bytes");
            String m = expected.getMessage();
            assertTrue(m.length() <= 203 && m.chars().allMatch(c -> c >= 0x20 && c < 0x7f), m);
            return false;
        } catch (Throwable t) {
            throw new AssertionError(
                    "iteration " + iteration + ": " + HexFormat.of().formatHex(input) + " escaped as " + t, t);
        }
    }

    /** How long the header at the start of a parsed input is, worked out apart from the codec. */
    private static int expectedLength(byte[] input) {
        if (input[0] == 'P') {
            String s = new String(input, ISO_8859_1);
            return s.indexOf("\r\n") + 2;
        }
        return ProxyProtocol.V2_FIXED_LENGTH + ((input[14] & 0xff) << 8 | input[15] & 0xff);
    }

    private static byte[] mutate(byte[] valid, Random random) {
        byte[] b = valid.clone();
        for (int m = 1 + random.nextInt(2); m > 0 && b.length > 0; m--) {
            int at = random.nextInt(b.length);
            b = switch (random.nextInt(5)) {
                case 0 -> {
                    b[at] ^= (byte) (1 + random.nextInt(255));
                    yield b;
                }
                case 1 -> Arrays.copyOf(b, at);
                case 2 ->
                    concat(
                            Arrays.copyOf(b, at),
                            new byte[] {(byte) random.nextInt(256)},
                            Arrays.copyOfRange(b, at, b.length));
                case 3 -> concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + 1, b.length));
                default -> {
                    // A v2 length anywhere from zero to huge; a v1 header just gets another flipped byte.
                    if (b.length >= ProxyProtocol.V2_FIXED_LENGTH && b[0] == '\r') {
                        int length = random.nextBoolean() ? random.nextInt(65536) : random.nextInt(64);
                        b[14] = (byte) (length >> 8);
                        b[15] = (byte) length;
                    } else {
                        b[at] = (byte) random.nextInt(256);
                    }
                    yield b;
                }
            };
        }
        return b;
    }

    private static Arguments v1(String line, String reason) {
        return arguments(line.getBytes(US_ASCII), reason);
    }

    /** A v2 header: signature, the four bytes after it in hex, and {@code rest} zero bytes. */
    private static Arguments v2(String hex, int rest, String reason) {
        return arguments(concat(SIGNATURE, HexFormat.of().parseHex(hex), new byte[rest]), reason);
    }

    private static Arguments arguments(byte[] input, String reason) {
        return Arguments.of(input, reason);
    }

    private static ProxyHeader read(byte[] bytes) throws IOException {
        return ProxyProtocol.read(new ByteArrayInputStream(bytes));
    }

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(IpLiteral.literal(ip).orElseThrow(), port);
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

package dev.relay.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressRuleTest {
    @ParameterizedTest(name = "{0} matches {1}")
    @CsvSource({
        "203.0.113.0/24,    203.0.113.0", // first address
        "203.0.113.0/24,    203.0.113.255", // last address
        "203.0.113.0/24,    203.0.113.77",
        "198.51.100.7,      198.51.100.7",
        "198.51.100.7/32,   198.51.100.7",
        "10.0.0.0/8,        10.255.255.255",
        "172.16.0.0/12,     172.31.0.1", // prefix not on a byte boundary
        "0.0.0.0/0,         255.255.255.255",
        "2001:db8::/32,     2001:db8::",
        "2001:db8::/32,     2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db8::/33,     2001:db8:7fff::1",
        "::1,               ::1",
        "::1/128,           0:0:0:0:0:0:0:1",
        "fe80::/10,         febf::1",
        "::/0,              2001:db8::1",
    })
    void matches(String rule, String address) {
        assertTrue(AddressRule.parse(rule).matches(ip(address)));
    }

    @ParameterizedTest(name = "{0} does not match {1}")
    @CsvSource({
        "203.0.113.0/24,    203.0.112.255", // one below the first
        "203.0.113.0/24,    203.0.114.0", // one above the last
        "198.51.100.7,      198.51.100.8",
        "172.16.0.0/12,     172.32.0.0",
        "10.0.0.0/8,        11.0.0.0",
        "2001:db8::/32,     2001:db9::",
        "2001:db8::/33,     2001:db8:8000::",
        "::1,               ::2",
        "fe80::/10,         fec0::1",
        "10.0.0.0/8,        ::a00:1", // IPv4-compatible, not IPv4-mapped
        "0.0.0.0/0,         2001:db8::1", // families do not mix
        "::/0,              10.0.0.1",
        "db.lan,            10.0.0.1", // a name never matches an address
    })
    void doesNotMatch(String rule, String address) {
        assertFalse(AddressRule.parse(rule).matches(ip(address)));
    }

    @Test
    void ipv4MappedAddressesMatchIpv4Rules() throws UnknownHostException {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 203, 0, 113, 9};
        // getByAddress would turn these bytes into an Inet4Address; a dual-stack socket can report a real Inet6Address.
        InetAddress v6 = Inet6Address.getByAddress(null, mapped, -1);
        assertTrue(v6 instanceof Inet6Address);
        assertTrue(AddressRule.parse("203.0.113.0/24").matches(v6));
        assertTrue(AddressRule.parse("203.0.113.9").matches(v6));
        assertFalse(AddressRule.parse("203.0.113.10").matches(v6));
        assertFalse(AddressRule.parse("2001:db8::/32").matches(v6));
        assertTrue(AddressRule.parse("203.0.113.0/24").matchesTarget("::ffff:203.0.113.9", 22));
    }

    @Test
    void ipv4MappedRulesMatchIpv4Addresses() {
        AddressRule rule = AddressRule.parse("::ffff:203.0.113.0/120");
        assertTrue(rule.matches(ip("203.0.113.200")));
        assertFalse(rule.matches(ip("203.0.114.0")));
        assertTrue(AddressRule.parse("::ffff:0:0/96").matches(ip("1.2.3.4")));
        assertEquals("::ffff:203.0.113.0/120", rule.toString());
    }

    @ParameterizedTest(name = "{0} allows {1} port {2}")
    @CsvSource({
        "192.168.1.0/24:22,     192.168.1.0,       22",
        "192.168.1.0/24:22,     192.168.1.255,     22",
        "192.168.1.4:22,        192.168.1.4,       22",
        "[2001:db8::/32]:443,   2001:db8::5,       443",
        "[2001:db8::/32]:443,   [2001:db8::5],     443",
        "[::1]:22,              ::1,               22",
        "db.lan:5432,           db.lan,            5432",
        "db.lan:5432,           DB.Lan,            5432",
        "db.lan:5432,           db.lan.,           5432",
        "DB.LAN:5432,           db.lan,            5432",
        "10.0.0.0/8,            10.1.2.3,          1",
        "10.0.0.0/8,            10.1.2.3,          65535",
        "db.lan:*,              db.lan,            80",
        "db.lan,                db.lan,            80",
        "[::1]:*,               ::1,               9",
        "10.0.0.0/8:*,          10.0.0.1,          9",
    })
    void allowsTargets(String rule, String host, int port) {
        assertTrue(AddressRule.parse(rule).matchesTarget(host, port));
    }

    @ParameterizedTest(name = "{0} refuses {1} port {2}")
    @CsvSource({
        "192.168.1.0/24:22,     192.168.1.0,       23",
        "192.168.1.0/24:22,     192.168.2.0,       22",
        "192.168.1.4:22,        192.168.1.5,       22",
        "[2001:db8::/32]:443,   2001:db9::,        443",
        "[::1]:22,              ::1,               2222",
        "db.lan:5432,           db.lan,            5433",
        "db.lan:5432,           other.lan,         5432",
        "db.lan:5432,           db.lan.evil,       5432",
        "db.lan:5432,           10.0.0.5,          5432", // an IP never matches a name entry
        "10.0.0.0/8,            ten.lan,           22", // a name never matches a network
        "0.0.0.0/0,             localhost,         22",
        "::/0,                  localhost,         22",
        "10.0.0.0/8,            010.0.0.1,         22", // not a strict literal, so a name
    })
    void refusesTargets(String rule, String host, int port) {
        assertFalse(AddressRule.parse(rule).matchesTarget(host, port));
    }

    @ParameterizedTest(name = "{0} is written {1}")
    @CsvSource({
        "203.0.113.0/24,               203.0.113.0/24",
        "198.51.100.7/32,              198.51.100.7",
        "2001:DB8:0:0::/32,            2001:db8::/32",
        "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
        "2001:db8:0:1:0:0:0:1,         2001:db8:0:1::1", // the longer run of zeros is compressed
        "2001:0:0:1:0:0:1:1,           2001::1:0:0:1:1", // on a tie, the first
        "2001:db8:0:1:1:1:1:1,         2001:db8:0:1:1:1:1:1", // a single zero group stays
        "::1/128,                      ::1",
        "0:0:0:0:0:0:0:0/0,            ::/0",
        "::ffff:10.0.0.1,              ::ffff:10.0.0.1",
        "[2001:db8::/32]:443,          [2001:db8::/32]:443",
        "[::1],                        ::1",
        "[::1]:*,                      ::1",
        "192.168.1.4:22,               192.168.1.4:22",
        "10.0.0.0/8:*,                 10.0.0.0/8",
        "DB.Lan:5432,                  db.lan:5432",
        "db.lan.:*,                    db.lan",
        "1::2:3.4.5.6,                 1::2:304:506",
    })
    void toStringIsCanonical(String text, String canonical) {
        AddressRule rule = AddressRule.parse(text);
        assertEquals(canonical, rule.toString());
        assertEquals(rule, AddressRule.parse(canonical));
        assertEquals(canonical, AddressRule.parse(canonical).toString());
    }

    @ParameterizedTest(name = "\"{0}\" is rejected: {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "''                     | empty",
                "'   '                  | empty",
                "10.0.0.0/33            | too long for an IPv4 address (at most /32)",
                "2001:db8::/129         | too long for an IPv6 address (at most /128)",
                "10.0.0.0/              | prefix length \"/\" is not a number",
                "10.0.0.0/x             | is not a number",
                "10.0.0.0/-1            | is not a number",
                "10.0.0.0/1000          | the prefix length /1000 is too long",
                "10.0.0.1/8             | host bits are set after the /8; did you mean \"10.0.0.0/8\"?",
                "192.168.1.1/24:22      | did you mean \"192.168.1.0/24:22\"?",
                "2001:db8::1/32         | did you mean \"2001:db8::/32\"?",
                "[2001:db8::1/32]:443   | did you mean \"[2001:db8::/32]:443\"?",
                "db.lan:http            | port \"http\" is not a number (or * for any port)",
                "db.lan:                | port \"\" is not a number",
                "db.lan:-1              | is not a number",
                "db.lan:65536           | port 65536 is out of range (1-65535)",
                "db.lan:0               | port 0 is out of range",
                "db.lan:999999          | port 999999 is out of range",
                "10.0.0.0/8:70000       | out of range",
                "[::1]:abc              | port \"abc\" is not a number",
                "2001:db8::/32:443      | an IPv6 entry with a port needs brackets: \"[2001:db8::/32]:443\"",
                "::1:*                  | an IPv6 entry with a port needs brackets: \"[::1]:*\"",
                "fe80::1%eth0           | zone",
                "2001:db8::g            | \"2001:db8::g\" is not a valid IPv6 address",
                "1:2:3:4:5:6:7:8:9      | needs brackets: \"[1:2:3:4:5:6:7:8]:9\"",
                "1:2:3:4:5:6:7          | is not a valid IPv6 address",
                "1::2::3                | is not a valid IPv6 address",
                "12345::                | is not a valid IPv6 address",
                "::1.2.3.4:5            | needs brackets: \"[::1.2.3.4]:5\"",
                "[::1                   | has no matching",
                "[::1]22                | expected \":port\"",
                "[10.0.0.1]:22          | brackets are only for IPv6",
                "[]:22                  | address is empty",
                ":22                    | address is empty",
                "/24                    | address is empty",
                "10.0.0.256             | \"10.0.0.256\" is not a valid IPv4 address",
                "10.0.0                 | is not a valid IPv4 address",
                "010.0.0.1              | is not a valid IPv4 address",
                "10.0.0.1.              | is not a valid IPv4 address",
                "db.lan/24              | is a name, not an IP address, so it cannot have a prefix length",
                "db..lan                | not a valid host name",
                "-db.lan                | not a valid host name",
                "db lan                 | not a valid host name",
                "host.123               | neither a valid IPv4 address nor a host name",
            })
    void rejects(String text, String why) {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> AddressRule.parse(text), () -> "accepted \"" + text + "\"");
        assertTrue(e.getMessage().startsWith("invalid address rule \"" + text + "\": "), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void anUnbracketedIpv6AddressEndingInAPortIsJustAnAddress() {
        // "::1:22" is itself a valid address (0::1:22), so no parser can tell it from a forgotten pair of brackets.
        AddressRule rule = AddressRule.parse("::1:22");
        assertEquals("::1:22", rule.toString());
        assertEquals(OptionalInt.empty(), rule.port());
    }

    @Test
    void parseAllKeepsOrderAndReportsTheBadEntry() {
        List<AddressRule> rules = AddressRule.parseAll(List.of("10.0.0.0/8", "[::1]:22", "db.lan:*"));
        assertEquals(
                List.of("10.0.0.0/8", "[::1]:22", "db.lan"),
                rules.stream().map(AddressRule::toString).toList());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> AddressRule.parseAll(List.of("10.0.0.0/8", "10.0.0.1/8")));
        assertTrue(e.getMessage().contains("\"10.0.0.1/8\""), e.getMessage());
        assertEquals(List.of(), AddressRule.parseAll(List.of()));
    }

    @Test
    void exposesPortAndKind() {
        assertEquals(OptionalInt.of(22), AddressRule.parse("[::1]:22").port());
        assertEquals(OptionalInt.empty(), AddressRule.parse("db.lan:*").port());
        assertTrue(AddressRule.parse("db.lan").isName());
        assertFalse(AddressRule.parse("10.0.0.0/8").isName());
    }

    /** Test inputs are literals only, so this never touches DNS. */
    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(literal, e);
        }
    }

    @Test
    void namesCompareIgnoringAsciiCaseOnly() {
        AddressRule kube = AddressRule.parse("kube.lan:6443");
        assertTrue(kube.matchesTarget("KUBE.lan", 6443));
        // The Kelvin sign lower-cases to "k" in Unicode; it must not pass for one.
        assertFalse(kube.matchesTarget("\u212Aube.lan", 6443));
        assertThrows(IllegalArgumentException.class, () -> AddressRule.parse("\u212Aube.lan:6443"));
    }
}

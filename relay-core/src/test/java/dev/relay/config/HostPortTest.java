package dev.relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostPortTest {
    @Test
    void parsesHostAndPort() {
        assertEquals(new HostPort("host", 1), HostPort.parse("host:1"));
        assertEquals(new HostPort("0.0.0.0", 0), HostPort.parse("0.0.0.0:0"));
        assertEquals(new HostPort("relay.example.com", 65535), HostPort.parse("relay.example.com:65535"));
    }

    @Test
    void parsesBracketedIpv6() {
        assertEquals(new HostPort("::1", 80), HostPort.parse("[::1]:80"));
        assertEquals(new HostPort("fe80::1:2", 7000), HostPort.parse("[fe80::1:2]:7000"));
    }

    @Test
    void rejectsMalformedAddresses() {
        for (String text : new String[] {
            ":80",
            "host:",
            "host:abc",
            "::1:80",
            "host:65536",
            "host",
            "",
            "host:-1",
            "host:99999999999",
            "[::1]",
            "[::1]80",
            "[::1:80",
            "[]:80",
            "host:80 ",
            "host: 80"
        }) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> HostPort.parse(text), () -> "accepted \"" + text + "\"");
            assertTrue(e.getMessage().contains(text), e.getMessage());
        }
    }

    @Test
    void rejectsNonAsciiDigitsInThePort() {
        // Arabic-Indic digits for 5122: Character.isDigit and Integer.parseInt both accept them.
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:\u0665\u0661\u0662\u0662"));
    }

    @Test
    void explainsWhatIsWrong() {
        assertTrue(message("::1:80").contains("[address]:port"));
        assertTrue(message("host:65536").contains("out of range"));
        assertTrue(message(":80").contains("host is empty"));
        assertTrue(message("host:abc").contains("not a number"));
    }

    @Test
    void toStringRoundTrips() {
        for (String text : new String[] {"host:1", "[::1]:80", "0.0.0.0:0", "[2001:db8::7]:443"}) {
            assertEquals(text, HostPort.parse(text).toString());
        }
        assertEquals("[::1]:80", new HostPort("::1", 80).toString());
    }

    @Test
    void theConstructorChecksItsParts() {
        assertThrows(IllegalArgumentException.class, () -> new HostPort("", 1));
        assertThrows(IllegalArgumentException.class, () -> new HostPort("h", -1));
        assertThrows(IllegalArgumentException.class, () -> new HostPort("h", 65536));
        assertThrows(NullPointerException.class, () -> new HostPort(null, 1));
    }

    @Test
    void aBarePortListensOnAllInterfaces() {
        assertEquals("0.0.0.0:5122", HostPort.anyInterface(5122).toString());
        assertEquals(new HostPort("h", 9), new HostPort("h", 1).withPort(9));
    }

    private static String message(String text) {
        return assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text))
                .getMessage();
    }

    @Test
    void aHostIsPlainAsciiSoNoPeerTextForgesALogLineOrLooksLikeAnotherName() {
        for (String bad :
                new String[] {"evil\nhost:22", "\u212Aube.lan:6443", "h\u0000st:1", "a b:1", "x".repeat(254) + ":1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad));
            assertTrue(e.getMessage().contains("ASCII"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        assertEquals(
                "xn--bcher-kva.example",
                HostPort.parse("xn--bcher-kva.example:443").host());
        assertEquals("fe80::1%eth0", HostPort.parse("[fe80::1%eth0]:22").host());
    }
}

package dev.relay.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class IpLiteralTest {

    @Test
    void literalParsesOnlyIpLiterals() throws UnknownHostException {
        assertEquals(
                InetAddress.getByName("127.0.0.1"),
                IpLiteral.literal("127.0.0.1").orElseThrow());
        assertEquals(InetAddress.getByName("::1"), IpLiteral.literal("::1").orElseThrow());
        for (String notLiteral :
                new String[] {"localhost", "relay.example.com", "1.2.3", "01.2.3.4", "::1%lo", "g::1", "", "[::1]"}) {
            assertTrue(IpLiteral.literal(notLiteral).isEmpty(), notLiteral);
        }
    }

    @Test
    void formatsAsRfc5952() {
        assertEquals("2001:db8::1", IpLiteral.format(IpLiteral.parse("2001:0DB8:0:0:0:0:0:1")));
        assertEquals("2001:0:0:1::1", IpLiteral.format(IpLiteral.parse("2001:0:0:1:0:0:0:1")));
        assertEquals("::ffff:10.1.2.3", IpLiteral.format(IpLiteral.parse("::ffff:a01:203")));
        assertEquals("10.1.2.3", IpLiteral.format(IpLiteral.unmapped(IpLiteral.parse("::ffff:10.1.2.3"))));
        assertEquals("::", IpLiteral.format(IpLiteral.parse("0:0:0:0:0:0:0:0")));
    }

    @Test
    void rejectsWhatSomeParsersWouldGuessAt() {
        for (String s :
                new String[] {"010.1.1.1", "1.2.3.256", "1:2:3:4:5:6:7:8:9", "1::2::3", "::12345", "1.2.3.4:"}) {
            assertNull(IpLiteral.parse(s), s);
        }
    }
}

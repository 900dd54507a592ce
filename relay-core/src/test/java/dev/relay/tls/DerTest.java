package dev.relay.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DerTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void lengthsSwitchToLongFormAt128() {
        assertEquals("047f", HEX.formatHex(Der.octetString(new byte[127])).substring(0, 4));
        assertEquals("048180", HEX.formatHex(Der.octetString(new byte[128])).substring(0, 6));
        assertEquals("0481ff", HEX.formatHex(Der.octetString(new byte[255])).substring(0, 6));
        assertEquals("04820100", HEX.formatHex(Der.octetString(new byte[256])).substring(0, 8));
        assertEquals(
                "0483011170", HEX.formatHex(Der.octetString(new byte[70000])).substring(0, 10));
    }

    @Test
    void oidsPackTheFirstTwoArcsAndUseBase128() {
        assertEquals("06082a8648ce3d040302", HEX.formatHex(Der.oid("1.2.840.10045.4.3.2")));
        assertEquals("0603551d11", HEX.formatHex(Der.oid("2.5.29.17")));
        assertEquals("06082b06010505070301", HEX.formatHex(Der.oid("1.3.6.1.5.5.7.3.1")));
        assertEquals("0603883703", HEX.formatHex(Der.oid("2.999.3")));
    }

    @Test
    void integersAreMinimalTwosComplement() {
        assertEquals("020100", HEX.formatHex(Der.integer(0)));
        assertEquals("020102", HEX.formatHex(Der.integer(2)));
        assertEquals("02020080", HEX.formatHex(Der.integer(128)));
        assertEquals("0201ff", HEX.formatHex(Der.integer(BigInteger.valueOf(-1))));
    }

    @Test
    void timesSwitchToGeneralizedTimeIn2050() {
        assertEquals(
                "170d3439313233313233353935395a", HEX.formatHex(Der.time(Instant.parse("2049-12-31T23:59:59.999Z"))));
        assertEquals(
                "180f32303530303130313030303030305a", HEX.formatHex(Der.time(Instant.parse("2050-01-01T00:00:00Z"))));
    }

    @Test
    void booleansAndBitStrings() {
        assertArrayEquals(HEX.parseHex("0101ff"), Der.bool(true));
        assertArrayEquals(HEX.parseHex("03020780"), Der.bitString(new byte[] {(byte) 0x80}, 7));
        assertArrayEquals(HEX.parseHex("3000"), Der.sequence());
        assertArrayEquals(HEX.parseHex("a003020102"), Der.explicit(0, Der.integer(2)));
    }
}

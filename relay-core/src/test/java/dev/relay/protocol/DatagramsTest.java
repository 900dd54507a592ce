package dev.relay.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The datagram frames of a UDP flow: boundaries kept exactly, the limit checked first, garbage always refused. */
class DatagramsTest {

    @Test
    void datagramsOfEverySizeSurviveARoundTripWithTheirBoundaries() throws IOException {
        int[] sizes = {0, 1, 1400, 9000, Datagrams.MAX_DATAGRAM, 2};
        Random random = new Random(12);
        List<byte[]> sent = new ArrayList<>();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int size : sizes) {
            byte[] d = new byte[size];
            random.nextBytes(d);
            sent.add(d);
            Datagrams.write(wire, d, 0, size);
        }
        InputStream in = new ByteArrayInputStream(wire.toByteArray());
        for (byte[] d : sent) {
            assertArrayEquals(d, Datagrams.read(in));
        }
        assertThrows(EOFException.class, () -> Datagrams.read(in));
    }

    @Test
    void theLengthIsTwoBytesBigEndianBeforeThePayload() throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        Datagrams.write(wire, new byte[] {9, 7, 5, 3}, 1, 2);
        assertEquals("00020705", HexFormat.of().formatHex(wire.toByteArray()));
    }

    @Test
    void aLengthOverTheUdpLimitIsRejectedBeforeThePayloadIsRead() {
        // Only the header: had the reader allocated and read, it would report a truncated frame instead.
        byte[] header = {(byte) 0xff, (byte) 0xdb}; // 65,499: within the limit, so the reader waits for bytes
        byte[] over = {(byte) ((Datagrams.MAX_DATAGRAM + 1) >>> 8), (byte) (Datagrams.MAX_DATAGRAM + 1)};
        ProtocolException e =
                assertThrows(ProtocolException.class, () -> Datagrams.read(new ByteArrayInputStream(over)));
        assertTrue(e.getMessage().contains("over the UDP limit of 65507"), e.getMessage());
        ProtocolException truncated =
                assertThrows(ProtocolException.class, () -> Datagrams.read(new ByteArrayInputStream(header)));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
    }

    @Test
    void writeRefusesADatagramOverTheLimit() {
        byte[] big = new byte[Datagrams.MAX_DATAGRAM + 1];
        assertThrows(
                IllegalArgumentException.class, () -> Datagrams.write(new ByteArrayOutputStream(), big, 0, big.length));
    }

    @Test
    void aFrameCutInItsHeaderOrItsPayloadIsAProtocolError() {
        assertThrows(ProtocolException.class, () -> Datagrams.read(new ByteArrayInputStream(new byte[] {0})));
        assertThrows(ProtocolException.class, () -> Datagrams.read(new ByteArrayInputStream(new byte[] {0, 3, 1, 2})));
        assertThrows(EOFException.class, () -> Datagrams.read(new ByteArrayInputStream(new byte[0])));
    }

    @Test
    void generatedInputNeverEscapesAsAnotherException() {
        Random random = new Random(20261201L);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 5000; i++) {
                byte[] input = new byte[random.nextInt(i % 2 == 0 ? 8 : 300)];
                random.nextBytes(input);
                if (i % 5 == 0 && input.length >= 2) {
                    // A plausible length now and then, so that whole frames are decoded too.
                    int n = random.nextInt(input.length - 1);
                    input[0] = (byte) (n >>> 8);
                    input[1] = (byte) n;
                }
                InputStream in = new ByteArrayInputStream(input);
                int consumed = 0;
                try {
                    for (; ; ) {
                        byte[] d = Datagrams.read(in);
                        consumed += Datagrams.HEADER + d.length;
                        assertTrue(consumed <= input.length, "decoded more than it was given");
                    }
                } catch (EOFException | ProtocolException expected) {
                    // The end of the input, or garbage refused: both are correct answers.
                } catch (Throwable t) {
                    throw new AssertionError(
                            "iteration " + i + ": " + HexFormat.of().formatHex(input) + " escaped as " + t, t);
                }
            }
        });
    }
}

package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decode, check fields, re-encode byte-exact, then break one byte at a named offset and expect the exact
 * error. Layouts: RFC 2407 section 4.6.2 and RFC 3554 section 3. Bodies here start at the ID Type byte
 * (the generic header is the message codec's). The independent oracles are in {@code TsharkOracleTest}
 * and {@code StrongSwanCaptureTest}.
 */
class IdentificationPayloadTest {
    private static final HexFormat HEX = HexFormat.of();

    // ID_IPV4_ADDR_SUBNET 192.0.2.0/255.255.255.0, protocol SCTP (132), port 0.
    static final String V4_SUBNET = "04840000" + "c0000200" + "ffffff00";
    static final int V4_SUBNET_MASK_BYTE_2 = 4 + 4 + 2;
    // ID_IPV4_ADDR_RANGE 198.51.100.10-198.51.100.20, protocol UDP (17), port 500.
    static final String V4_RANGE = "071101f4" + "c633640a" + "c6336414";
    static final int V4_RANGE_LAST_BYTE = 4 + 7;
    // ID_IPV6_ADDR_SUBNET 2001:db8:1::/48, any protocol and port.
    static final String V6_SUBNET = "06000000" + "20010db8000100000000000000000000" + "ffffffffffff00000000000000000000";
    // ID_IPV4_ADDR 203.0.113.7.
    static final String V4_ADDR = "01000000" + "cb007107";
    // ID_LIST of ID_IPV4_ADDR 192.0.2.1 and ID_IPV4_ADDR_SUBNET 198.51.100.0/255.255.255.128, both SCTP port 0.
    static final String LIST = "0c000000"
            + "0500000c" + "01840000" + "c0000201"
            + "00000010" + "04840000" + "c6336400" + "ffffff80";
    static final int LIST_ENTRY2_LENGTH_LOW = 4 + 12 + 3;
    static final int LIST_ENTRY2_TYPE = 4 + 12 + 4;

    @Test
    void decodesV4SubnetAndReencodesByteExact() throws Exception {
        IdentificationPayload id = decode(V4_SUBNET);
        assertEquals(IdType.ID_IPV4_ADDR_SUBNET, id.idType());
        assertEquals(132, id.protocolId());
        assertEquals(0, id.port());
        assertEquals(24, id.subnetPrefixLength());
        assertEquals("ID_IPV4_ADDR_SUBNET 192.0.2.0/255.255.255.0 proto 132 port 0", id.toString());
        assertEquals(V4_SUBNET, encode(id));
    }

    @Test
    void decodesV4RangeWithPort() throws Exception {
        IdentificationPayload id = decode(V4_RANGE);
        assertEquals(IdType.ID_IPV4_ADDR_RANGE, id.idType());
        assertEquals(17, id.protocolId());
        assertEquals(500, id.port());
        assertEquals("ID_IPV4_ADDR_RANGE 198.51.100.10-198.51.100.20 proto 17 port 500", id.toString());
        assertEquals(V4_RANGE, encode(id));
    }

    @Test
    void decodesV6SubnetAndV4Addr() throws Exception {
        IdentificationPayload v6 = decode(V6_SUBNET);
        assertEquals(IdType.ID_IPV6_ADDR_SUBNET, v6.idType());
        assertEquals(48, v6.subnetPrefixLength());
        assertEquals(V6_SUBNET, encode(v6));
        IdentificationPayload v4 = decode(V4_ADDR);
        assertEquals("ID_IPV4_ADDR 203.0.113.7 proto 0 port 0", v4.toString());
        assertEquals(V4_ADDR, encode(v4));
    }

    @Test
    void decodesIdListAndItsEntries() throws Exception {
        IdentificationPayload list = decode(LIST);
        assertEquals(IdType.ID_LIST, list.idType());
        List<IdentificationPayload> entries = list.listEntries();
        assertEquals(2, entries.size());
        assertEquals("ID_IPV4_ADDR 192.0.2.1 proto 132 port 0", entries.get(0).toString());
        assertEquals("ID_IPV4_ADDR_SUBNET 198.51.100.0/255.255.255.128 proto 132 port 0", entries.get(1).toString());
        assertEquals(LIST, encode(list));
        // Building the same list reproduces the same bytes, Next Payload chain included.
        assertEquals(LIST, encode(IdentificationPayload.list(entries)));
    }

    @Test
    void idListIgnoresInnerNextPayloadAndOuterProtocolAndPort() throws Exception {
        // RFC 3554: inner Next Payload MUST be ignored; the list's Protocol ID and Port MUST be ignored.
        byte[] b = HEX.parseHex(LIST);
        b[4] = 0x2b;
        b[1] = 6;
        b[3] = 80;
        IdentificationPayload list = decode(HEX.formatHex(b));
        assertEquals(2, list.listEntries().size());
        assertEquals(HEX.formatHex(b), encode(list));
    }

    @Test
    void unknownAndOpaqueTypesSurviveRoundTrip() throws Exception {
        String unknown = "c8112233" + "deadbeef";
        IdentificationPayload id = decode(unknown);
        assertEquals(200, id.idType().code());
        assertFalse(id.idType().isKnown());
        assertEquals("UNKNOWN(200)", id.idType().toString());
        assertEquals(unknown, encode(id));
        String fqdn = "02000000" + HEX.formatHex("gw.example.net".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        IdentificationPayload f = decode(fqdn);
        assertEquals(IdType.ID_FQDN, f.idType());
        assertEquals(fqdn, encode(f));
    }

    @Test
    void truncatedFixedFieldsArePayloadMalformed() {
        IkeProtocolException e = assertThrows(IkeProtocolException.class, () -> decode("0484ff"));
        assertEquals(NotifyType.PAYLOAD_MALFORMED, e.notifyType());
        assertEquals("Identification payload needs at least 4 bytes, got 3", e.getMessage());
    }

    @Test
    void everyAddressTypeChecksItsLength() {
        expectInvalid("04840000" + "c0000200ff", "ID_IPV4_ADDR_SUBNET needs 8 bytes, got 5");
        expectInvalid("01000000c00002", "ID_IPV4_ADDR needs 4 bytes, got 3");
        expectInvalid("05000000c0000201", "ID_IPV6_ADDR needs 16 bytes, got 4");
        expectInvalid("06000000" + "20010db8000100000000000000000000", "ID_IPV6_ADDR_SUBNET needs 32 bytes, got 16");
        expectInvalid("07000000c0000201c0000202ff", "ID_IPV4_ADDR_RANGE needs 8 bytes, got 9");
        expectInvalid("08000000", "ID_IPV6_ADDR_RANGE needs 32 bytes, got 0");
    }

    @Test
    void nonContiguousMaskIsRejected() {
        byte[] b = HEX.parseHex(V4_SUBNET);
        b[V4_SUBNET_MASK_BYTE_2] = 0x7f; // mask 255.255.127.0
        expectInvalid(HEX.formatHex(b), "ID_IPV4_ADDR_SUBNET mask 255.255.127.0 is not contiguous");
        byte[] v6 = HEX.parseHex(V6_SUBNET);
        v6[4 + 16 + 15] = 1;
        expectInvalid(HEX.formatHex(v6), "ID_IPV6_ADDR_SUBNET mask ffff:ffff:ffff:0:0:0:0:1 is not contiguous");
    }

    @Test
    void hostBitsUnderTheMaskAreAccepted() throws Exception {
        // RFC 2407 does not forbid them; the pool conversion clears them.
        assertEquals(4, decode("04000000c0000201ffffff00").idType().code());
    }

    @Test
    void reversedRangeIsRejected() {
        byte[] b = HEX.parseHex(V4_RANGE);
        b[V4_RANGE_LAST_BYTE] = 0x09; // end 198.51.100.9 < start .10
        expectInvalid(HEX.formatHex(b), "ID_IPV4_ADDR_RANGE start 198.51.100.10 is after end 198.51.100.9");
    }

    @Test
    void idListStructureIsChecked() {
        expectInvalid("0c000000", "ID_LIST holds no IDs");
        byte[] b = HEX.parseHex(LIST);
        b[LIST_ENTRY2_LENGTH_LOW] = 0x11;
        expectInvalid(HEX.formatHex(b), "ID_LIST entry 2 payload length 17 exceeds the 16 bytes left");
        b[LIST_ENTRY2_LENGTH_LOW] = 0x07;
        expectInvalid(HEX.formatHex(b), "ID_LIST entry 2 payload length 7 is below the minimum 8");
        b = HEX.parseHex(LIST);
        b[LIST_ENTRY2_TYPE] = 0x0c;
        expectInvalid(HEX.formatHex(b), "ID_LIST entry 2 is an ID_LIST; RFC 3554 section 3 forbids nesting");
        b[LIST_ENTRY2_TYPE] = 0x01;
        expectInvalid(HEX.formatHex(b), "ID_LIST entry 2: ID_IPV4_ADDR needs 4 bytes, got 8");
        expectInvalid(LIST + "000000", "ID_LIST entry 3 needs at least 8 bytes, got 3");
        b = HEX.parseHex(LIST);
        b[4 + 12 + 8 + 4 + 2] = 0x7f; // entry 2 mask 255.255.127.128
        expectInvalid(HEX.formatHex(b), "ID_LIST entry 2: ID_IPV4_ADDR_SUBNET mask 255.255.127.128 is not contiguous");
    }

    @Test
    void decodeConsumesTheBodyAndLeavesReleaseToTheCaller() throws Exception {
        ByteBuf buf = Unpooled.buffer();
        try {
            buf.writeBytes(HEX.parseHex(V4_SUBNET));
            IdentificationPayload.decode(buf);
            assertEquals(0, buf.readableBytes());
            assertEquals(1, buf.refCnt());
        } finally {
            buf.release();
        }
    }

    @Test
    void constructorRejectsOurOwnMistakes() {
        assertThrows(IllegalArgumentException.class,
                () -> new IdentificationPayload(IdType.ID_IPV4_ADDR, 0, 0, new byte[3]));
        assertThrows(IllegalArgumentException.class,
                () -> new IdentificationPayload(IdType.ID_IPV4_ADDR, 256, 0, new byte[4]));
        assertThrows(IllegalArgumentException.class,
                () -> new IdentificationPayload(IdType.ID_IPV4_ADDR, 0, 65536, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> IdentificationPayload.list(List.of()));
        IdentificationPayload inner = IdentificationPayload.list(
                List.of(new IdentificationPayload(IdType.ID_IPV4_ADDR, 0, 0, new byte[4])));
        assertThrows(IllegalArgumentException.class, () -> IdentificationPayload.list(List.of(inner)));
        assertThrows(IllegalArgumentException.class, () -> IdType.of(256));
    }

    @Test
    void valueSemanticsAndDefensiveCopies() throws Exception {
        byte[] data = HEX.parseHex("c0000201");
        IdentificationPayload a = new IdentificationPayload(IdType.ID_IPV4_ADDR, 0, 0, data);
        data[3] = 9;
        assertEquals(1, a.dataByte(3));
        a.data()[3] = 9;
        assertEquals(1, a.dataByte(3));
        assertEquals(a, decode("01000000c0000201"));
        assertEquals(a.hashCode(), decode("01000000c0000201").hashCode());
        assertNotEquals(a, decode("01060000c0000201"));
        assertTrue(IdType.of(4) == IdType.ID_IPV4_ADDR_SUBNET);
        assertArrayEquals(HEX.parseHex("c0000201"), a.data());
    }

    /**
     * Random truncations and byte changes of the vectors: decode either succeeds and re-encodes to the same
     * bytes, or throws IkeProtocolException, never anything unchecked. Fixed, printed seed.
     */
    @Test
    void mutatedInputFailsOnlyWithProtocolExceptions() {
        long seed = 0x1d_1157L;
        System.out.println("IdentificationPayloadTest.mutatedInputFailsOnlyWithProtocolExceptions seed=0x"
                + Long.toHexString(seed));
        java.util.Random rnd = new java.util.Random(seed);
        String[] vectors = {V4_SUBNET, V4_RANGE, V6_SUBNET, V4_ADDR, LIST};
        for (int i = 0; i < 20_000; i++) {
            byte[] b = HEX.parseHex(vectors[rnd.nextInt(vectors.length)]);
            int changes = 1 + rnd.nextInt(3);
            for (int c = 0; c < changes; c++) {
                b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            }
            if (rnd.nextInt(4) == 0) {
                b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1));
            }
            String hex = HEX.formatHex(b);
            try {
                IdentificationPayload id = decode(hex);
                assertEquals(hex, encode(id), "iteration " + i);
                id.toString();
                id.listEntries();
            } catch (IkeProtocolException expected) {
                assertTrue(expected.notifyType().code() == 16 || expected.notifyType().code() == 18);
            }
        }
    }

    static IdentificationPayload decode(String hex) throws IkeProtocolException {
        return (IdentificationPayload) Msgs.decodeBody(PayloadType.IDENTIFICATION, hex);
    }

    static String encode(IdentificationPayload id) {
        return Msgs.body(id);
    }

    private static void expectInvalid(String hex, String message) {
        IkeProtocolException e = assertThrows(IkeProtocolException.class, () -> decode(hex), hex);
        assertEquals(NotifyType.INVALID_ID_INFORMATION, e.notifyType());
        assertEquals(18, e.notifyType().code());
        assertEquals(message, e.getMessage());
    }
}

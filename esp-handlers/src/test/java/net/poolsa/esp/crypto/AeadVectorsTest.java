package net.poolsa.esp.crypto;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The AEAD core against published vectors laid out as ESP packets: SPI || sequence number || IV || ciphertext
 * || tag, with the salt at the end of the key material. That checks nonce (salt || IV) and AAD (SPI || seq, or
 * SPI || ESN high || ESN low) construction, not only the JCA primitive.
 */
class AeadVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    private static ByteBuf esp(String spiSeq, String iv, String ct, String tag) {
        return Unpooled.wrappedBuffer(HEX.parseHex(spiSeq + iv + ct + tag));
    }

    /**
     * RFC 8439 §2.8.2 (ChaCha20-Poly1305 AEAD test vector): its 12-byte nonce 07000000 || 4041424344454647 and its
     * 12-byte AAD 50515253 c0c1c2c3 c4c5c6c7 are exactly an RFC 7634 ESP nonce (salt || IV) and an ESN AAD
     * (SPI || seq high || seq low).
     */
    @Test
    void chacha20Poly1305Rfc8439() throws Exception {
        byte[] keymat = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" + "07000000");
        String ct = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                + "3ff4def08e4b7a9de576d26586cec64b6116";
        String tag = "1ae10b594f09e26a7e902ecbd0600691";
        AeadCipher c = new AeadCipher(EspAlgorithm.CHACHA20_POLY1305, keymat);
        ByteBuf pkt = esp("50515253" + "c4c5c6c7", "4041424344454647", ct, tag);
        ByteBuf out = Unpooled.buffer();
        assertTrue(c.open(pkt, 0, pkt.readableBytes(), 0xc0c1c2c3, true, out));
        assertEquals("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
                out.toString(StandardCharsets.US_ASCII));
        // The same bytes with a different ESN high half (AAD) must fail.
        ByteBuf out2 = Unpooled.buffer();
        assertFalse(c.open(pkt, 0, pkt.readableBytes(), 0xc0c1c2c4, true, out2));
        assertEquals(0, out2.readableBytes());
    }

    /**
     * draft-mcgrew-gcm-test-01 (the GCM authors' ESP test vectors), packet on page 7: AES-128, key
     * feffe9928665731c6d6a8f9467308308, salt cafebabe, SPI 0000a5f8, seq 0000000a, IV facedbaddecaf888.
     */
    @Test
    void aesGcm128McGrewViegaEsp() throws Exception {
        AeadCipher c = new AeadCipher(EspAlgorithm.AES_GCM_16, HEX.parseHex("feffe9928665731c6d6a8f9467308308" + "cafebabe"));
        ByteBuf pkt = esp("0000a5f8" + "0000000a", "facedbaddecaf888",
                "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c"
                        + "3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1",
                "83b70d3aa8bc6ee4c309e9d85a41ad4a");
        ByteBuf out = Unpooled.buffer();
        assertTrue(c.open(pkt, 0, pkt.readableBytes(), 0, false, out));
        assertEquals(64, out.readableBytes());
        assertEquals(0x45, out.getUnsignedByte(0)); // the draft's plaintexts are IPv4 packets
        pkt.setByte(20, pkt.getByte(20) ^ 1);
        assertFalse(c.open(pkt, 0, pkt.readableBytes(), 0, false, Unpooled.buffer()));
    }

    /**
     * draft-mcgrew-gcm-test-01, page 6: AES-128 with a 64-bit ESN (AAD = SPI 00004321 || ESN 8765432100000000).
     * The draft's plaintext starts with the IPv4 header 45000048699a000080114db7c0a80102c0a80101.
     */
    @Test
    void aesGcm128McGrewViegaEspWithEsn() throws Exception {
        AeadCipher c = new AeadCipher(EspAlgorithm.AES_GCM_16, HEX.parseHex("4c80cdefbb5d10da906ac73c3613a634" + "2e443b68"));
        ByteBuf pkt = esp("00004321" + "00000000", "4956ed7e3b244cfe",
                "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
                        + "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732",
                "459018148f6cbe722fd04796562dfdb4");
        ByteBuf out = Unpooled.buffer();
        assertTrue(c.open(pkt, 0, pkt.readableBytes(), 0x87654321, true, out));
        assertEquals("45000048699a000080114db7c0a80102c0a80101", HEX.formatHex(out.array(), 0, 20));
        assertFalse(c.open(pkt, 0, pkt.readableBytes(), 0x87654321, false, Unpooled.buffer()), "32-bit AAD must not verify");
    }

    /**
     * draft-mcgrew-gcm-test-01, page 8: AES-256, key abbccddef00112233445566778899aab x2, salt 11223344,
     * SPI 4a2cbfe3, seq 00000002, IV 0102030405060708.
     */
    @Test
    void aesGcm256McGrewViegaEsp() throws Exception {
        AeadCipher c = new AeadCipher(EspAlgorithm.AES_GCM_16,
                HEX.parseHex("abbccddef00112233445566778899aababbccddef00112233445566778899aab" + "11223344"));
        ByteBuf pkt = esp("4a2cbfe3" + "00000002", "0102030405060708",
                "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99def842d8e",
                "b335f4eecfdbf831824b4c4915956c96");
        ByteBuf out = Unpooled.buffer();
        assertTrue(c.open(pkt, 0, pkt.readableBytes(), 0, false, out));
        assertEquals(0x45, out.getUnsignedByte(0));
    }

    /** Sealing is checked by tshark and scapy (the IV is our sequence number, so no published vector applies). */
    @Tag("root")
    @Test
    void sealThenOpenUsesTheSequenceNumberAsIv() throws Exception {
        AeadCipher c = new AeadCipher(EspAlgorithm.AES_GCM_16, new byte[20]);
        ByteBuf b = Unpooled.buffer(64);
        b.writeInt(0x12345678).writeInt(7).writeZero(8).writeBytes(new byte[] {1, 2, 3, 4, 0, 0, 0, 4});
        c.seal(b, 0, 8, 7, false);
        b.writerIndex(8 + 8 + 8 + 16);
        assertEquals(7L, b.getLong(8));
        ByteBuf out = Unpooled.buffer();
        assertTrue(c.open(b, 0, b.readableBytes(), 0, false, out));
        assertEquals("0102030400000004", HEX.formatHex(out.array(), 0, 8));
    }
}

package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The message layer: the header, the payload chain and its caps, padding, and the bytes kept for hashing. */
class IsakmpMessageCodecTest {
    private static final long ICOOKIE = 0x0102030405060708L;
    private static final IsakmpHeader MM = IsakmpHeader.of(ICOOKIE, 0, ExchangeType.IDENTITY_PROTECTION, 0);
    private static final IsakmpHeader QM = IsakmpHeader.of(ICOOKIE, 2, ExchangeType.QUICK_MODE, 7,
            IsakmpHeader.Flag.ENCRYPTION);

    private static void expect(byte[] datagram, NotifyType notify, String message) {
        Msgs.assertRefused(notify, message, () -> Msgs.decode(datagram));
    }

    private static byte[] vids(int n) {
        List<IsakmpPayload> p = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            p.add(new VendorIdPayload(Octets.ofInt(i)));
        }
        return Msgs.encode(new IsakmpMessage(MM, p));
    }

    @Test
    void datagramSizeAndHeaderLengthAreChecked() {
        byte[] two = vids(2);
        expect(Arrays.copyOf(two, 27), NotifyType.PAYLOAD_MALFORMED, "ISAKMP message needs at least 28 bytes, got 27");
        expect(Arrays.copyOf(two, two.length - 1), NotifyType.UNEQUAL_PAYLOAD_LENGTHS,
                "header Length 44 differs from the 43-byte datagram");
        expect(Arrays.copyOf(two, two.length + 1), NotifyType.UNEQUAL_PAYLOAD_LENGTHS,
                "header Length 44 differs from the 45-byte datagram");
        byte[] big = new byte[IsakmpConstants.MAX_MESSAGE_LENGTH + 1];
        System.arraycopy(two, 0, big, 0, two.length);
        expect(big, NotifyType.PAYLOAD_MALFORMED, "datagram of 10001 bytes exceeds 10000");
        // An IKEv2 IKE_SA_INIT header on our port.
        byte[] v2 = two.clone();
        v2[17] = 0x20;
        v2[18] = 34;
        v2[19] = 0x08;
        expect(v2, NotifyType.INVALID_MAJOR_VERSION, "ISAKMP version 2.0, only 1.x is spoken here");
    }

    @Test
    void payloadChainCapsAndLoops() throws Exception {
        assertEquals(IsakmpConstants.MAX_PAYLOADS_PER_MESSAGE, Msgs.decodeClear(vids(64)).payloads().size());
        // Our encoder refuses to build a 65-payload message; a peer's is built by hand from a 64-payload one.
        byte[] many = vids(64);
        byte[] more = Arrays.copyOf(many, many.length + 8); // each VID payload: 4 + 4 bytes
        more[many.length - 8] = 13; // the 64th VID now announces a 65th
        System.arraycopy(many, many.length - 8, more, many.length, 8);
        putLength(more);
        expect(more, NotifyType.PAYLOAD_MALFORMED, "message holds more than 64 payloads");

        byte[] loop = vids(2);
        loop[31] = 0; // first VID: Payload Length 0, which would never advance
        expect(loop, NotifyType.PAYLOAD_MALFORMED, "payload 1 (VID) length 0 is below the 4 bytes of its generic header");
        byte[] early = vids(2);
        early[36] = 13; // the last VID announces another one, and the datagram ends
        expect(early, NotifyType.PAYLOAD_MALFORMED, "payload 3 (VID) needs a 4-byte generic header, 0 bytes left");
        byte[] empty = Msgs.encode(new IsakmpMessage(MM, List.of()));
        assertEquals(28, empty.length);
        assertEquals(0, Msgs.decodeClear(empty).payloads().size());
        byte[] noBody = empty.clone();
        noBody[19] = 1;
        expect(noBody, NotifyType.PAYLOAD_MALFORMED, "encrypted message has no body");
        List<IsakmpPayload> sixtyFive = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            sixtyFive.add(new VendorIdPayload(Octets.ofInt(i)));
        }
        assertThrows(IllegalArgumentException.class, () -> new IsakmpMessage(MM, sixtyFive));
    }

    private static void putLength(byte[] m) {
        int n = m.length;
        m[24] = (byte) (n >>> 24);
        m[25] = (byte) (n >>> 16);
        m[26] = (byte) (n >>> 8);
        m[27] = (byte) n;
    }

    @Test
    void decryptedBodiesMayCarryPadding() throws Exception {
        List<IsakmpPayload> payloads = List.of(new HashPayload(new byte[20]), new NotificationPayload(Doi.IPSEC,
                ProtocolId.ISAKMP, NotifyType.R_U_THERE, Octets.ofCookies(ICOOKIE, 2), Octets.ofInt(9)));
        byte[] chain = Msgs.chain(payloads);
        IsakmpHeader info = IsakmpHeader.of(ICOOKIE, 2, ExchangeType.INFORMATIONAL, 3, IsakmpHeader.Flag.ENCRYPTION)
                .withNextPayload(PayloadType.HASH);
        IsakmpMessage m = Msgs.plaintext(info, Arrays.copyOf(chain, chain.length + IsakmpConstants.MAX_PADDING_LENGTH));
        assertEquals(payloads, m.payloads());
        assertEquals(Msgs.hex(chain), m.chainBytes(0).toHex());
        IkeProtocolException e = assertThrows(IkeProtocolException.class,
                () -> Msgs.plaintext(info, Arrays.copyOf(chain, chain.length + 256)));
        assertEquals(NotifyType.PAYLOAD_MALFORMED, e.notifyType());
        assertEquals("256 bytes follow the last payload, more than 255 bytes of padding", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Msgs.plaintext(MM, chain));
        IkeProtocolException big = assertThrows(IkeProtocolException.class,
                () -> Msgs.plaintext(info, new byte[IsakmpConstants.MAX_MESSAGE_LENGTH + 1]));
        assertEquals("plaintext of 10001 bytes exceeds 10000", big.getMessage());
    }

    @Test
    void encryptedMessagesTravelInTwoSteps() throws Exception {
        IsakmpMessage plain = new IsakmpMessage(QM, List.of(new HashPayload(new byte[20])));
        assertEquals(PayloadType.HASH, plain.header().nextPayload());
        Octets ciphertext = Octets.fromHex("00112233445566778899aabbccddeeff");
        byte[] wire = Msgs.encodeEncrypted(plain.header(), ciphertext);
        assertEquals(44, wire.length);
        EncryptedIsakmpMessage e = assertInstanceOf(EncryptedIsakmpMessage.class, Msgs.decode(wire));
        assertEquals(plain.header(), e.header());
        assertEquals(ciphertext, e.ciphertext());
        ByteBuf out = Unpooled.buffer();
        try {
            assertThrows(IllegalArgumentException.class, () -> IsakmpMessageEncoder.encode(plain, out));
            ByteBuf c = Unpooled.wrappedBuffer(new byte[16]);
            assertThrows(IllegalArgumentException.class, () -> IsakmpMessageEncoder.encodeEncrypted(MM, c, out));
            c.release();
            ByteBuf huge = Unpooled.wrappedBuffer(new byte[IsakmpConstants.MAX_MESSAGE_LENGTH]);
            assertThrows(IllegalArgumentException.class, () -> IsakmpMessageEncoder.encodeEncrypted(QM, huge, out));
            huge.release();
        } finally {
            out.release();
        }
    }

    @Test
    void hashedBytesOfABuiltMessageAreTheEncodersBytes() throws Exception {
        SecurityAssociationPayload sa = SecurityAssociationPayload.ipsec(List.of(new Proposal(1, ProtocolId.IPSEC_ESP,
                Octets.ofInt(0x1000), List.of(new Transform(1, TransformId.ESP_AES_GCM_16, List.of(
                        DataAttribute.basic(AttributeType.IPSEC_KEY_LENGTH, 128)))))));
        List<IsakmpPayload> payloads = List.of(new HashPayload(new byte[32]), sa, new NoncePayload(new byte[32]));
        IsakmpMessage built = new IsakmpMessage(QM, payloads);
        byte[] chain = Msgs.chain(payloads);
        assertEquals(Msgs.hex(Arrays.copyOfRange(chain, 36, chain.length)), built.chainBytes(1).toHex());
        assertEquals(Msgs.body(sa), built.bodyBytes(1).toHex());
        assertEquals("", built.chainBytes(3).toHex());
        assertThrows(IndexOutOfBoundsException.class, () -> built.chainBytes(4));
        assertEquals(sa, built.first(SecurityAssociationPayload.class));
        assertNull(built.first(DeletePayload.class));
        assertEquals(1, built.count(PayloadType.NONCE));
        // Decoded from those bytes, the same message with the same hashed bytes.
        IsakmpMessage decoded = Msgs.plaintext(built.header(), chain);
        assertEquals(built, decoded);
        assertEquals(built.chainBytes(1), decoded.chainBytes(1));
        assertTrue(decoded.toString().endsWith("[ HASH SA NONCE ]"));
    }
}

package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

/**
 * Real IKEv1 messages from two strongSwan 5.9.8 charons (resources strongswan-capture/, see its README.md):
 * Main Mode with a pre-shared key, Quick Mode with PFS, DPD and Delete Informationals, NAT-T forced, and a
 * NO-PROPOSAL-CHOSEN. Every message is decoded, checked against its row of {@link ExchangeMessage} and
 * re-encoded byte-exact; the unencrypted Main Mode messages are checked field by field against what
 * tshark shows for the same capture; the raw bytes the codec hands to the hash computations are checked
 * against the hashes strongSwan put in its messages, with the keys from its log; single bytes changed at
 * named offsets give the exact error. No root, no tshark.
 */
class StrongSwanMessagesTest {
    private static final long AES_ICOOKIE = 0x5c3e357ea40ecc62L;
    private static final long AES_RCOOKIE = 0xe9e9da960c255178L;

    /** The row of {@link ExchangeMessage} each captured message must fit, by its name in messages.txt. */
    static ExchangeMessage rowOf(String name, IsakmpHeader header) {
        String kind = name.substring(name.indexOf('-') + 1);
        if (kind.startsWith("info")) {
            return ExchangeMessage.informational(header);
        }
        switch (kind) {
            case "mm1": return ExchangeMessage.MAIN_MODE_1;
            case "mm2": return ExchangeMessage.MAIN_MODE_2;
            case "mm3": return ExchangeMessage.MAIN_MODE_3;
            case "mm4": return ExchangeMessage.MAIN_MODE_4;
            case "mm5": return ExchangeMessage.MAIN_MODE_5_PSK;
            case "mm6": return ExchangeMessage.MAIN_MODE_6_PSK;
            case "qm1": return ExchangeMessage.QUICK_MODE_1;
            case "qm2": return ExchangeMessage.QUICK_MODE_2;
            case "qm3": return ExchangeMessage.QUICK_MODE_3;
            default: throw new IllegalArgumentException(name);
        }
    }

    /** The readable message of a captured one: decoded, or decrypted by tshark and then decoded. */
    static IsakmpMessage readable(StrongSwanCapture.Message m) throws Exception {
        IsakmpDatagram d = Msgs.decode(m.isakmp());
        return m.encrypted() ? Msgs.plaintext(d.header(), m.plain()) : (IsakmpMessage) d;
    }

    @Test
    void everyMessageDecodesFitsItsRowAndReencodesByteExact() throws Exception {
        Map<String, StrongSwanCapture.Message> all = StrongSwanCapture.messages();
        assertEquals(42, all.size());
        int encrypted = 0;
        for (StrongSwanCapture.Message m : all.values()) {
            IsakmpDatagram d = Msgs.decode(m.isakmp());
            ExchangeMessage.checkSupportedExchange(d);
            assertEquals(m.encrypted(), d.header().encrypted(), m.name());
            if (!m.encrypted()) {
                IsakmpMessage clear = assertInstanceOf(IsakmpMessage.class, d, m.name());
                rowOf(m.name(), d.header()).check(clear);
                assertEquals(Msgs.hex(m.isakmp()), Msgs.hex(Msgs.encode(clear)), m.name());
                assertEquals(Msgs.hex(Arrays.copyOfRange(m.isakmp(), 28, m.isakmp().length)), clear.chainBytes(0).toHex());
                continue;
            }
            encrypted++;
            EncryptedIsakmpMessage e = assertInstanceOf(EncryptedIsakmpMessage.class, d, m.name());
            assertEquals(Msgs.hex(Arrays.copyOfRange(m.isakmp(), 28, m.isakmp().length)), e.ciphertext().toHex());
            assertEquals(Msgs.hex(m.isakmp()), Msgs.hex(Msgs.encodeEncrypted(e.header(), e.ciphertext())), m.name());
            IsakmpMessage p = Msgs.plaintext(e.header(), m.plain());
            rowOf(m.name(), p.header()).check(p);
            byte[] chain = Msgs.chain(p.payloads());
            assertEquals(Msgs.hex(Arrays.copyOf(m.plain(), chain.length)), Msgs.hex(chain), m.name());
            assertEquals(Msgs.hex(chain), p.chainBytes(0).toHex());
            // strongSwan pads with 1 to 16 zero bytes (AES block): all of them must have been taken as padding.
            int padding = m.plain().length - chain.length;
            assertTrue(padding >= 1 && padding <= 16, m.name() + " padding " + padding);
            for (int i = chain.length; i < m.plain().length; i++) {
                assertEquals(0, m.plain()[i], m.name() + " padding byte " + i);
            }
        }
        assertEquals(32, encrypted);
    }

    @Test
    void mainMode1FieldByField() throws Exception {
        // tshark -V of frame 1: ID_PROT, cookies 5c3e357ea40ecc62/0, SA(IPSEC, SIT_IDENTITY_ONLY, P#1 ISAKMP,
        // T#1 KEY_IKE: AES-CBC 128, SHA2-256, MODP 2048, PSK, 15840 s) then five vendor IDs.
        IsakmpMessage m = Msgs.decodeClear(StrongSwanCapture.get("aes-mm1").isakmp());
        assertEquals(new IsakmpHeader(AES_ICOOKIE, 0, PayloadType.SECURITY_ASSOCIATION, 0,
                ExchangeType.IDENTITY_PROTECTION, 0, 0), m.header());
        assertEquals("ID_PROT 5c3e357ea40ecc62_i 0000000000000000_r MID 00000000 flags 0x00 next SA v1.0 [ SA VID VID VID VID VID ]",
                m.toString());
        SecurityAssociationPayload sa = (SecurityAssociationPayload) m.payloads().get(0);
        assertEquals(Doi.IPSEC, sa.doi());
        assertEquals(SecurityAssociationPayload.SIT_IDENTITY_ONLY, sa.situation());
        assertEquals(1, sa.proposals().size());
        Proposal p = sa.proposals().get(0);
        assertEquals(1, p.number());
        assertEquals(ProtocolId.ISAKMP, p.protocol());
        assertEquals(Octets.EMPTY, p.spi());
        Transform t = p.transforms().get(0);
        assertEquals(1, p.transforms().size());
        assertEquals(1, t.number());
        assertEquals(TransformId.KEY_IKE, t.transformId());
        assertEquals(List.of(DataAttribute.basic(AttributeType.IKE_ENCRYPTION_ALGORITHM, IkeAttributeValues.ENCR_AES_CBC),
                DataAttribute.basic(AttributeType.IKE_KEY_LENGTH, 128),
                DataAttribute.basic(AttributeType.IKE_HASH_ALGORITHM, IkeAttributeValues.HASH_SHA2_256),
                DataAttribute.basic(AttributeType.IKE_GROUP_DESCRIPTION, IkeAttributeValues.GROUP_MODP_2048),
                DataAttribute.basic(AttributeType.IKE_AUTHENTICATION_METHOD, IkeAttributeValues.AUTH_PRE_SHARED_KEY),
                DataAttribute.basic(AttributeType.IKE_LIFE_TYPE, IkeAttributeValues.LIFE_SECONDS),
                DataAttribute.basic(AttributeType.IKE_LIFE_DURATION, 15840)), t.attributes());
        assertEquals(15840, t.attribute(AttributeType.IKE_LIFE_DURATION).longValue());
        assertEquals("T#1 KEY_IKE [Encryption-Algorithm=AES-CBC(7), Key-Length=128, Hash-Algorithm=SHA2-256(4), "
                + "Group-Description=MODP-2048(14), Authentication-Method=pre-shared key(1), Life-Type=seconds(1), "
                + "Life-Duration=15840]", t.toString());
        List<Octets> vids = new ArrayList<>();
        for (VendorIdPayload v : m.payloads(VendorIdPayload.class)) {
            vids.add(v.data());
        }
        // XAUTH, DPD, Cisco fragmentation, RFC 3947, draft-02\n as tshark names them.
        assertEquals(List.of(Octets.fromHex("09002689dfd6b712"), VendorIds.DPD,
                Octets.fromHex("4048b7d56ebce88525e7de7f00d6c2d380000000"), VendorIds.NAT_T_RFC_3947,
                VendorIds.NAT_T_DRAFT_02_N), vids);
    }

    @Test
    void mainMode2To4FieldByField() throws Exception {
        IsakmpMessage mm2 = Msgs.decodeClear(StrongSwanCapture.get("aes-mm2").isakmp());
        assertEquals(AES_RCOOKIE, mm2.header().responderCookie());
        assertEquals("ID_PROT 5c3e357ea40ecc62_i e9e9da960c255178_r MID 00000000 flags 0x00 next SA v1.0 [ SA VID VID VID VID ]",
                mm2.toString());
        // The responder returns the chosen transform: the one the initiator offered.
        IsakmpMessage mm1 = Msgs.decodeClear(StrongSwanCapture.get("aes-mm1").isakmp());
        assertEquals(mm1.payloads().get(0), mm2.payloads().get(0));

        IsakmpMessage mm3 = Msgs.decodeClear(StrongSwanCapture.get("aes-mm3").isakmp());
        assertEquals("ID_PROT 5c3e357ea40ecc62_i e9e9da960c255178_r MID 00000000 flags 0x00 next KE v1.0 [ KE NONCE NAT-D NAT-D ]",
                mm3.toString());
        KeyExchangePayload ke = mm3.first(KeyExchangePayload.class);
        assertEquals(256, ke.data().length()); // MODP 2048
        assertTrue(ke.data().toHex().startsWith("0d27103db1bf419aaea958070cf418a09dd503a1a77254ec14f303f0f9987f1a"));
        assertEquals("41ea2e4807506b0eb0f51e3b7f6cff8fa3714583df21ef3f13eae273d536342d",
                mm3.first(NoncePayload.class).data().toHex());
        List<NatDiscoveryPayload> natd = mm3.payloads(NatDiscoveryPayload.class);
        assertEquals(List.of(
                new NatDiscoveryPayload(false, Octets.fromHex("c80c279920c172044fc528f2a282fc981f0964002c79efad4a621fdae4930b53")),
                new NatDiscoveryPayload(false, Octets.fromHex("1872a1a893ece69fc269f921ef012874d133a8797059e0c17123b2a5affc83ba"))),
                natd);

        IsakmpMessage mm4 = Msgs.decodeClear(StrongSwanCapture.get("aes-mm4").isakmp());
        assertEquals("84f2182bd982a2f9ab5f6403fd74b2930d7ceb3a77fffd0d6a66d2b097a7c3f9",
                mm4.first(NoncePayload.class).data().toHex());
        assertEquals(Octets.fromHex("462b3b79174221ea24cb2d130c05543d7bc79aaf07a283c93eb2035dfc07fe33"),
                mm4.payloads(NatDiscoveryPayload.class).get(0).hash());
    }

    @Test
    void decryptedMessagesCarryWhatStrongSwanLogged() throws Exception {
        // swanctl.txt: "generating ID_PROT request 0 [ ID HASH N(INITIAL_CONTACT) ]".
        IsakmpMessage mm5 = readable(StrongSwanCapture.get("aes-mm5"));
        assertEquals("[ ID HASH N ]", mm5.toString().substring(mm5.toString().indexOf('[')));
        IdentificationPayload idii = mm5.first(IdentificationPayload.class);
        assertEquals(IdentificationPayload.address(java.net.InetAddress.getByName("192.0.2.1")), idii);
        assertEquals(NotificationPayload.initialContact(AES_ICOOKIE, AES_RCOOKIE), mm5.first(NotificationPayload.class));

        // QM1: ESP, SPI a6b18c7f_i (swanctl.txt), AES-CBC-128 HMAC-SHA2-256 MODP-2048, UDP-encapsulated tunnel.
        IsakmpMessage qm1 = readable(StrongSwanCapture.get("aes-qm1"));
        assertEquals("QUICK_MODE 5c3e357ea40ecc62_i e9e9da960c255178_r MID 91261e8c flags 0x01 next HASH v1.0 [ HASH SA NONCE KE ID ID ]",
                qm1.toString());
        Proposal esp = qm1.first(SecurityAssociationPayload.class).proposals().get(0);
        assertEquals(ProtocolId.IPSEC_ESP, esp.protocol());
        assertEquals(Octets.fromHex("a6b18c7f"), esp.spi());
        Transform t = esp.transforms().get(0);
        assertEquals(TransformId.ESP_AES_CBC, t.transformId());
        assertEquals("T#1 ESP_AES-CBC [Key-Length=128, Authentication-Algorithm=HMAC-SHA2-256(5), Group-Description=MODP-2048(14), "
                + "Encapsulation-Mode=UDP-Encapsulated-Tunnel(3), SA-Life-Type=seconds(1), SA-Life-Duration=3960]", t.toString());
        assertEquals(IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL,
                t.attribute(AttributeType.IPSEC_ENCAPSULATION_MODE).longValue());
        List<IdentificationPayload> ids = qm1.payloads(IdentificationPayload.class);
        assertEquals("ID_IPV4_ADDR_SUBNET 198.51.100.0/255.255.255.0 proto 0 port 0", ids.get(0).toString());
        assertEquals("ID_IPV4_ADDR_SUBNET 203.0.113.0/255.255.255.0 proto 0 port 0", ids.get(1).toString());

        // DPD: R-U-THERE with the cookie pair as SPI and sequence 0x7357daf8 (tshark: 1935137528).
        IsakmpMessage dpd = readable(StrongSwanCapture.get("aes-info1"));
        NotificationPayload n = dpd.first(NotificationPayload.class);
        assertEquals(NotificationPayload.dpd(false, AES_ICOOKIE, AES_RCOOKIE, 0x7357daf8), n);
        assertEquals(1935137528, n.dpdSequence());

        // Termination: "sending DELETE for ESP CHILD_SA with SPI a6b18c7f", then the ISAKMP SA.
        DeletePayload d1 = readable(StrongSwanCapture.get("aes-info13")).first(DeletePayload.class);
        assertEquals(new DeletePayload(Doi.IPSEC, ProtocolId.IPSEC_ESP, List.of(Octets.fromHex("a6b18c7f"))), d1);
        DeletePayload d2 = readable(StrongSwanCapture.get("aes-info14")).first(DeletePayload.class);
        assertEquals(DeletePayload.isakmp(AES_ICOOKIE, AES_RCOOKIE), d2);

        // NO-PROPOSAL-CHOSEN answering the refused Main Mode 1, in the clear.
        IsakmpMessage noprop = readable(StrongSwanCapture.get("noprop-info1"));
        assertEquals(ExchangeMessage.INFORMATIONAL_UNPROTECTED, ExchangeMessage.informational(noprop.header()));
        NotificationPayload np = noprop.first(NotificationPayload.class);
        assertEquals(NotifyType.NO_PROPOSAL_CHOSEN, np.notifyType());
        assertTrue(np.notifyType().isError());
        assertEquals(ProtocolId.ISAKMP, np.protocol());
        assertEquals(Octets.ofCookies(0x014814f1b32b360cL, 0x400c9a314e039cadL), np.spi());
    }

    /**
     * The bytes the codec hands to the hash computations are the ones strongSwan hashed: recomputed with
     * SKEYID and SKEYID_a from charon's log (RFC 2409 sections 5 and 5.5, 5.7 with HMAC of the negotiated hash),
     * they give the HASH payloads in the capture.
     */
    @Test
    void chainAndBodyBytesAreWhatStrongSwanHashed() throws Exception {
        String[] sas = {"aes", "3des"};
        String[] macs = {"HmacSHA256", "HmacSHA1"};
        List<byte[]> skeyid = CharonKeys.dumps("charon-initiator.log", "SKEYID");
        List<byte[]> skeyidA = CharonKeys.dumps("charon-initiator.log", "SKEYID_a");
        assertEquals(2, skeyid.size());
        for (int i = 0; i < sas.length; i++) {
            String sa = sas[i];
            IsakmpMessage mm1 = readable(StrongSwanCapture.get(sa + "-mm1"));
            IsakmpMessage mm3 = readable(StrongSwanCapture.get(sa + "-mm3"));
            IsakmpMessage mm4 = readable(StrongSwanCapture.get(sa + "-mm4"));
            IsakmpMessage mm5 = readable(StrongSwanCapture.get(sa + "-mm5"));
            IsakmpMessage mm6 = readable(StrongSwanCapture.get(sa + "-mm6"));
            byte[] gxi = mm3.first(KeyExchangePayload.class).data().toByteArray();
            byte[] gxr = mm4.first(KeyExchangePayload.class).data().toByteArray();
            byte[] ckyI = Arrays.copyOf(Octets.ofCookies(mm1.header().initiatorCookie(), 0).toByteArray(), 8);
            byte[] ckyR = Arrays.copyOf(Octets.ofCookies(mm4.header().responderCookie(), 0).toByteArray(), 8);
            byte[] saiB = mm1.bodyBytes(0).toByteArray();
            // HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
            assertEquals(mm5.first(HashPayload.class).data().toHex(), Msgs.hex(prf(macs[i], skeyid.get(i),
                    gxi, gxr, ckyI, ckyR, saiB, mm5.bodyBytes(0).toByteArray())), sa + " HASH_I");
            // HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
            assertEquals(mm6.first(HashPayload.class).data().toHex(), Msgs.hex(prf(macs[i], skeyid.get(i),
                    gxr, gxi, ckyR, ckyI, saiB, mm6.bodyBytes(0).toByteArray())), sa + " HASH_R");

            IsakmpMessage qm1 = readable(StrongSwanCapture.get(sa + "-qm1"));
            IsakmpMessage qm2 = readable(StrongSwanCapture.get(sa + "-qm2"));
            IsakmpMessage qm3 = readable(StrongSwanCapture.get(sa + "-qm3"));
            byte[] mid = Octets.ofInt(qm1.header().messageId()).toByteArray();
            byte[] niB = qm1.first(NoncePayload.class).data().toByteArray();
            byte[] nrB = qm2.first(NoncePayload.class).data().toByteArray();
            // HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ]): everything after HASH(1).
            assertEquals(qm1.first(HashPayload.class).data().toHex(),
                    Msgs.hex(prf(macs[i], skeyidA.get(i), mid, qm1.chainBytes(1).toByteArray())), sa + " HASH(1)");
            // HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])
            assertEquals(qm2.first(HashPayload.class).data().toHex(),
                    Msgs.hex(prf(macs[i], skeyidA.get(i), mid, niB, qm2.chainBytes(1).toByteArray())), sa + " HASH(2)");
            // HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
            assertEquals(qm3.first(HashPayload.class).data().toHex(),
                    Msgs.hex(prf(macs[i], skeyidA.get(i), new byte[] {0}, mid, niB, nrB)), sa + " HASH(3)");
            // Informational HASH(1) = prf(SKEYID_a, M-ID | N/D): the initiator's own DPD and Delete messages.
            int checked = 0;
            for (StrongSwanCapture.Message m : StrongSwanCapture.messages().values()) {
                if (!m.name().startsWith(sa + "-info")) {
                    continue;
                }
                IsakmpMessage info = readable(m);
                byte[] imid = Octets.ofInt(info.header().messageId()).toByteArray();
                assertEquals(info.first(HashPayload.class).data().toHex(),
                        Msgs.hex(prf(macs[i], skeyidA.get(i), imid, info.chainBytes(1).toByteArray())), m.name());
                checked++;
            }
            assertEquals(i == 0 ? 14 : 8, checked);
        }
    }

    private static byte[] prf(String algorithm, byte[] key, byte[]... parts) throws Exception {
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.write(p);
        }
        return mac.doFinal(all.toByteArray());
    }

    // Offsets in aes-mm1 (180 bytes): header 0-27; SA generic header 28 (Next Payload 28, Length 30-31), DOI
    // 32-35, Situation 36-39; proposal generic header 40, # of Transforms 47; transform generic header 48,
    // attributes 56-83 (Life-Duration TV at 80); five VIDs from 84, the last at 160.
    private static final int HDR_VERSION = 17;
    private static final int HDR_EXCHANGE = 18;
    private static final int HDR_FLAGS = 19;
    private static final int HDR_LENGTH_LOW = 27;
    private static final int SA_NEXT = 28;
    private static final int SA_LENGTH_LOW = 31;
    private static final int SA_DOI_LOW = 35;
    private static final int SA_SITUATION_LOW = 39;
    private static final int PROPOSAL_NEXT = 40;
    private static final int PROPOSAL_TRANSFORM_COUNT = 47;
    private static final int LIFE_DURATION_AF = 80;
    private static final int LAST_VID_NEXT = 160;
    // Offsets in the plaintext of aes-qm1: HASH 0-35, SA 36-91, NONCE 92-127, KE 128-387, IDci 388-403
    // (data 396-403: 198.51.100.0 mask 255.255.255.0), IDcr 404-419, then 12 bytes of padding.
    private static final int QM1_IDCI_MASK_THIRD = 402;
    private static final int QM1_IDCR_NEXT = 404;

    @Test
    void oneChangedByteAtANamedOffsetGivesTheExactError() throws Exception {
        byte[] mm1 = StrongSwanCapture.get("aes-mm1").isakmp();
        expect(mm1, HDR_VERSION, 0x20, NotifyType.INVALID_MAJOR_VERSION, "ISAKMP version 2.0, only 1.x is spoken here");
        expect(mm1, HDR_FLAGS, 0x10, NotifyType.INVALID_FLAGS, "flags 0x10 set bits other than E, C and A");
        expect(mm1, HDR_LENGTH_LOW, 0xb5, NotifyType.UNEQUAL_PAYLOAD_LENGTHS,
                "header Length 181 differs from the 180-byte datagram");
        expect(mm1, SA_LENGTH_LOW, 0x03, NotifyType.PAYLOAD_MALFORMED,
                "payload 1 (SA) length 3 is below the 4 bytes of its generic header");
        expect(mm1, SA_LENGTH_LOW, 0xff, NotifyType.PAYLOAD_MALFORMED, "payload 1 (SA) length 255 overruns the 152 bytes left");
        expect(mm1, SA_DOI_LOW, 0x02, NotifyType.DOI_NOT_SUPPORTED, "SA DOI GDOI is not IPSEC (1)");
        expect(mm1, SA_SITUATION_LOW, 0x02, NotifyType.SITUATION_NOT_SUPPORTED,
                "SA situation 0x2 is not SIT_IDENTITY_ONLY (1)");
        expect(mm1, PROPOSAL_TRANSFORM_COUNT, 0x02, NotifyType.BAD_PROPOSAL_SYNTAX,
                "SA proposal 1 announces 2 transforms and holds 1");
        expect(mm1, PROPOSAL_NEXT, 0x05, NotifyType.BAD_PROPOSAL_SYNTAX, "SA proposal 1 is followed by type 5, not 2 (P) or 0");
        expect(mm1, LIFE_DURATION_AF, 0x00, NotifyType.PAYLOAD_MALFORMED,
                "SA proposal 1 transform 1 attribute 7 (type 12) length 15840 overruns the 0 bytes left");
        expect(mm1, LAST_VID_NEXT, 0x0d, NotifyType.PAYLOAD_MALFORMED,
                "payload 7 (VID) needs a 4-byte generic header, 0 bytes left");
        expect(mm1, SA_NEXT, 0x00, NotifyType.PAYLOAD_MALFORMED, "96 bytes follow the last payload");

        // Well-formed bytes, wrong for the exchange: the table decides.
        expectRow(mm1, 16, 14, ExchangeMessage.MAIN_MODE_1, NotifyType.INVALID_PAYLOAD_TYPE,
                "MAIN_MODE_1 cannot carry UNKNOWN(14) (payload 1)");
        expectRow(mm1, 16, 200, ExchangeMessage.MAIN_MODE_1, NotifyType.PAYLOAD_MALFORMED,
                "MAIN_MODE_1 needs 1 SA payload, got 0");
        expectSupported(mm1, HDR_EXCHANGE, 4, NotifyType.PAYLOAD_MALFORMED, "AGGRESSIVE_MODE_1 needs 1 KE payload, got 0");
        expectSupported(mm1, HDR_EXCHANGE, 1, NotifyType.INVALID_EXCHANGE_TYPE, "exchange type BASE is not supported");
        expectRow(mm1, HDR_EXCHANGE, 32, ExchangeMessage.MAIN_MODE_1, NotifyType.INVALID_EXCHANGE_TYPE,
                "MAIN_MODE_1 expected, got exchange type QUICK_MODE");

        byte[] zeroCookie = mm1.clone();
        Arrays.fill(zeroCookie, 0, 8, (byte) 0);
        IkeProtocolException e = assertThrows(IkeProtocolException.class, () -> Msgs.decode(zeroCookie));
        assertEquals(NotifyType.INVALID_COOKIE, e.notifyType());

        StrongSwanCapture.Message qm1 = StrongSwanCapture.get("aes-qm1");
        IsakmpHeader h = Msgs.decode(qm1.isakmp()).header();
        expectPlain(h, qm1.plain(), QM1_IDCI_MASK_THIRD, 0x0f, NotifyType.INVALID_ID_INFORMATION,
                "ID_IPV4_ADDR_SUBNET mask 255.255.15.0 is not contiguous");
        expectPlain(h, qm1.plain(), QM1_IDCR_NEXT, 0x05, NotifyType.PAYLOAD_MALFORMED,
                "payload 7 (ID) length 0 is below the 4 bytes of its generic header");
    }

    private static byte[] with(byte[] original, int offset, int value) {
        byte[] b = original.clone();
        b[offset] = (byte) value;
        return b;
    }

    private static void expect(byte[] original, int offset, int value, NotifyType notify, String message) {
        byte[] b = with(original, offset, value);
        Msgs.assertRefused(notify, message, () -> Msgs.decode(b));
    }

    private static void expectRow(byte[] original, int offset, int value, ExchangeMessage row, NotifyType notify,
                                  String message) throws Exception {
        IsakmpMessage m = Msgs.decodeClear(with(original, offset, value));
        Msgs.assertRefused(notify, message, () -> row.check(m));
    }

    private static void expectSupported(byte[] original, int offset, int value, NotifyType notify, String message)
            throws Exception {
        IsakmpDatagram d = Msgs.decode(with(original, offset, value));
        Msgs.assertRefused(notify, message, () -> ExchangeMessage.checkSupportedExchange(d));
    }

    private static void expectPlain(IsakmpHeader h, byte[] plain, int offset, int value, NotifyType notify,
                                    String message) {
        byte[] b = with(plain, offset, value);
        Msgs.assertRefused(notify, message, () -> Msgs.plaintext(h, b));
    }

    @Test
    void unchangedBytesAtTheNamedOffsetsAreWhatTheCommentsSay() throws Exception {
        // Guards the offsets above: each names the field it claims to.
        byte[] mm1 = StrongSwanCapture.get("aes-mm1").isakmp();
        assertEquals(180, mm1.length);
        assertEquals(0x10, mm1[HDR_VERSION] & 0xff);
        assertEquals(0xb4, mm1[HDR_LENGTH_LOW] & 0xff);
        assertEquals(PayloadType.VENDOR_ID.code(), mm1[SA_NEXT]);
        assertEquals(0x38, mm1[SA_LENGTH_LOW]);
        assertEquals(1, mm1[PROPOSAL_TRANSFORM_COUNT]);
        assertEquals(0x80, mm1[LIFE_DURATION_AF] & 0xff);
        assertEquals(12, mm1[LIFE_DURATION_AF + 1]);
        assertEquals(0, mm1[LAST_VID_NEXT]);
        IsakmpMessage qm1 = readable(StrongSwanCapture.get("aes-qm1"));
        assertEquals(Msgs.hex(StrongSwanCapture.get("aes-qm1").plain()).substring(2 * 388, 2 * 420),
                qm1.chainBytes(4).toHex());
        assertNull(qm1.first(NatOriginalAddressPayload.class));
    }
}

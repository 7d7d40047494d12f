package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

import javax.security.auth.x500.X500Principal;

import org.junit.jupiter.api.Test;

/**
 * Every payload record: built from values, encoded, decoded back equal; each documented length or value
 * check raises the documented notify; open registries keep unknown numbers.
 */
class PayloadsTest {
    private static final long ICOOKIE = 0x0102030405060708L;
    private static final long RCOOKIE = 0x1112131415161718L;

    private static void roundTrip(IsakmpPayload p) throws IkeProtocolException {
        String body = Msgs.body(p);
        IsakmpPayload back = Msgs.decodeBody(p.type(), body);
        assertEquals(p, back);
        assertEquals(body, Msgs.body(back));
    }

    private static void expect(PayloadType type, String hex, NotifyType notify, String message) {
        Msgs.assertRefused(notify, message, () -> Msgs.decodeBody(type, hex));
    }

    @Test
    void everyPayloadRoundTrips() throws Exception {
        Transform ike = new Transform(1, TransformId.KEY_IKE, List.of(
                DataAttribute.basic(AttributeType.IKE_ENCRYPTION_ALGORITHM, IkeAttributeValues.ENCR_3DES_CBC),
                DataAttribute.number(AttributeType.IKE_LIFE_DURATION, 86400)));
        roundTrip(SecurityAssociationPayload.ipsec(List.of(new Proposal(1, ProtocolId.ISAKMP, Octets.EMPTY, List.of(ike)))));
        Transform ah = new Transform(1, TransformId.AH_SHA2_256, List.of(
                DataAttribute.basic(AttributeType.IPSEC_AUTHENTICATION_ALGORITHM, IpsecAttributeValues.AUTH_HMAC_SHA2_256)));
        Transform esp = new Transform(2, TransformId.ESP_AES_GCM_16, List.of(
                DataAttribute.basic(AttributeType.IPSEC_KEY_LENGTH, 256),
                DataAttribute.basic(AttributeType.IPSEC_EXTENDED_SEQUENCE_NUMBER, IpsecAttributeValues.ESN_64_BIT)));
        // An AH+ESP bundle: two proposals with one number (RFC 2408 section 4.2).
        roundTrip(SecurityAssociationPayload.ipsec(List.of(
                new Proposal(1, ProtocolId.IPSEC_AH, Octets.fromHex("00001001"), List.of(ah)),
                new Proposal(1, ProtocolId.IPSEC_ESP, Octets.fromHex("00001002"), List.of(esp)))));
        roundTrip(new KeyExchangePayload(new byte[] {1, 2, 3}));
        roundTrip(IdentificationPayload.fqdn("gw.example.net"));
        roundTrip(IdentificationPayload.userFqdn("ops@example.net"));
        roundTrip(IdentificationPayload.keyId(new byte[] {9}));
        roundTrip(IdentificationPayload.derAsn1Dn(new X500Principal("CN=gw.example.net, O=poolsa").getEncoded()));
        roundTrip(IdentificationPayload.address(InetAddress.getByName("2001:db8::1")));
        roundTrip(new CertificatePayload(CertEncoding.X509_SIGNATURE, Octets.fromHex("3082")));
        roundTrip(new CertificateRequestPayload(CertEncoding.X509_SIGNATURE, Octets.EMPTY));
        roundTrip(new HashPayload(new byte[20]));
        roundTrip(new SignaturePayload(new byte[] {5}));
        roundTrip(new NoncePayload(new byte[NoncePayload.MIN_LENGTH]));
        roundTrip(new NoncePayload(new byte[NoncePayload.MAX_LENGTH]));
        roundTrip(NotificationPayload.initialContact(ICOOKIE, RCOOKIE));
        roundTrip(NotificationPayload.dpd(true, ICOOKIE, RCOOKIE, -1));
        roundTrip(new NotificationPayload(Doi.ISAKMP, ProtocolId.RESERVED, NotifyType.of(40000), Octets.EMPTY, Octets.fromHex("ff")));
        roundTrip(DeletePayload.isakmp(ICOOKIE, RCOOKIE));
        roundTrip(new DeletePayload(Doi.IPSEC, ProtocolId.IPSEC_ESP, List.of(Octets.ofInt(1), Octets.ofInt(2))));
        roundTrip(new VendorIdPayload(VendorIds.DPD));
        roundTrip(new NatDiscoveryPayload(new byte[32]));
        roundTrip(new NatDiscoveryPayload(true, Octets.fromHex("01")));
        roundTrip(new NatOriginalAddressPayload(false, InetAddress.getByName("192.0.2.9")));
        roundTrip(new NatOriginalAddressPayload(true, InetAddress.getByName("2001:db8::9")));
        roundTrip(new UnknownPayload(PayloadType.of(14), Octets.fromHex("0badc0de")));
        roundTrip(new UnknownPayload(PayloadType.PROPOSAL, Octets.EMPTY));
    }

    @Test
    void registriesKeepUnknownNumbers() {
        assertEquals("UNKNOWN(14)", PayloadType.of(14).toString());
        assertFalse(PayloadType.of(14).isKnown());
        assertEquals(PayloadType.of(14), PayloadType.of(14));
        assertTrue(PayloadType.of(5) == PayloadType.IDENTIFICATION);
        assertTrue(PayloadType.NAT_D_DRAFT.isPrivateUse() && PayloadType.NAT_D_DRAFT.isKnown());
        assertEquals("DOI(4294967295)", Doi.of(-1).toString());
        assertEquals("NOTIFY(40000)", NotifyType.of(40000).toString());
        assertTrue(NotifyType.of(36136) == NotifyType.R_U_THERE);
        assertFalse(NotifyType.R_U_THERE.isError());
        assertTrue(NotifyType.of(9000).isError());
        assertEquals("UNKNOWN(99)", ExchangeType.of(99).toString());
        assertEquals("CERT_ENCODING(200)", CertEncoding.of(200).toString());
        assertEquals("PROTO(9)", ProtocolId.of(9).toString());
        // The same numbers mean different things per protocol and per attribute space.
        assertEquals("ESP_AES-CBC", TransformId.of(ProtocolId.IPSEC_ESP, 12).toString());
        assertEquals("AH_AES-192-GMAC", TransformId.of(ProtocolId.IPSEC_AH, 12).toString());
        assertNotEquals(TransformId.of(ProtocolId.IPSEC_ESP, 12), TransformId.of(ProtocolId.IPSEC_AH, 12));
        assertEquals("TRANSFORM(7)", TransformId.of(ProtocolId.of(9), 7).toString());
        assertEquals("Encryption-Algorithm", AttributeType.of(AttributeType.Space.IKE, 1).toString());
        assertEquals("SA-Life-Type", AttributeType.of(AttributeType.Space.IPSEC, 1).toString());
        assertNotEquals(AttributeType.of(AttributeType.Space.IKE, 1), AttributeType.of(AttributeType.Space.IPSEC, 1));
        assertEquals("ATTRIBUTE(32767)", AttributeType.of(AttributeType.Space.IPSEC, 32767).toString());
        assertEquals("UDP-Encapsulated-Tunnel (draft)", AttributeType.IPSEC_ENCAPSULATION_MODE.valueName(61443));
        assertThrows(IllegalArgumentException.class, () -> PayloadType.of(256));
        assertThrows(IllegalArgumentException.class, () -> NotifyType.of(65536));
        assertThrows(IllegalArgumentException.class, () -> AttributeType.of(AttributeType.Space.IKE, 32768));
    }

    @Test
    void natTraversalVendorIdsAreTheMd5OfTheirNames() throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        assertEquals(VendorIds.NAT_T_RFC_3947, Octets.of(md5.digest("RFC 3947".getBytes(StandardCharsets.US_ASCII))));
        assertEquals(VendorIds.NAT_T_DRAFT_02,
                Octets.of(md5.digest("draft-ietf-ipsec-nat-t-ike-02".getBytes(StandardCharsets.US_ASCII))));
        assertEquals(VendorIds.NAT_T_DRAFT_02_N,
                Octets.of(md5.digest("draft-ietf-ipsec-nat-t-ike-02\n".getBytes(StandardCharsets.US_ASCII))));
        assertEquals(VendorIds.NAT_T_DRAFT_03,
                Octets.of(md5.digest("draft-ietf-ipsec-nat-t-ike-03".getBytes(StandardCharsets.US_ASCII))));
        assertTrue(VendorIds.isNatTraversalDraft(VendorIds.NAT_T_DRAFT_02_N));
        assertFalse(VendorIds.isNatTraversalDraft(VendorIds.NAT_T_RFC_3947));
    }

    @Test
    void dataAttributesKeepTheirFormAndCheckTheirLengths() throws Exception {
        // Life-Duration 86400 does not fit two bytes: a 4-byte TLV (RFC 2409 Appendix A allows either form).
        DataAttribute day = DataAttribute.number(AttributeType.IKE_LIFE_DURATION, 86400);
        assertFalse(day.basic());
        assertEquals(86400, day.longValue());
        assertEquals("Life-Duration=86400", day.describe(AttributeType.Space.IKE));
        DataAttribute big = DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, 0x1_0000_0000L);
        assertEquals(8, big.value().length());
        assertEquals(0x1_0000_0000L, big.longValue());
        assertThrows(IllegalArgumentException.class, () -> DataAttribute.number(AttributeType.IKE_KEY_LENGTH, 70000));
        assertThrows(IllegalArgumentException.class, () -> new DataAttribute(1, true, Octets.fromHex("01")));
        DataAttribute nine = new DataAttribute(2, false, Octets.of(new byte[9]));
        IkeProtocolException e = assertThrows(IkeProtocolException.class, nine::longValue);
        assertEquals(NotifyType.ATTRIBUTES_NOT_SUPPORTED, e.notifyType());

        // A transform: number 1, KEY_IKE, RESERVED2, then attributes.
        String header = "0101" + "0000";
        // A Basic type (Encryption-Algorithm) sent as TLV: RFC 2409 Appendix A "MUST NOT".
        IkeProtocolException basicAsTlv = assertThrows(IkeProtocolException.class,
                () -> transform(header + "0001" + "0002" + "0007"));
        assertEquals(NotifyType.BAD_PROPOSAL_SYNTAX, basicAsTlv.notifyType());
        assertEquals("T: Encryption-Algorithm is a Basic attribute sent as TLV", basicAsTlv.getMessage());
        IkeProtocolException overrun = assertThrows(IkeProtocolException.class,
                () -> transform(header + "000c" + "0005" + "00015180"));
        assertEquals(NotifyType.PAYLOAD_MALFORMED, overrun.notifyType());
        assertEquals("T attribute 1 (type 12) length 5 overruns the 4 bytes left", overrun.getMessage());
        IkeProtocolException cut = assertThrows(IkeProtocolException.class, () -> transform(header + "8001"));
        assertEquals("T attribute 1 needs at least 4 bytes, got 2", cut.getMessage());
        // An unknown Variable type and a non-zero RESERVED2: kept, resp. ignored.
        Transform t = transform("0101ffff" + "7000" + "0001" + "ab");
        assertEquals(new DataAttribute(0x7000, false, Octets.fromHex("ab")), t.attributes().get(0));
        assertEquals("0101000070000001ab", Msgs.hex(transformBytes(t)));
    }

    private static Transform transform(String hex) throws IkeProtocolException {
        io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(Msgs.HEX.parseHex(hex));
        try {
            return Transform.decode(b, ProtocolId.ISAKMP, "T");
        } finally {
            b.release();
        }
    }

    private static byte[] transformBytes(Transform t) {
        io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
        try {
            t.encode(b);
            return Msgs.bytes(b);
        } finally {
            b.release();
        }
    }

    @Test
    void securityAssociationStructureIsChecked() {
        String sit = "00000001" + "00000001";
        // One proposal (P#1 ISAKMP, SPI size 0, 1 transform) holding one transform with one TV attribute.
        String transform = "0000000c" + "01010000" + "80010007";
        String proposal = "00000014" + "01010001" + transform;
        PayloadType sa = PayloadType.SECURITY_ASSOCIATION;
        expect(sa, "0000000100000001".substring(0, 14), NotifyType.PAYLOAD_MALFORMED, "SA needs at least 8 bytes, got 7");
        expect(sa, "00000002" + "00000001" + proposal, NotifyType.DOI_NOT_SUPPORTED, "SA DOI GDOI is not IPSEC (1)");
        expect(sa, sit, NotifyType.PAYLOAD_MALFORMED, "SA proposal 1 needs a 4-byte generic header, 0 bytes left");
        expect(sa, sit + proposal + "00", NotifyType.PAYLOAD_MALFORMED, "SA has 1 bytes after its last proposal");
        expect(sa, sit + "00000014" + "01010000" + transform, NotifyType.BAD_PROPOSAL_SYNTAX, "SA proposal 1 has no transforms");
        expect(sa, sit + "00000014" + "01012001" + transform, NotifyType.PAYLOAD_MALFORMED,
                "SA proposal 1 SPI size 32 overruns the 12 bytes left");
        expect(sa, sit + "00000018" + "01010001" + "0300000c" + "01010000" + "80010007" + "00000004",
                NotifyType.BAD_PROPOSAL_SYNTAX, "SA proposal 1 announces 1 transforms and chains more");
        expect(sa, sit + "00000014" + "01010001" + "0500000c" + "01010000" + "80010007",
                NotifyType.BAD_PROPOSAL_SYNTAX, "SA proposal 1 transform 1 is followed by type 5, not 3 (T) or 0");
        StringBuilder many = new StringBuilder(sit);
        for (int i = 0; i <= IsakmpConstants.MAX_PROPOSALS_PER_SA; i++) {
            many.append("02000014").append("01010001").append(transform);
        }
        expect(sa, many.toString(), NotifyType.PAYLOAD_MALFORMED, "SA holds more than 64 proposals");
    }

    @Test
    void opaquePayloadsNeedTheirBytes() {
        for (PayloadType t : List.of(PayloadType.KEY_EXCHANGE, PayloadType.HASH, PayloadType.SIGNATURE,
                PayloadType.VENDOR_ID, PayloadType.NAT_D, PayloadType.NAT_D_DRAFT)) {
            IkeProtocolException e = assertThrows(IkeProtocolException.class, () -> Msgs.decodeBody(t, ""));
            assertEquals(NotifyType.PAYLOAD_MALFORMED, e.notifyType(), t.toString());
        }
        expect(PayloadType.NONCE, "00".repeat(7), NotifyType.PAYLOAD_MALFORMED,
                "Nonce of 7 bytes is outside the 8-256 RFC 2409 section 5 allows");
        expect(PayloadType.NONCE, "00".repeat(257), NotifyType.PAYLOAD_MALFORMED,
                "Nonce of 257 bytes is outside the 8-256 RFC 2409 section 5 allows");
        expect(PayloadType.CERTIFICATE, "04", NotifyType.PAYLOAD_MALFORMED, "Certificate needs at least 2 bytes, got 1");
        expect(PayloadType.CERTIFICATE_REQUEST, "", NotifyType.PAYLOAD_MALFORMED,
                "Certificate Request needs at least 1 bytes, got 0");
        assertThrows(IllegalArgumentException.class, () -> new HashPayload(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new NoncePayload(new byte[7]));
        assertThrows(IllegalArgumentException.class, () -> new KeyExchangePayload(new byte[IsakmpConstants.MAX_BODY_LENGTH + 1]));
    }

    @Test
    void notificationsAndTheirTypedData() throws Exception {
        // DOI 1, ISAKMP, SPI size 16, R-U-THERE, cookies, sequence 7 (RFC 3706 section 5.1).
        String cookies = "0102030405060708" + "1112131415161718";
        NotificationPayload dpd = (NotificationPayload) Msgs.decodeBody(PayloadType.NOTIFICATION,
                "00000001" + "01" + "10" + "8d28" + cookies + "00000007");
        assertEquals(NotificationPayload.dpd(false, ICOOKIE, RCOOKIE, 7), dpd);
        assertEquals(7, dpd.dpdSequence());
        NotificationPayload shortDpd = (NotificationPayload) Msgs.decodeBody(PayloadType.NOTIFICATION,
                "00000001" + "01" + "10" + "8d29" + cookies + "000007");
        IkeProtocolException e = assertThrows(IkeProtocolException.class, shortDpd::dpdSequence);
        assertEquals(NotifyType.PAYLOAD_MALFORMED, e.notifyType());
        assertEquals("R-U-THERE-ACK sequence number has 3 bytes, not 4", e.getMessage());
        assertThrows(IllegalStateException.class, dpd::responderLifetimes);
        expect(PayloadType.NOTIFICATION, "00000001" + "01" + "10" + "8d28" + "0102", NotifyType.PAYLOAD_MALFORMED,
                "Notification R-U-THERE SPI size 16 overruns the 2 bytes left");
        expect(PayloadType.NOTIFICATION, "000000010110", NotifyType.PAYLOAD_MALFORMED,
                "Notification needs at least 8 bytes, got 6");

        // RESPONDER-LIFETIME for ESP SPI 0x01020304: seconds, 3600 (RFC 2407 section 4.6.3.1).
        List<DataAttribute> life = List.of(DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_SECONDS),
                DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, 3600));
        NotificationPayload rl = NotificationPayload.responderLifetime(ProtocolId.IPSEC_ESP, Octets.fromHex("01020304"), life);
        assertEquals("000000010304600001020304" + "80010001" + "80020e10", Msgs.body(rl));
        assertEquals(life, rl.responderLifetimes());
        NotificationPayload badLife = new NotificationPayload(Doi.IPSEC, ProtocolId.IPSEC_ESP, NotifyType.RESPONDER_LIFETIME,
                Octets.fromHex("01020304"), Octets.fromHex("0002"));
        assertEquals(NotifyType.PAYLOAD_MALFORMED, assertThrows(IkeProtocolException.class, badLife::responderLifetimes).notifyType());

        NotificationPayload replay = new NotificationPayload(Doi.IPSEC, ProtocolId.IPSEC_ESP, NotifyType.REPLAY_STATUS,
                Octets.fromHex("01020304"), Octets.ofInt(1));
        assertTrue(replay.replayDetection());
    }

    @Test
    void deletesAnnounceExactlyTheirSpis() throws Exception {
        expect(PayloadType.DELETE, "00000001" + "03" + "04" + "0002" + "01020304", NotifyType.PAYLOAD_MALFORMED,
                "Delete of PROTO_IPSEC_ESP announces 2 SPIs of 4 bytes, its body holds 4");
        expect(PayloadType.DELETE, "00000001" + "03" + "04" + "0000", NotifyType.PAYLOAD_MALFORMED,
                "Delete of PROTO_IPSEC_ESP names 0 SPIs of size 0".replace("size 0", "size 4"));
        expect(PayloadType.DELETE, "00000001" + "03" + "00" + "0001", NotifyType.PAYLOAD_MALFORMED,
                "Delete of PROTO_IPSEC_ESP names 1 SPIs of size 0");
        DeletePayload d = (DeletePayload) Msgs.decodeBody(PayloadType.DELETE, "00000001" + "03" + "04" + "0002" + "0102030405060708");
        assertEquals(List.of(Octets.fromHex("01020304"), Octets.fromHex("05060708")), d.spis());
        assertThrows(IllegalArgumentException.class, () -> new DeletePayload(Doi.IPSEC, ProtocolId.IPSEC_ESP,
                List.of(Octets.ofInt(1), Octets.fromHex("01"))));
        assertThrows(IllegalArgumentException.class, () -> new DeletePayload(Doi.IPSEC, ProtocolId.IPSEC_ESP, List.of()));
    }

    @Test
    void natOriginalAddressKeepsItsFamily() throws Exception {
        // An IPv4-mapped IPv6 address sent as ID_IPV6_ADDR stays 16 bytes and type 5.
        String mapped = "05000000" + "00000000000000000000ffffc0000209";
        NatOriginalAddressPayload oa = (NatOriginalAddressPayload) Msgs.decodeBody(PayloadType.NAT_OA, mapped);
        assertEquals(mapped, Msgs.body(oa));
        assertEquals("01000000c0000209", Msgs.body(new NatOriginalAddressPayload(false, InetAddress.getByName("192.0.2.9"))));
        expect(PayloadType.NAT_OA, "02000000c0000209", NotifyType.PAYLOAD_MALFORMED,
                "NAT-OA ID type ID_FQDN is not ID_IPV4_ADDR or ID_IPV6_ADDR");
        expect(PayloadType.NAT_OA, "01000000c00002", NotifyType.PAYLOAD_MALFORMED, "NAT-OA ID_IPV4_ADDR needs 4 address bytes, got 3");
        expect(PayloadType.NAT_OA_DRAFT, "010000", NotifyType.PAYLOAD_MALFORMED, "NAT-OA needs at least 4 bytes, got 3");
        assertEquals(PayloadType.NAT_OA_DRAFT, Msgs.decodeBody(PayloadType.NAT_OA_DRAFT, "01000000c0000209").type());
    }

    @Test
    void phaseOneIdentitiesAreChecked() throws Exception {
        byte[] dn = new X500Principal("CN=gw.example.net").getEncoded();
        IdentificationPayload id = (IdentificationPayload) Msgs.decodeBody(PayloadType.IDENTIFICATION,
                "09000000" + Msgs.hex(dn));
        assertEquals(IdType.ID_DER_ASN1_DN, id.idType());
        assertEquals("gw.example.net", IdentificationPayload.fqdn("gw.example.net").name());
        assertEquals("ID_USER_FQDN ops@example.net proto 0 port 0", IdentificationPayload.userFqdn("ops@example.net").toString());
        assertEquals(InetAddress.getByName("192.0.2.1"), IdentificationPayload.address(InetAddress.getByName("192.0.2.1")).address());
        // A 200-byte DN needs the long length form (0x81 0xc8 here).
        byte[] longDn = new X500Principal("CN=" + "a".repeat(180)).getEncoded();
        assertEquals(0x81, longDn[1] & 0xff);
        assertEquals(IdType.ID_DER_ASN1_DN,
                ((IdentificationPayload) Msgs.decodeBody(PayloadType.IDENTIFICATION, "09000000" + Msgs.hex(longDn))).idType());

        expect(PayloadType.IDENTIFICATION, "02000000", NotifyType.INVALID_ID_INFORMATION, "ID_FQDN is empty");
        expect(PayloadType.IDENTIFICATION, "02000000" + "67770d0a", NotifyType.INVALID_ID_INFORMATION,
                "ID_FQDN holds control character 0xd at offset 2");
        expect(PayloadType.IDENTIFICATION, "03000000" + "6100", NotifyType.INVALID_ID_INFORMATION,
                "ID_USER_FQDN holds control character 0x0 at offset 1");
        expect(PayloadType.IDENTIFICATION, "0b000000", NotifyType.INVALID_ID_INFORMATION, "ID_KEY_ID is empty");
        expect(PayloadType.IDENTIFICATION, "09000000" + "3103020100", NotifyType.INVALID_ID_INFORMATION,
                "ID_DER_ASN1_DN is not a DER SEQUENCE");
        expect(PayloadType.IDENTIFICATION, "09000000" + "3004020100", NotifyType.INVALID_ID_INFORMATION,
                "ID_DER_ASN1_DN DER length 4 does not fill the 3 bytes after its header");
        expect(PayloadType.IDENTIFICATION, "09000000" + "3080", NotifyType.INVALID_ID_INFORMATION,
                "ID_DER_ASN1_DN has an unusable DER length (0x80)");
        assertThrows(IllegalArgumentException.class, () -> IdentificationPayload.fqdn("a\nb"));
        assertThrows(IllegalStateException.class, () -> IdentificationPayload.keyId(new byte[] {1}).name());
    }

    @Test
    void headersKeepTheMinorVersionAndDeriveNextPayload() throws Exception {
        IsakmpHeader h = new IsakmpHeader(ICOOKIE, 0, PayloadType.NONE, 1, ExchangeType.IDENTITY_PROTECTION, 0, 0);
        IsakmpMessage m = new IsakmpMessage(h, List.of(new VendorIdPayload(VendorIds.DPD)));
        assertEquals(PayloadType.VENDOR_ID, m.header().nextPayload());
        byte[] wire = Msgs.encode(m);
        assertEquals(0x11, wire[17]);
        IsakmpMessage back = Msgs.decodeClear(wire);
        assertEquals(1, back.header().minorVersion());
        assertEquals(m, back);
        assertInstanceOf(VendorIdPayload.class, back.payloads().get(0));
        assertThrows(IllegalArgumentException.class, () -> h.withFlags(0x08));
        assertTrue(IsakmpHeader.of(ICOOKIE, RCOOKIE, ExchangeType.QUICK_MODE, 5, IsakmpHeader.Flag.ENCRYPTION,
                IsakmpHeader.Flag.COMMIT).has(IsakmpHeader.Flag.COMMIT));
    }
}

package net.poolsa.ike.message;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * One message of every kind poolsa's exchanges send, built from values by our records (no captured bytes):
 * Main Mode 1-6 (pre-shared key and signature variants), Quick Mode 1-3 with PFS, IDs, NAT-OA and an
 * AH+ESP bundle, and the Informationals (DPD, Delete, an unprotected error). All in the clear (E flag
 * off) so that an independent decoder can read every payload; each also fits its row of the table.
 */
final class SampleMessages {
    static final long ICOOKIE = 0x2a2b2c2d2e2f3031L;
    static final long RCOOKIE = 0x4142434445464748L;

    record Sample(ExchangeMessage row, IsakmpMessage message) {
    }

    private SampleMessages() {
    }

    static List<Sample> all() throws UnknownHostException {
        List<Sample> out = new ArrayList<>();
        Transform aes256 = new Transform(1, TransformId.KEY_IKE, List.of(
                DataAttribute.basic(AttributeType.IKE_ENCRYPTION_ALGORITHM, IkeAttributeValues.ENCR_AES_CBC),
                DataAttribute.basic(AttributeType.IKE_KEY_LENGTH, 256),
                DataAttribute.basic(AttributeType.IKE_HASH_ALGORITHM, IkeAttributeValues.HASH_SHA2_256),
                DataAttribute.basic(AttributeType.IKE_GROUP_DESCRIPTION, IkeAttributeValues.GROUP_MODP_2048),
                DataAttribute.basic(AttributeType.IKE_AUTHENTICATION_METHOD, IkeAttributeValues.AUTH_PRE_SHARED_KEY),
                DataAttribute.basic(AttributeType.IKE_LIFE_TYPE, IkeAttributeValues.LIFE_SECONDS),
                DataAttribute.number(AttributeType.IKE_LIFE_DURATION, 28800)));
        Transform tripleDes = new Transform(2, TransformId.KEY_IKE, List.of(
                DataAttribute.basic(AttributeType.IKE_ENCRYPTION_ALGORITHM, IkeAttributeValues.ENCR_3DES_CBC),
                DataAttribute.basic(AttributeType.IKE_HASH_ALGORITHM, IkeAttributeValues.HASH_SHA1),
                DataAttribute.basic(AttributeType.IKE_GROUP_DESCRIPTION, IkeAttributeValues.GROUP_MODP_1024),
                DataAttribute.basic(AttributeType.IKE_AUTHENTICATION_METHOD, IkeAttributeValues.AUTH_PRE_SHARED_KEY),
                DataAttribute.basic(AttributeType.IKE_LIFE_TYPE, IkeAttributeValues.LIFE_SECONDS),
                DataAttribute.number(AttributeType.IKE_LIFE_DURATION, 86400)));
        Transform curve = new Transform(3, TransformId.KEY_IKE, List.of(
                DataAttribute.basic(AttributeType.IKE_ENCRYPTION_ALGORITHM, IkeAttributeValues.ENCR_AES_CBC),
                DataAttribute.basic(AttributeType.IKE_KEY_LENGTH, 128),
                DataAttribute.basic(AttributeType.IKE_HASH_ALGORITHM, IkeAttributeValues.HASH_SHA2_512),
                DataAttribute.basic(AttributeType.IKE_GROUP_DESCRIPTION, IkeAttributeValues.GROUP_CURVE25519),
                DataAttribute.basic(AttributeType.IKE_AUTHENTICATION_METHOD, IkeAttributeValues.AUTH_RSA_SIGNATURES)));
        List<IsakmpPayload> vids = List.of(new VendorIdPayload(VendorIds.NAT_T_RFC_3947),
                new VendorIdPayload(VendorIds.NAT_T_DRAFT_02_N), new VendorIdPayload(VendorIds.DPD));

        IsakmpHeader mm1 = IsakmpHeader.of(ICOOKIE, 0, ExchangeType.IDENTITY_PROTECTION, 0);
        IsakmpHeader mm = IsakmpHeader.of(ICOOKIE, RCOOKIE, ExchangeType.IDENTITY_PROTECTION, 0);
        out.add(new Sample(ExchangeMessage.MAIN_MODE_1, new IsakmpMessage(mm1, with(SecurityAssociationPayload.ipsec(
                List.of(new Proposal(1, ProtocolId.ISAKMP, Octets.EMPTY, List.of(aes256, tripleDes, curve)))), vids))));
        out.add(new Sample(ExchangeMessage.MAIN_MODE_2, new IsakmpMessage(mm, with(SecurityAssociationPayload.ipsec(
                List.of(new Proposal(1, ProtocolId.ISAKMP, Octets.EMPTY, List.of(aes256)))), vids))));
        out.add(new Sample(ExchangeMessage.MAIN_MODE_3, new IsakmpMessage(mm, List.of(new KeyExchangePayload(bytes(256, 1)),
                new NoncePayload(bytes(32, 2)), new NatDiscoveryPayload(bytes(32, 3)), new NatDiscoveryPayload(bytes(32, 4))))));
        out.add(new Sample(ExchangeMessage.MAIN_MODE_4, new IsakmpMessage(mm, List.of(new KeyExchangePayload(bytes(256, 5)),
                new NoncePayload(bytes(32, 6)), new CertificateRequestPayload(CertEncoding.X509_SIGNATURE, Octets.EMPTY),
                new NatDiscoveryPayload(true, Octets.of(bytes(20, 7))), new NatDiscoveryPayload(true, Octets.of(bytes(20, 8)))))));
        out.add(new Sample(ExchangeMessage.MAIN_MODE_5_PSK, new IsakmpMessage(mm, List.of(
                IdentificationPayload.address(InetAddress.getByName("192.0.2.1")), new HashPayload(bytes(32, 9)),
                NotificationPayload.initialContact(ICOOKIE, RCOOKIE)))));
        out.add(new Sample(ExchangeMessage.MAIN_MODE_6_PSK, new IsakmpMessage(mm, List.of(
                IdentificationPayload.fqdn("gw-b.example.net"), new HashPayload(bytes(32, 10))))));
        out.add(new Sample(ExchangeMessage.MAIN_MODE_5_SIGNATURE, new IsakmpMessage(mm, List.of(
                IdentificationPayload.fqdn("gw-a.example.net"), new SignaturePayload(bytes(256, 11))))));
        out.add(new Sample(ExchangeMessage.MAIN_MODE_6_SIGNATURE, new IsakmpMessage(mm, List.of(
                IdentificationPayload.userFqdn("ops@example.net"), new SignaturePayload(bytes(256, 12))))));

        Transform ah = new Transform(1, TransformId.AH_SHA2_256, List.of(
                DataAttribute.basic(AttributeType.IPSEC_AUTHENTICATION_ALGORITHM, IpsecAttributeValues.AUTH_HMAC_SHA2_256),
                DataAttribute.basic(AttributeType.IPSEC_ENCAPSULATION_MODE, IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT),
                DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_SECONDS),
                DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, 3600)));
        Transform gcm = new Transform(1, TransformId.ESP_AES_GCM_16, List.of(
                DataAttribute.basic(AttributeType.IPSEC_KEY_LENGTH, 128),
                DataAttribute.basic(AttributeType.IPSEC_GROUP_DESCRIPTION, IkeAttributeValues.GROUP_MODP_2048),
                DataAttribute.basic(AttributeType.IPSEC_ENCAPSULATION_MODE, IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT),
                DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_KILOBYTES),
                DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, 4_000_000),
                DataAttribute.basic(AttributeType.IPSEC_EXTENDED_SEQUENCE_NUMBER, IpsecAttributeValues.ESN_64_BIT)));
        SecurityAssociationPayload bundle = SecurityAssociationPayload.ipsec(List.of(
                new Proposal(1, ProtocolId.IPSEC_AH, Octets.ofInt(0x1234), List.of(ah)),
                new Proposal(1, ProtocolId.IPSEC_ESP, Octets.ofInt(0x5678), List.of(gcm))));
        IsakmpHeader qm = IsakmpHeader.of(ICOOKIE, RCOOKIE, ExchangeType.QUICK_MODE, 0x0badcafe);
        IdentificationPayload idci = new IdentificationPayload(IdType.ID_IPV4_ADDR_SUBNET, 0, 0,
                new byte[] {(byte) 198, 51, 100, 0, (byte) 255, (byte) 255, (byte) 255, 0});
        IdentificationPayload idcr = new IdentificationPayload(IdType.ID_IPV4_ADDR, 17, 500, new byte[] {(byte) 203, 0, 113, 9});
        List<IsakmpPayload> oa = List.of(new NatOriginalAddressPayload(false, InetAddress.getByName("192.0.2.1")),
                new NatOriginalAddressPayload(false, InetAddress.getByName("192.0.2.2")));
        out.add(new Sample(ExchangeMessage.QUICK_MODE_1, new IsakmpMessage(qm, with(new HashPayload(bytes(32, 13)), bundle,
                new NoncePayload(bytes(32, 14)), new KeyExchangePayload(bytes(256, 15)), idci, idcr, oa))));
        out.add(new Sample(ExchangeMessage.QUICK_MODE_2, new IsakmpMessage(qm, with(new HashPayload(bytes(32, 16)), bundle,
                new NoncePayload(bytes(32, 17)), new KeyExchangePayload(bytes(256, 18)), idci, idcr,
                NotificationPayload.responderLifetime(ProtocolId.IPSEC_ESP, Octets.ofInt(0x5678), List.of(
                        DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_SECONDS),
                        DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, 1800)))))));
        out.add(new Sample(ExchangeMessage.QUICK_MODE_3, new IsakmpMessage(qm, List.of(new HashPayload(bytes(32, 19))))));

        IsakmpHeader info = IsakmpHeader.of(ICOOKIE, RCOOKIE, ExchangeType.INFORMATIONAL, 0x01000001);
        out.add(new Sample(ExchangeMessage.INFORMATIONAL_UNPROTECTED, new IsakmpMessage(info, List.of(
                NotificationPayload.isakmp(NotifyType.NO_PROPOSAL_CHOSEN, ICOOKIE, RCOOKIE, Octets.EMPTY)))));
        List<IsakmpPayload> protectedBodies = List.of(NotificationPayload.dpd(false, ICOOKIE, RCOOKIE, 0x7fff0001),
                NotificationPayload.dpd(true, ICOOKIE, RCOOKIE, 0x7fff0001),
                new DeletePayload(Doi.IPSEC, ProtocolId.IPSEC_ESP, List.of(Octets.ofInt(0x1234), Octets.ofInt(0x5678))),
                DeletePayload.isakmp(ICOOKIE, RCOOKIE));
        for (IsakmpPayload p : protectedBodies) {
            // The row of a protected Informational needs the E flag; the samples go out in the clear for tshark,
            // and ExchangeMessageTest checks them with the flag set.
            out.add(new Sample(ExchangeMessage.INFORMATIONAL_PROTECTED, new IsakmpMessage(info,
                    List.of(new HashPayload(bytes(32, 20)), p))));
        }
        return out;
    }

    private static List<IsakmpPayload> with(Object... parts) {
        List<IsakmpPayload> out = new ArrayList<>();
        for (Object o : parts) {
            if (o instanceof List<?> l) {
                for (Object e : l) {
                    out.add((IsakmpPayload) e);
                }
            } else {
                out.add((IsakmpPayload) o);
            }
        }
        return out;
    }

    /** {@code n} bytes counting up from {@code seed}: recognisable in a dump, nothing random. */
    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 16 + i);
        }
        return b;
    }
}

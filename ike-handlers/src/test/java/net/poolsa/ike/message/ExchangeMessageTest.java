package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The payload table: every row accepts its smallest legal message and refuses each way of breaking it
 * with the documented notify; the decisions the table makes for IKEv1 peers (Aggressive Mode, private
 * payload types, Delete in the clear) hold.
 */
class ExchangeMessageTest {
    private static final long I = 0x0102030405060708L;
    private static final long R = 0x1112131415161718L;

    /** One well-formed payload of each type the table names. */
    private static final Map<PayloadType, IsakmpPayload> SAMPLE;

    static {
        try {
            SAMPLE = Map.ofEntries(
                    Map.entry(PayloadType.SECURITY_ASSOCIATION, SecurityAssociationPayload.ipsec(List.of(new Proposal(1,
                            ProtocolId.ISAKMP, Octets.EMPTY, List.of(new Transform(1, TransformId.KEY_IKE, List.of())))))),
                    Map.entry(PayloadType.KEY_EXCHANGE, new KeyExchangePayload(new byte[32])),
                    Map.entry(PayloadType.IDENTIFICATION, IdentificationPayload.fqdn("gw.example.net")),
                    Map.entry(PayloadType.CERTIFICATE, new CertificatePayload(CertEncoding.X509_SIGNATURE, Octets.fromHex("30"))),
                    Map.entry(PayloadType.CERTIFICATE_REQUEST, new CertificateRequestPayload(CertEncoding.X509_SIGNATURE, Octets.EMPTY)),
                    Map.entry(PayloadType.HASH, new HashPayload(new byte[20])),
                    Map.entry(PayloadType.SIGNATURE, new SignaturePayload(new byte[64])),
                    Map.entry(PayloadType.NONCE, new NoncePayload(new byte[16])),
                    Map.entry(PayloadType.NOTIFICATION, NotificationPayload.initialContact(I, R)),
                    Map.entry(PayloadType.DELETE, DeletePayload.isakmp(I, R)),
                    Map.entry(PayloadType.VENDOR_ID, new VendorIdPayload(VendorIds.NAT_T_RFC_3947)),
                    Map.entry(PayloadType.NAT_D, new NatDiscoveryPayload(new byte[20])),
                    Map.entry(PayloadType.NAT_D_DRAFT, new NatDiscoveryPayload(true, Octets.of(new byte[20]))),
                    Map.entry(PayloadType.NAT_OA, new NatOriginalAddressPayload(false, InetAddress.getByName("192.0.2.7"))),
                    Map.entry(PayloadType.NAT_OA_DRAFT, new NatOriginalAddressPayload(true, InetAddress.getByName("192.0.2.7"))),
                    Map.entry(PayloadType.PROPOSAL, new UnknownPayload(PayloadType.PROPOSAL, Octets.fromHex("01010000"))),
                    Map.entry(PayloadType.of(14), new UnknownPayload(PayloadType.of(14), Octets.fromHex("00"))));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static IsakmpMessage message(ExchangeMessage row, List<IsakmpPayload> payloads) {
        IsakmpHeader h = IsakmpHeader.of(I, R, row.exchange(), row.exchange().equals(ExchangeType.IDENTITY_PROTECTION) ? 0 : 9);
        if (row.protection() == ExchangeMessage.Protection.ENCRYPTED) {
            h = h.withFlags(IsakmpHeader.Flag.ENCRYPTION.bit());
        }
        return new IsakmpMessage(h, payloads);
    }

    /** The leading payloads, then every rule's smallest legal count. */
    private static List<IsakmpPayload> minimal(ExchangeMessage row) {
        List<IsakmpPayload> p = new ArrayList<>();
        for (PayloadType t : row.leading()) {
            p.add(SAMPLE.get(t));
        }
        for (ExchangeMessage.PayloadRule r : row.rules()) {
            int have = row.leading().contains(r.type()) ? 1 : 0;
            for (int i = have; i < r.min(); i++) {
                p.add(SAMPLE.get(r.type()));
            }
        }
        return p;
    }

    private static void refused(ExchangeMessage row, IsakmpMessage m, NotifyType notify, String message) {
        Msgs.assertRefused(notify, message, () -> row.check(m));
    }

    @Test
    void everyRowAcceptsItsSmallestMessageAndRefusesEachViolation() throws Exception {
        for (ExchangeMessage row : ExchangeMessage.values()) {
            List<IsakmpPayload> min = minimal(row);
            row.check(message(row, min));
            for (ExchangeMessage.PayloadRule r : row.rules()) {
                List<IsakmpPayload> tooMany = new ArrayList<>(min);
                int have = (int) min.stream().filter(p -> p.type().equals(r.type())).count();
                for (int i = have; i <= r.max(); i++) {
                    tooMany.add(SAMPLE.get(r.type()));
                }
                refused(row, message(row, tooMany), NotifyType.PAYLOAD_MALFORMED,
                        row + " carries " + (r.max() + 1) + " " + r.type() + " payloads, at most " + r.max());
                if (r.min() > 0 && !row.leading().contains(r.type())) {
                    List<IsakmpPayload> missing = new ArrayList<>(min);
                    missing.remove(SAMPLE.get(r.type()));
                    refused(row, message(row, missing), NotifyType.PAYLOAD_MALFORMED, row + " needs " + r.min() + " "
                            + r.type() + " payload" + (r.min() > 1 ? "s" : "") + ", got " + (r.min() - 1));
                }
                if (r.minIfPresent() > 1) {
                    List<IsakmpPayload> one = new ArrayList<>(min);
                    one.add(SAMPLE.get(r.type()));
                    refused(row, message(row, one), NotifyType.PAYLOAD_MALFORMED,
                            row + " carries 1 " + r.type() + " payload: none or at least " + r.minIfPresent());
                }
            }
            for (PayloadType t : SAMPLE.keySet()) {
                if (row.rule(t) == null) {
                    List<IsakmpPayload> extra = new ArrayList<>(min);
                    extra.add(SAMPLE.get(t));
                    refused(row, message(row, extra), NotifyType.INVALID_PAYLOAD_TYPE,
                            row + " cannot carry " + t + " (payload " + extra.size() + ")");
                }
            }
            IsakmpMessage m = message(row, min);
            refused(row, new IsakmpMessage(m.header().withFlags(m.header().flags() ^ 1), min), NotifyType.INVALID_FLAGS,
                    row + " is sent " + (row.protection() == ExchangeMessage.Protection.ENCRYPTED ? "encrypted" : "in the clear")
                            + ", the E flag says otherwise");
            ExchangeType other = row.exchange().equals(ExchangeType.QUICK_MODE) ? ExchangeType.INFORMATIONAL : ExchangeType.QUICK_MODE;
            refused(row, new IsakmpMessage(new IsakmpHeader(I, R, PayloadType.NONE, 0, other, m.header().flags(), 9), min),
                    NotifyType.INVALID_EXCHANGE_TYPE, row + " expected, got exchange type " + other);
            if (row.leading().size() > 1) {
                List<IsakmpPayload> swapped = new ArrayList<>(min);
                swapped.set(0, min.get(1));
                swapped.set(1, min.get(0));
                refused(row, message(row, swapped), NotifyType.PAYLOAD_MALFORMED, row + " must begin with "
                        + row.leading() + ", payload 1 is " + min.get(1).type());
            }
        }
    }

    /** The messages of {@link SampleMessages} (which tshark reads) fit their rows, with the E flag their row needs. */
    @Test
    void sampleMessagesFitTheirRowsAndRoundTrip() throws Exception {
        for (SampleMessages.Sample s : SampleMessages.all()) {
            IsakmpMessage m = s.message();
            assertEquals(m, Msgs.decodeClear(Msgs.encode(m)), s.row().toString());
            if (s.row().protection() == ExchangeMessage.Protection.ENCRYPTED) {
                m = new IsakmpMessage(m.header().withFlags(IsakmpHeader.Flag.ENCRYPTION.bit()), m.payloads());
            }
            s.row().check(m);
        }
    }

    /**
     * strongSwan 5.9.8 as initiator with certificates, as its log in src/test/resources/strongswan-certs says:
     * "generating ID_PROT request 0 [ ID CERT SIG CERTREQ CERTREQ N(INITIAL_CONTACT) ]".
     */
    @Test
    void mainModeFiveWithSignaturesTakesStrongSwansCertificateRequests() throws Exception {
        IsakmpPayload cr = SAMPLE.get(PayloadType.CERTIFICATE_REQUEST);
        List<IsakmpPayload> charons = List.of(SAMPLE.get(PayloadType.IDENTIFICATION), SAMPLE.get(PayloadType.CERTIFICATE),
                SAMPLE.get(PayloadType.SIGNATURE), cr, cr, SAMPLE.get(PayloadType.NOTIFICATION));
        ExchangeMessage.MAIN_MODE_5_SIGNATURE.check(message(ExchangeMessage.MAIN_MODE_5_SIGNATURE, charons));
        refused(ExchangeMessage.MAIN_MODE_5_PSK, message(ExchangeMessage.MAIN_MODE_5_PSK, List.of(
                SAMPLE.get(PayloadType.IDENTIFICATION), SAMPLE.get(PayloadType.HASH), cr)), NotifyType.INVALID_PAYLOAD_TYPE,
                "MAIN_MODE_5_PSK cannot carry CR (payload 3)");
    }

    @Test
    void mainModeFiveAndSixHaveAVariantPerAuthenticationMethod() throws Exception {
        List<IsakmpPayload> sig = List.of(SAMPLE.get(PayloadType.IDENTIFICATION), SAMPLE.get(PayloadType.CERTIFICATE),
                SAMPLE.get(PayloadType.CERTIFICATE), SAMPLE.get(PayloadType.SIGNATURE));
        ExchangeMessage.MAIN_MODE_5_SIGNATURE.check(message(ExchangeMessage.MAIN_MODE_5_SIGNATURE, sig));
        refused(ExchangeMessage.MAIN_MODE_5_PSK, message(ExchangeMessage.MAIN_MODE_5_PSK, sig), NotifyType.INVALID_PAYLOAD_TYPE,
                "MAIN_MODE_5_PSK cannot carry CERT (payload 2)");
        List<IsakmpPayload> psk = List.of(SAMPLE.get(PayloadType.IDENTIFICATION), SAMPLE.get(PayloadType.HASH),
                SAMPLE.get(PayloadType.NOTIFICATION));
        refused(ExchangeMessage.MAIN_MODE_6_SIGNATURE, message(ExchangeMessage.MAIN_MODE_6_SIGNATURE, psk),
                NotifyType.INVALID_PAYLOAD_TYPE, "MAIN_MODE_6_SIGNATURE cannot carry HASH (payload 2)");
    }

    @Test
    void privateUsePayloadsAreIgnoredOnlyWhenUnknown() throws Exception {
        List<IsakmpPayload> p = new ArrayList<>(minimal(ExchangeMessage.MAIN_MODE_1));
        p.add(new UnknownPayload(PayloadType.of(132), Octets.fromHex("0001")));
        ExchangeMessage.MAIN_MODE_1.check(message(ExchangeMessage.MAIN_MODE_1, p));
        p.add(SAMPLE.get(PayloadType.NAT_D_DRAFT));
        refused(ExchangeMessage.MAIN_MODE_1, message(ExchangeMessage.MAIN_MODE_1, p), NotifyType.INVALID_PAYLOAD_TYPE,
                "MAIN_MODE_1 cannot carry NAT-D(draft) (payload 3)");
    }

    @Test
    void onlyMainQuickAndInformationalAreSpoken() throws Exception {
        List<IsakmpPayload> am = minimal(ExchangeMessage.AGGRESSIVE_MODE_1);
        IkeProtocolException e = assertThrows(IkeProtocolException.class,
                () -> ExchangeMessage.checkSupportedExchange(message(ExchangeMessage.AGGRESSIVE_MODE_1, am)));
        assertEquals(NotifyType.NO_PROPOSAL_CHOSEN, e.notifyType());
        assertEquals("Aggressive Mode is not offered (identity in the clear, PSK hash open to offline guessing)", e.getMessage());
        IsakmpHeader encryptedAm = IsakmpHeader.of(I, R, ExchangeType.AGGRESSIVE, 0, IsakmpHeader.Flag.ENCRYPTION);
        e = assertThrows(IkeProtocolException.class, () -> ExchangeMessage.checkSupportedExchange(
                new EncryptedIsakmpMessage(encryptedAm, Octets.ofInt(1))));
        assertEquals(NotifyType.INVALID_EXCHANGE_TYPE, e.notifyType());
        for (int code : new int[] {0, 1, 3, 6, 33, 34, 255}) {
            ExchangeType t = ExchangeType.of(code);
            e = assertThrows(IkeProtocolException.class, () -> ExchangeMessage.checkSupportedExchange(
                    new IsakmpMessage(IsakmpHeader.of(I, R, t, 0), List.of())));
            assertEquals(NotifyType.INVALID_EXCHANGE_TYPE, e.notifyType(), t.toString());
            assertEquals("exchange type " + t + " is not supported", e.getMessage());
        }
        for (ExchangeType t : List.of(ExchangeType.IDENTITY_PROTECTION, ExchangeType.QUICK_MODE, ExchangeType.INFORMATIONAL)) {
            ExchangeMessage.checkSupportedExchange(new IsakmpMessage(IsakmpHeader.of(I, R, t, 0), List.of()));
        }
    }

    @Test
    void aDeleteTravelsOnlyProtected() {
        List<IsakmpPayload> p = List.of(SAMPLE.get(PayloadType.NOTIFICATION), SAMPLE.get(PayloadType.DELETE));
        IsakmpMessage clear = new IsakmpMessage(IsakmpHeader.of(I, R, ExchangeType.INFORMATIONAL, 9), p);
        assertEquals(ExchangeMessage.INFORMATIONAL_UNPROTECTED, ExchangeMessage.informational(clear.header()));
        refused(ExchangeMessage.INFORMATIONAL_UNPROTECTED, clear, NotifyType.INVALID_PAYLOAD_TYPE,
                "INFORMATIONAL_UNPROTECTED cannot carry D (payload 2)");
    }
}

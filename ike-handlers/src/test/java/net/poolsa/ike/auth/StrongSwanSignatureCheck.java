package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.auth.AuthenticationRefusal.Reason;
import net.poolsa.ike.crypto.HashAlgorithm;
import net.poolsa.ike.crypto.IkeCipher;
import net.poolsa.ike.crypto.IsakmpEncryption;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.crypto.Phase1Suite;
import net.poolsa.ike.crypto.Phase1Values;
import net.poolsa.ike.message.AttributeType;
import net.poolsa.ike.message.CertificatePayload;
import net.poolsa.ike.message.CertificateRequestPayload;
import net.poolsa.ike.message.EncryptedIsakmpMessage;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.IdType;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IsakmpDatagram;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpMessageDecoder;
import net.poolsa.ike.message.KeyExchangePayload;
import net.poolsa.ike.message.NoncePayload;
import net.poolsa.ike.message.SecurityAssociationPayload;
import net.poolsa.ike.message.SignaturePayload;
import net.poolsa.ike.pool.PoolIdentities;

/**
 * The checks of a capture made by {@code strongswan-certs/capture-certs.sh}: two strongSwan 5.9.8 charons in Main
 * Mode with certificates, three variants (RSA under an intermediate, ECDSA P-256, ECDSA P-384). For each IKE SA,
 * from the datagrams and g^xy as logged (the one value that needs a private DH value), with poolsa's own codec and
 * crypto: SKEYID for signatures, Ka against the logs, decryption of Main Mode 5 and 6, HASH_I and HASH_R against the
 * logs; then strongSwan's CERT payloads validate against the test CA, its ID payloads match its certificates, and
 * its SIG_I and SIG_R verify with {@link SignatureMethod} for the negotiated Authentication Method; a flipped byte of
 * a signature, or of the hash, is refused. Quick Mode's IDci is the protected pool strongSwan claims, and
 * {@link PoolEntitlement} accepts it under the initiator's certificate and refuses a wider claim.
 */
final class StrongSwanSignatureCheck {
    private static final HexFormat HEX = HexFormat.of();

    /** One IKE SA of the capture: its name, address index, suite and the method its keys sign with. */
    record Variant(String name, int index, Phase1Suite suite, SignatureMethod method, IdType idType, String logScheme) {
        String initiator() {
            return "192.0.2.1" + index;
        }

        String responder() {
            return "192.0.2.2" + index;
        }
    }

    static final List<Variant> VARIANTS = List.of(
            new Variant("rsa", 1, new Phase1Suite(HashAlgorithm.SHA2_256, IkeCipher.AES_CBC, 128), SignatureMethod.RSA,
                    IdType.ID_DER_ASN1_DN, "RSA_EMSA_PKCS1_NULL"),
            new Variant("p256", 2, new Phase1Suite(HashAlgorithm.SHA2_256, IkeCipher.AES_CBC, 128),
                    SignatureMethod.ECDSA_256, IdType.ID_FQDN, "ECDSA_WITH_NULL"),
            new Variant("p384", 3, new Phase1Suite(HashAlgorithm.SHA2_384, IkeCipher.AES_CBC, 256),
                    SignatureMethod.ECDSA_384, IdType.ID_IPV4_ADDR, "ECDSA_WITH_NULL"));

    private final Path dir;
    private final Path pki;
    private final List<String[]> datagrams = new ArrayList<>();
    private final String initiatorLog;
    private final String responderLog;

    /** {@code dir} holds what the script wrote, {@code pki} the PKI it was given. */
    StrongSwanSignatureCheck(Path dir, Path pki) throws IOException {
        this.dir = dir;
        this.pki = pki;
        for (String line : Files.readAllLines(dir.resolve("datagrams.txt"), StandardCharsets.US_ASCII)) {
            if (!line.isBlank()) {
                datagrams.add(line.split("\t"));
            }
        }
        initiatorLog = Files.readString(dir.resolve("initiator.log"), StandardCharsets.ISO_8859_1);
        responderLog = Files.readString(dir.resolve("responder.log"), StandardCharsets.ISO_8859_1);
    }

    /** The time the certificates were made for: a day after their notBefore. */
    Instant captureTime() throws Exception {
        return PemFiles.certificates(pki.resolve("ca.pem")).get(0).getNotBefore().toInstant().plus(Duration.ofDays(1));
    }

    /**
     * The capture's CAs, the intermediate included: charon 5.9.8 sent only its end-entity certificate in Main Mode (no
     * "sending issuer cert" in its log), so a peer of it must have the intermediate configured, as charon had.
     */
    TrustStore trustStore(Path... crls) throws Exception {
        return TrustStore.load(List.of(pki.resolve("ca.pem"), pki.resolve("intermediate.pem")), List.of(crls));
    }

    PeerValidator validator(Path... crls) throws Exception {
        return new PeerValidator(trustStore(crls), Clock.fixed(captureTime(), ZoneOffset.UTC),
                RevocationPolicy.CHECK_CONFIGURED);
    }

    /** The ISAKMP messages between the variant's two addresses, in capture order, decoded; marker and ESP handled. */
    List<Wire> messages(Variant v) throws Exception {
        List<Wire> out = new ArrayList<>();
        for (String[] d : datagrams) {
            boolean fromI = d[0].equals(v.initiator()) && d[2].equals(v.responder());
            boolean fromR = d[0].equals(v.responder()) && d[2].equals(v.initiator());
            if (!fromI && !fromR) {
                continue;
            }
            byte[] b = HEX.parseHex(d[4]);
            if (d[1].equals("4500") || d[3].equals("4500")) {
                if (b.length < 4 || ByteBuffer.wrap(b).getInt() != 0) {
                    continue; // ESP in UDP, or a NAT-T keepalive
                }
                b = Arrays.copyOfRange(b, 4, b.length);
            }
            ByteBuf buf = Unpooled.wrappedBuffer(b);
            try {
                out.add(new Wire(fromI, b, IsakmpMessageDecoder.decode(buf)));
            } finally {
                buf.release();
            }
        }
        return out;
    }

    record Wire(boolean fromInitiator, byte[] raw, IsakmpDatagram message) {
        byte[] body() {
            return Arrays.copyOfRange(raw, 28, raw.length);
        }
    }

    /**
     * A value charon dumped at ike = 4 for the IKE SA {@code name}: "LABEL => N bytes @ ADDR" and hexdump lines. A
     * responder logs an IKE SA as "&lt;N&gt;" until the peer's ID names its configuration, "&lt;name|N&gt;" after.
     */
    static byte[] logged(String log, String name, String label) {
        Matcher id = Pattern.compile("<" + name + "\\|(\\d+)>").matcher(log);
        assertTrue(id.find(), name + ": not in the log");
        String sa = "<(?:" + name + "\\|)?" + id.group(1) + ">";
        Matcher m = Pattern.compile(sa + " " + Pattern.quote(label) + " => (\\d+) bytes @").matcher(log);
        assertTrue(m.find(), name + ": no '" + label + "' in the log");
        int n = Integer.parseInt(m.group(1));
        Matcher r = Pattern.compile(sa + "\\s+\\d+: ((?:[0-9A-F]{2} )*[0-9A-F]{2})").matcher(log);
        r.region(m.end(), log.length());
        StringBuilder hex = new StringBuilder();
        while (hex.length() < 2 * n && r.find()) {
            hex.append(r.group(1).replace(" ", ""));
        }
        assertEquals(2 * n, hex.length(), name + ": hexdump of " + label);
        assertTrue(!m.find(), name + ": '" + label + "' logged more than once");
        return HEX.parseHex(hex.toString().toLowerCase());
    }

    /** What {@link #check} established for one variant. */
    record Checked(PeerCertificate initiator, PeerCertificate responder, byte[] hashI, byte[] hashR,
                   SignaturePayload sigI, SignaturePayload sigR, IdentificationPayload idci) {
    }

    Checked check(Variant v) throws Exception {
        List<Wire> msgs = messages(v);
        List<Wire> mm = msgs.stream().filter(w -> w.message().header().exchangeType().equals(ExchangeType.IDENTITY_PROTECTION))
                .collect(Collectors.toList());
        assertEquals(6, mm.size(), v.name() + ": Main Mode is six messages");
        IsakmpMessage mm1 = (IsakmpMessage) mm.get(0).message();
        IsakmpMessage mm3 = (IsakmpMessage) mm.get(2).message();
        IsakmpMessage mm4 = (IsakmpMessage) mm.get(3).message();
        SecurityAssociationPayload sa = mm1.first(SecurityAssociationPayload.class);
        long auth = sa.proposals().get(0).transforms().get(0).attribute(AttributeType.IKE_AUTHENTICATION_METHOD).longValue();
        assertEquals(v.method(), SignatureMethod.ofAuthMethod((int) auth), v.name() + ": Authentication Method " + auth);
        byte[] saiB = mm1.bodyBytes(mm1.payloads().indexOf(sa)).toByteArray();

        TrustStore trust = trustStore();
        assertEquals(set(trust.certificateRequests()), set(mm4.payloads(CertificateRequestPayload.class)),
                v.name() + ": the responder's CR payloads in message 4");

        Phase1Values values = new Phase1Values(longBytes(mm1.header().initiatorCookie()),
                longBytes(((IsakmpMessage) mm.get(1).message()).header().responderCookie()),
                mm3.first(NoncePayload.class).data().toByteArray(), mm4.first(NoncePayload.class).data().toByteArray(),
                mm3.first(KeyExchangePayload.class).data().toByteArray(),
                mm4.first(KeyExchangePayload.class).data().toByteArray());
        byte[] gxy = logged(initiatorLog, v.name(), "shared Diffie Hellman secret");
        assertArrayEquals(gxy, logged(responderLog, v.name(), "shared Diffie Hellman secret"));
        Phase1Keys keys = Phase1Keys.signatures(v.suite(), values, gxy);
        assertArrayEquals(logged(initiatorLog, v.name(), "encryption key Ka"), keys.exportEncryptionKey(),
                v.name() + ": Ka from SKEYID = prf(Ni_b | Nr_b, g^xy)");

        IsakmpEncryption enc = keys.newEncryption();
        IsakmpMessage mm5 = decrypt(enc, mm.get(4));
        IsakmpMessage mm6 = decrypt(enc, mm.get(5));
        IdentificationPayload idii = mm5.first(IdentificationPayload.class);
        IdentificationPayload idir = mm6.first(IdentificationPayload.class);
        // strongSwan asks for certificates of the CAs it trusts: one CR per CA, the DER of its subject DN, as we do
        assertEquals(set(trust.certificateRequests()), set(mm5.payloads(CertificateRequestPayload.class)),
                v.name() + ": the initiator's CR payloads in message 5");
        assertEquals(v.idType(), idii.idType(), v.name() + " IDii");
        assertEquals(v.idType(), idir.idType(), v.name() + " IDir");
        byte[] hashI = keys.hashI(saiB, mm5.bodyBytes(mm5.payloads().indexOf(idii)).toByteArray());
        byte[] hashR = keys.hashR(saiB, mm6.bodyBytes(mm6.payloads().indexOf(idir)).toByteArray());
        for (String log : List.of(initiatorLog, responderLog)) {
            assertArrayEquals(logged(log, v.name(), "HASH_I"), hashI, v.name() + " HASH_I");
            assertArrayEquals(logged(log, v.name(), "HASH_R"), hashR, v.name() + " HASH_R");
        }

        PeerValidator validator = validator();
        PeerCertificate initiator = validator.validate(CertificatePayloads.decode(mm5.payloads(CertificatePayload.class)));
        PeerCertificate responder = validator.validate(CertificatePayloads.decode(mm6.payloads(CertificatePayload.class)));
        Identity expectI = Identity.parse(configuredId(v, "a"));
        Identity expectR = Identity.parse(configuredId(v, "b"));
        assertEquals(expectI, initiator.checkIdentity(idii, expectI));
        assertEquals(expectR, responder.checkIdentity(idir, expectR));
        SignaturePayload sigI = mm5.first(SignaturePayload.class);
        SignaturePayload sigR = mm6.first(SignaturePayload.class);
        assertEquals(v.method().signatureLength(initiator.certificate().getPublicKey()), sigI.data().length());
        initiator.verifySignature(v.method(), hashI, sigI);
        responder.verifySignature(v.method(), hashR, sigR);
        // and charon names the scheme it verified the responder's SIG_R with
        assertTrue(initiatorLog.contains("with " + v.logScheme() + " successful"), v.name() + ": " + v.logScheme());

        // Quick Mode: the initiator's IDci is the protected pool it claims
        Wire qm1 = msgs.stream().filter(w -> w.message().header().exchangeType().equals(ExchangeType.QUICK_MODE)
                && w.fromInitiator()).findFirst().orElseThrow();
        IsakmpMessage qm = decrypt(enc, qm1);
        IdentificationPayload idci = qm.payloads(IdentificationPayload.class).get(0);
        return new Checked(initiator, responder, hashI, hashR, sigI, sigR, idci);
    }

    /** The variant's whole check, plus the refusals: flipped bytes, a wider pool, a revoked certificate. */
    void checkWithRefusals(Variant v) throws Exception {
        Checked c = check(v);
        byte[] sig = c.sigI().data().toByteArray();
        for (int at : new int[] {0, sig.length / 2, sig.length - 1}) {
            byte[] flipped = sig.clone();
            flipped[at] ^= 0x01;
            AuthenticationRefusal e = assertThrows(AuthenticationRefusal.class,
                    () -> c.initiator().verifySignature(v.method(), c.hashI(), new SignaturePayload(flipped)));
            assertEquals(Reason.BAD_SIGNATURE, e.reason(), v.name() + " SIG_I byte " + at);
        }
        byte[] hash = c.hashR().clone();
        hash[hash.length - 1] ^= 0x01;
        AuthenticationRefusal e = assertThrows(AuthenticationRefusal.class,
                () -> c.responder().verifySignature(v.method(), hash, c.sigR()));
        assertEquals(Reason.BAD_SIGNATURE, e.reason());
        if (v.method() != SignatureMethod.RSA) {
            // what strongSwan signs is HASH_I itself: hashed again with the curve's SHA-2 (IKEv2's RFC 4754 rule) it fails
            Signature hashByCurve = Signature.getInstance((v.method() == SignatureMethod.ECDSA_256 ? "SHA256" : "SHA384")
                    + "withECDSAinP1363Format");
            hashByCurve.initVerify(c.initiator().certificate().getPublicKey());
            hashByCurve.update(c.hashI());
            assertFalse(hashByCurve.verify(sig), v.name() + ": SIG_I is not over SHA-2(HASH_I)");
        }
        // each side's signature is its own: SIG_R does not pass as SIG_I
        assertThrows(AuthenticationRefusal.class, () -> c.initiator().verifySignature(v.method(), c.hashI(), c.sigR()));

        AddressPool claimed = PoolIdentities.toPool(c.idci());
        assertEquals(AddressPool.parse("198.51.100." + 16 * v.index() + "/28"), claimed, v.name() + " IDci");
        PoolEntitlement byCertificate = new PoolEntitlement(AddressPool.EMPTY);
        byCertificate.check(c.initiator(), "protected pool", claimed);
        // the claim and the 16 addresses after it
        AddressPool wider = AddressPool.parse("198.51.100." + 16 * v.index() + "-198.51.100." + (16 * v.index() + 31));
        e = assertThrows(AuthenticationRefusal.class, () -> byCertificate.check(c.initiator(), "protected pool", wider));
        assertEquals(Reason.POOL_NOT_COVERED, e.reason());
        assertEquals(AddressPool.parse("198.51.100." + (16 * v.index() + 16) + "/28"), e.uncovered());
        assertTrue(e.getMessage().contains("[" + e.uncovered() + "]"), e.getMessage());
    }

    /** The certificate charon presented as the initiator of {@code v}, refused once its CA revokes it. */
    void revokedInitiatorIsRefused(Variant v, Path work) throws Exception {
        Checked c = check(v);
        X509Certificate cert = c.initiator().certificate();
        X509Certificate issuer = c.initiator().authority();
        String issuerName = issuer.getSubjectX500Principal().getName().contains("intermediate") ? "intermediate" : "ca";
        TestPki.Issued ca = new TestPki.Issued(issuer, new java.security.KeyPair(issuer.getPublicKey(),
                PemFiles.privateKey(pki.resolve(issuerName + ".key"))));
        Path crl = TestPki.write(work.resolve("revoked.pem"), TestPki.crl(ca, ca.key(), captureTime().minus(Duration.ofHours(1)),
                captureTime().plus(Duration.ofDays(1)), cert));
        PeerValidator withCrl = validator(crl);
        AuthenticationRefusal e = assertThrows(AuthenticationRefusal.class, () -> withCrl.validate(c.initiator().path()));
        assertEquals(Reason.REVOKED, e.reason(), e.getMessage());
    }

    /** The identity the script configures for a variant's side, in strongSwan's syntax. */
    static String configuredId(Variant v, String side) {
        switch (v.name()) {
            case "rsa":
                return "C=CH, O=poolsa test, CN=gw-" + side + " rsa";
            case "p256":
                return "gw-" + side + ".p256.example.org";
            default:
                return "192.0.2." + ((side.equals("a") ? 10 : 20) + v.index());
        }
    }

    private static IsakmpMessage decrypt(IsakmpEncryption enc, Wire w) throws Exception {
        EncryptedIsakmpMessage m = (EncryptedIsakmpMessage) w.message();
        IsakmpEncryption.Decrypted d = enc.decrypt(m.header().messageId(), w.body());
        ByteBuf plain = Unpooled.wrappedBuffer(d.plaintext());
        try {
            IsakmpMessage out = IsakmpMessageDecoder.decodePlaintext(m.header(), plain);
            d.confirm();
            return out;
        } finally {
            plain.release();
        }
    }

    private static Set<String> set(List<CertificateRequestPayload> crs) {
        return crs.stream().map(c -> c.encoding().code() + ":" + c.authority().toHex()).collect(Collectors.toSet());
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }
}

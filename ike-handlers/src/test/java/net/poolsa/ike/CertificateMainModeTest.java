package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.auth.CertificateAuthenticator;
import net.poolsa.ike.auth.LocalCredentials;
import net.poolsa.ike.auth.PeerValidator;
import net.poolsa.ike.auth.RevocationPolicy;
import net.poolsa.ike.auth.TestPki;
import net.poolsa.ike.auth.TestPki.Issued;
import net.poolsa.ike.auth.TrustStore;
import net.poolsa.ike.job.Timers;

/**
 * Main Mode with signatures between two engines back to back (RFC 2409 §5.1), then Quick Mode with the pools
 * checked against the certificates (RFC 3554 §4). The CA, the certificates and the CRLs are made here with Bouncy
 * Castle ({@link TestPki}); validity is judged at {@link TestPki#NOW}.
 * <pre>
 * A (initiator, 192.0.2.1)                               B (responder, 192.0.2.2)
 * HDR, SA(auth 3 or 9), VID                      --&gt;
 *                                                &lt;--   HDR, SA, VID
 * HDR, KE, Ni, CR, NAT-D, NAT-D                  --&gt;
 *                                                &lt;--   HDR, KE, Nr, CR, NAT-D, NAT-D
 * HDR*, IDii, CERT, SIG_I, N(INITIAL-CONTACT)    --&gt;
 *                                                &lt;--   HDR*, IDir, CERT, SIG_R
 * HDR*, HASH(1), SA, Ni, KE, IDci, IDcr, N(pool) --&gt;     IDci and the outer pool: covered by A's subjectAltName?
 *                                                &lt;--   HDR*, HASH(2), SA, Nr, KE, IDci, IDcr, N(pool)
 * HDR*, HASH(3)                                  --&gt;
 * </pre>
 */
class CertificateMainModeTest {
    private static final Clock AT_NOW = Clock.fixed(TestPki.NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    private final Issued ca = TestPki.root("CN=poolsa test CA");

    /** A's certificate: its protected /24 and its IKE address in subjectAltName. */
    private TestPki.Spec a(KeyPair keys) {
        return TestPki.cert("CN=gw-a").keys(keys).ipNet("198.51.100.0", "255.255.255.0").ip("192.0.2.1");
    }

    private TestPki.Spec b(KeyPair keys) {
        return TestPki.cert("CN=gw-b").keys(keys).ipNet("203.0.113.0", "255.255.255.0").ip("192.0.2.2");
    }

    @Test
    void rsaSignaturesEstablishMainModeAndQuickMode() throws Exception {
        Gateways g = new Gateways();
        configure(g, credentials("a", a(TestPki.rsa(2048)).sign(ca), List.of(ca), List.of(), ""),
                credentials("b", b(TestPki.rsa(2048)).sign(ca), List.of(ca), List.of(), ""));
        establishesWithAuthMethod(g, "80030003");
    }

    @Test
    void ecdsaP256SignaturesEstablishMainModeAndQuickMode() throws Exception {
        Gateways g = new Gateways();
        configure(g, credentials("a", a(TestPki.ec("secp256r1")).sign(ca), List.of(ca), List.of(), ""),
                credentials("b", b(TestPki.ec("secp256r1")).sign(ca), List.of(ca), List.of(), ""));
        establishesWithAuthMethod(g, "80030009");
    }

    /** 9 messages, auth method {@code attribute} (basic attribute 3) offered, the SA pair keyed alike on both sides. */
    private static void establishesWithAuthMethod(Gateways g, String attribute) {
        try (LogCapture log = new LogCapture()) {
            CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
            List<Wire.Datagram> sent = new ArrayList<>();
            assertEquals(9, g.wire.flush(d -> {
                sent.add(d);
                return d;
            }), "6 Main Mode + 3 Quick Mode messages");
            assertTrue(r.isDone() && r.getNow(null).ok(), () -> String.valueOf(r.getNow(null)));
            String first = HexFormat.of().formatHex(sent.get(0).bytes());
            assertTrue(first.contains(attribute), "message 1 offers authentication method " + attribute + ": " + first);
            assertFalse(first.contains("80030001"), "no pre-shared key offered");
            // messages 3 and 4 carry a CR naming our CA (payload type 7): its DER subject is in both
            String caName = HexFormat.of().formatHex(new javax.security.auth.x500.X500Principal("CN=poolsa test CA")
                    .getEncoded());
            assertTrue(HexFormat.of().formatHex(sent.get(2).bytes()).contains(caName), "CR in message 3");
            assertTrue(HexFormat.of().formatHex(sent.get(3).bytes()).contains(caName), "CR in message 4");
            assertEquals(1, log.with("event=ike_peer_certificate connection=c remote=192.0.2.2:500 "
                    + "peer_id=\"ID_DER_ASN1_DN").size(), "A validated B's certificate: " + log.lines());
            assertEquals(1, log.with("certificate=\"PeerCertificate['CN=gw-a'").size(), "B validated A's");
        }
        SecurityAssociation aOut = Gateways.one(g.a, Direction.OUTBOUND);
        SecurityAssociation bIn = Gateways.one(g.b, Direction.INBOUND);
        assertEquals(aOut.spi(), bIn.spi());
        assertArrayEquals(aOut.keys().encryptionKey(), bIn.keys().encryptionKey());
        assertEquals(1, g.a.events.exchanges("main_mode/ok"));
        assertEquals(1, g.b.events.exchanges("main_mode/ok"));
        assertEquals(1, g.b.events.exchanges("quick_mode/ok"));
        assertEquals(0, g.a.events.totalDrops() + g.b.events.totalDrops(), g.a.events.drops + " " + g.b.events.drops);
    }

    /** B's certificate expired a day before NOW: A (initiator) refuses message 6 and the attempt fails at once. */
    @Test
    void initiatorRefusesAnExpiredResponderCertificate() throws Exception {
        Issued expired = b(TestPki.ec("secp256r1")).validity(TestPki.NOW.minus(Duration.ofDays(400)),
                TestPki.NOW.minus(Duration.ofDays(1))).sign(ca);
        Gateways g = new Gateways();
        configure(g, credentials("a", a(TestPki.ec("secp256r1")).sign(ca), List.of(ca), List.of(), ""),
                credentials("b", expired, List.of(ca), List.of(), ""));
        IkeResult r = g.initiate(g.a);
        assertFalse(r.ok());
        assertTrue(r.message().contains("'CN=gw-b' (serial 0x" + expired.cert().getSerialNumber().toString(16)
                + "): expired at "), r.message());
        assertNoSa(g);
        assertEquals(1, g.a.events.exchanges("main_mode/refused"));
        assertEquals(1, g.a.events.drops("authentication"));
        assertEquals(0, g.b.events.exchanges("quick_mode/ok"));
    }

    /** B's certificate comes from another CA than A's configured one. */
    @Test
    void initiatorRefusesAnUntrustedResponderCertificate() throws Exception {
        Issued otherCa = TestPki.root("CN=some other CA");
        Gateways g = new Gateways();
        configure(g, credentials("a", a(TestPki.ec("secp256r1")).sign(ca), List.of(ca), List.of(), ""),
                credentials("b", b(TestPki.ec("secp256r1")).sign(otherCa), List.of(ca), List.of(), ""));
        IkeResult r = g.initiate(g.a);
        assertFalse(r.ok());
        assertTrue(r.message().contains("was issued by 'CN=some other CA', which is neither a configured CA nor a "
                + "certificate the peer sent"), r.message());
        assertNoSa(g);
    }

    /**
     * A's certificate is on the CA's CRL that B holds: B (responder) refuses message 5 with INVALID-CERTIFICATE
     * and a log line naming the certificate and the CRL; no message 6, A's attempt fails on the notification, and
     * once B's half-open SA expires no SA is left anywhere.
     */
    @Test
    void responderRefusesARevokedInitiatorCertificate() throws Exception {
        Issued revoked = a(TestPki.ec("secp256r1")).sign(ca);
        X509CRL crl = TestPki.crl(ca, revoked.cert());
        Gateways g = new Gateways();
        configure(g, credentials("a", revoked, List.of(ca), List.of(), ""),
                credentials("b", b(TestPki.ec("secp256r1")).sign(ca), List.of(ca), List.of(crl), ""));
        CompletableFuture<IkeResult> r;
        try (LogCapture log = new LogCapture()) {
            r = g.a.engine.initiate("c").toCompletableFuture();
            List<Wire.Datagram> sent = new ArrayList<>();
            g.wire.flush(d -> {
                sent.add(d);
                return d;
            });
            List<String> refused = log.with("event=ike_refused reason=authentication");
            assertEquals(1, refused.size(), log.lines().toString());
            assertTrue(refused.get(0).contains("notify=INVALID-CERTIFICATE"), refused.get(0));
            assertTrue(refused.get(0).contains("'CN=gw-a' (serial 0x" + revoked.cert().getSerialNumber().toString(16)
                    + ") was revoked at "), refused.get(0));
            assertTrue(refused.get(0).contains("according to CRL " + dir.resolve("b-crl0.pem")), refused.get(0));
            assertEquals(6, sent.size(), "messages 1-5 and B's protected notification: " + sent.size());
            assertEquals(5, sent.get(5).exchangeType(), "an Informational (5), no message 6");
        }
        IkeResult result = Gateways.done(r);
        assertFalse(result.ok());
        assertTrue(result.message().contains("the responder refused our authentication: INVALID-CERTIFICATE"),
                result.message());
        assertEquals(1, g.a.events.exchanges("main_mode/refused"));
        assertEquals(1, g.snapshot(g.b).size(), "B's half-open SA waits for its expiry, as any abandoned one");
        g.wire.advance(Timers.DEFAULT.halfOpenMillis());
        assertNoSa(g);
        assertEquals(1, g.b.events.drops("authentication"));
        assertEquals(1, g.b.events.exchanges("main_mode/refused"));
        assertEquals(0, g.b.events.exchanges("main_mode/ok"));
    }

    /**
     * A's certificate grants it only 198.51.100.0/25 while both configurations protect the /24: Main Mode
     * completes, B refuses A's Quick Mode claim with INVALID-ID-INFORMATION naming the upper half.
     */
    @Test
    void responderRefusesAProtectedPoolTheCertificateDoesNotCover() throws Exception {
        Issued half = TestPki.cert("CN=gw-a").keys(TestPki.ec("secp256r1")).ipNet("198.51.100.0", "255.255.255.128")
                .ip("192.0.2.1").sign(ca);
        Gateways g = new Gateways();
        configure(g, credentials("a", half, List.of(ca), List.of(), ""),
                credentials("b", b(TestPki.ec("secp256r1")).sign(ca), List.of(ca), List.of(), ""));
        try (LogCapture log = new LogCapture()) {
            IkeResult r = g.initiate(g.a);
            assertFalse(r.ok());
            assertTrue(r.message().contains("INVALID-ID-INFORMATION"), r.message());
            List<String> refused = log.with("event=ike_refused reason=invalid_id");
            assertEquals(1, refused.size(), log.lines().toString());
            assertTrue(refused.get(0).contains("notify=INVALID-ID-INFORMATION"), refused.get(0));
            assertTrue(refused.get(0).contains("claims protected pool (IDci) [198.51.100.0/24]: [198.51.100.128/25] "
                    + "is neither in its certificate's subjectAltName [192.0.2.1/32, 198.51.100.0/25]"), refused.get(0));
        }
        assertEquals(1, g.a.events.exchanges("main_mode/ok"));
        assertEquals(1, g.b.events.exchanges("main_mode/ok"));
        assertEquals(1, g.b.events.exchanges("quick_mode/refused"));
        assertEquals(0, g.b.kernel.listSas().size() + g.a.kernel.listSas().size());
    }

    /** The same certificate, but B's connection grants A the /24 by policy: accepted. */
    @Test
    void aPolicyGrantCoversWhatTheCertificateDoesNot() throws Exception {
        Issued half = TestPki.cert("CN=gw-a").keys(TestPki.ec("secp256r1")).ipNet("198.51.100.0", "255.255.255.128")
                .ip("192.0.2.1").sign(ca);
        Gateways g = new Gateways();
        configure(g, credentials("a", half, List.of(ca), List.of(), ""),
                credentials("b", b(TestPki.ec("secp256r1")).sign(ca), List.of(ca), List.of(), "198.51.100.0/24"));
        assertTrue(g.initiate(g.a).ok());
        assertEquals(1, g.b.events.exchanges("quick_mode/ok"));
        assertEquals(2, g.b.kernel.listSas().size());
    }

    /** A's certificate lacks its IKE address 192.0.2.1: its outer-pool announcement is refused, naming it. */
    @Test
    void responderRefusesAnOuterPoolTheCertificateDoesNotCover() throws Exception {
        Issued noOuter = TestPki.cert("CN=gw-a").keys(TestPki.ec("secp256r1")).ipNet("198.51.100.0", "255.255.255.0")
                .sign(ca);
        Gateways g = new Gateways();
        configure(g, credentials("a", noOuter, List.of(ca), List.of(), ""),
                credentials("b", b(TestPki.ec("secp256r1")).sign(ca), List.of(ca), List.of(), ""));
        try (LogCapture log = new LogCapture()) {
            assertFalse(g.initiate(g.a).ok());
            List<String> refused = log.with("event=ike_refused reason=invalid_id");
            assertEquals(1, refused.size(), log.lines().toString());
            assertTrue(refused.get(0).contains("claims outer pool [192.0.2.1/32]: [192.0.2.1/32] is neither"), refused.get(0));
        }
        assertEquals(0, g.b.kernel.listSas().size());
    }

    /** No child SA, and no IKE SA left on either side (the one that refused deleted the other's). */
    private static void assertNoSa(Gateways g) {
        assertEquals(0, g.a.kernel.listSas().size(), "A's SAs");
        assertEquals(0, g.b.kernel.listSas().size(), "B's SAs");
        assertEquals(0, g.a.events.exchanges("main_mode/ok"));
        assertEquals(List.of(), g.snapshot(g.a));
        assertEquals(List.of(), g.snapshot(g.b));
    }

    private static void configure(Gateways g, CertificateAuthenticator atA, CertificateAuthenticator atB) {
        g.configure(Gateways.forA().certificates(atA), Gateways.forB().certificates(atB));
    }

    /** Credentials from files written here: ours, the CAs and CRLs, validated at NOW; {@code grant} by policy. */
    private CertificateAuthenticator credentials(String name, Issued own, List<Issued> cas, List<X509CRL> crls,
                                                 String grant) throws Exception {
        return credentials(dir, name, own, cas, crls, grant);
    }

    /** As above, with the files under {@code dir}. */
    static CertificateAuthenticator credentials(Path dir, String name, Issued own, List<Issued> cas, List<X509CRL> crls,
                                                String grant) throws Exception {
        Path cert = TestPki.write(dir.resolve(name + ".pem"), own.cert());
        Path key = TestPki.write(dir.resolve(name + ".key"), own.key());
        List<Path> caFiles = new ArrayList<>();
        for (Issued c : cas) {
            caFiles.add(TestPki.write(dir.resolve(name + "-ca" + caFiles.size() + ".pem"), c.cert()));
        }
        List<Path> crlFiles = new ArrayList<>();
        for (X509CRL c : crls) {
            crlFiles.add(TestPki.write(dir.resolve(name + "-crl" + crlFiles.size() + ".pem"), c));
        }
        TrustStore trust = TrustStore.load(caFiles, crlFiles);
        return new CertificateAuthenticator(LocalCredentials.load(cert, key), trust,
                new PeerValidator(trust, AT_NOW, RevocationPolicy.CHECK_CONFIGURED), null, null,
                grant.isEmpty() ? AddressPool.EMPTY : AddressPool.parse(grant));
    }
}

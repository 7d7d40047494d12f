package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.ike.auth.AuthenticationRefusal.Reason;
import net.poolsa.ike.auth.TestPki.Issued;
import net.poolsa.ike.message.NotifyType;

/**
 * Path building and PKIX validation of a peer's certificates against configured CAs and CRLs, with certificates
 * made by Bouncy Castle at run time. Each refusal is checked for its reason, its notify and the names its message
 * gives.
 */
class PeerValidatorTest {
    static Issued root;
    static Issued intermediate;
    static Issued peer;

    @TempDir
    Path dir;

    @BeforeAll
    static void pki() {
        root = TestPki.root("CN=poolsa test root,O=poolsa,C=CH");
        intermediate = TestPki.cert("CN=poolsa test intermediate,O=poolsa,C=CH").ca(0)
                .validity(root.cert().getNotBefore().toInstant(), root.cert().getNotAfter().toInstant()).sign(root);
        peer = TestPki.cert("CN=gw-b.example.org,O=poolsa,C=CH").dns("gw-b.example.org").ip("192.0.2.2")
                .sign(intermediate);
    }

    private PeerValidator validator(RevocationPolicy policy, Instant at, Object... crls) throws Exception {
        List<Path> crlFiles = new ArrayList<>();
        for (int i = 0; i < crls.length; i++) {
            crlFiles.add(TestPki.write(dir.resolve("crl" + i + ".pem"), crls[i]));
        }
        TrustStore trust = TrustStore.load(List.of(TestPki.write(dir.resolve("ca.pem"), root.cert())), crlFiles);
        return new PeerValidator(trust, Clock.fixed(at, ZoneOffset.UTC), policy);
    }

    private PeerValidator validator(Object... crls) throws Exception {
        return validator(RevocationPolicy.CHECK_CONFIGURED, TestPki.NOW, crls);
    }

    private static AuthenticationRefusal refused(PeerValidator v, Reason reason, X509Certificate... presented) {
        AuthenticationRefusal e = assertThrows(AuthenticationRefusal.class, () -> v.validate(List.of(presented)));
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(reason.notifyType(), e.notifyType());
        return e;
    }

    @Test
    void chainThroughPresentedIntermediateToConfiguredRoot() throws Exception {
        PeerCertificate p = validator().validate(List.of(peer.cert(), intermediate.cert()));
        assertSame(peer.cert(), p.certificate());
        assertEquals(List.of(peer.cert(), intermediate.cert()), p.path());
        assertEquals(root.cert(), p.authority());
        assertEquals("192.0.2.2/32", p.addresses().toString());
    }

    @Test
    void certificateIssuedDirectlyByTheRoot() throws Exception {
        Issued direct = TestPki.cert("CN=direct,O=poolsa").sign(root);
        assertEquals(List.of(direct.cert()), validator().validate(List.of(direct.cert())).path());
    }

    @Test
    void missingIntermediateIsUntrustedAndNamesTheUnknownIssuer() throws Exception {
        AuthenticationRefusal e = refused(validator(), Reason.UNTRUSTED, peer.cert());
        assertEquals(NotifyType.INVALID_CERTIFICATE, e.notifyType());
        assertTrue(e.getMessage().contains("issued by 'C=CH,O=poolsa,CN=poolsa test intermediate'"), e.getMessage());
        assertTrue(e.getMessage().contains("CN=gw-b.example.org"), e.getMessage());
    }

    @Test
    void untrustedRootIsRefusedEvenUnderTheSameName() throws Exception {
        Issued impostor = TestPki.root("CN=poolsa test root,O=poolsa,C=CH"); // same DN, other key
        Issued forged = TestPki.cert("CN=gw-b.example.org,O=poolsa,C=CH").sign(impostor);
        AuthenticationRefusal e = refused(validator(), Reason.UNTRUSTED, forged.cert(), impostor.cert());
        assertTrue(e.getMessage().contains("names the configured CA 'C=CH,O=poolsa,CN=poolsa test root' as its issuer, "
                + "but that CA's key does not verify its signature"), e.getMessage());
        Issued other = TestPki.root("CN=another CA");
        e = refused(validator(), Reason.UNTRUSTED, TestPki.cert("CN=x").sign(other).cert(), other.cert());
        assertTrue(e.getMessage().contains("was issued by 'CN=another CA', which is neither a configured CA"),
                e.getMessage());
    }

    @Test
    void expiredAndNotYetValidAtTheClocksTime() throws Exception {
        Instant expiry = peer.cert().getNotAfter().toInstant();
        AuthenticationRefusal e = refused(validator(RevocationPolicy.CHECK_CONFIGURED, expiry.plusSeconds(1)),
                Reason.EXPIRED, peer.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("CN=gw-b.example.org") && e.getMessage().contains("expired at " + expiry),
                e.getMessage());
        // one second earlier it is still valid: the clock, not the wall time, decides
        validator(RevocationPolicy.CHECK_CONFIGURED, expiry.minusSeconds(1)).validate(List.of(peer.cert(), intermediate.cert()));

        Instant start = peer.cert().getNotBefore().toInstant();
        e = refused(validator(RevocationPolicy.CHECK_CONFIGURED, start.minusSeconds(1)), Reason.NOT_YET_VALID,
                peer.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("not valid before " + start), e.getMessage());
    }

    @Test
    void expiredIntermediateAndExpiredRoot() throws Exception {
        Issued shortIntermediate = TestPki.cert("CN=short-lived intermediate").ca(0)
                .validity(TestPki.NOT_BEFORE, TestPki.NOW.minusSeconds(60)).sign(root);
        Issued p = TestPki.cert("CN=p").sign(shortIntermediate);
        AuthenticationRefusal e = refused(validator(), Reason.EXPIRED, p.cert(), shortIntermediate.cert());
        assertTrue(e.getMessage().contains("CN=short-lived intermediate"), e.getMessage());

        Instant rootExpiry = root.cert().getNotAfter().toInstant();
        Issued longLived = TestPki.cert("CN=outlives its CA").validity(TestPki.NOW, rootExpiry.plus(Duration.ofDays(30)))
                .sign(root);
        e = refused(validator(RevocationPolicy.CHECK_CONFIGURED, rootExpiry.plusSeconds(1)), Reason.EXPIRED, longLived.cert());
        assertTrue(e.getMessage().contains("the configured CA 'C=CH,O=poolsa,CN=poolsa test root"), e.getMessage());
    }

    @Test
    void revokedByCrlOfTheIntermediateAndOfTheRoot() throws Exception {
        X509CRL intermediateCrl = TestPki.crl(intermediate, peer.cert());
        AuthenticationRefusal e = refused(validator(intermediateCrl), Reason.REVOKED, peer.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("serial 0x" + peer.cert().getSerialNumber().toString(16)), e.getMessage());
        assertTrue(e.getMessage().contains("KEY_COMPROMISE") && e.getMessage().contains("crl0.pem"), e.getMessage());

        X509CRL rootCrl = TestPki.crl(root, intermediate.cert());
        e = refused(validator(rootCrl), Reason.REVOKED, peer.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("CN=poolsa test intermediate"), e.getMessage());

        // CRLs that list someone else
        Issued other = TestPki.cert("CN=other").sign(intermediate);
        validator(TestPki.crl(intermediate, other.cert()), TestPki.crl(root)).validate(List.of(peer.cert(), intermediate.cert()));
    }

    @Test
    void expiredOrNotYetValidCrlFailsClosed() throws Exception {
        X509CRL expired = TestPki.crl(intermediate, intermediate.key(), TestPki.NOW.minus(Duration.ofDays(8)),
                TestPki.NOW.minus(Duration.ofDays(1)));
        AuthenticationRefusal e = refused(validator(expired), Reason.REVOCATION_UNKNOWN, peer.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("crl0.pem expired at " + TestPki.NOW.minus(Duration.ofDays(1))), e.getMessage());
        assertTrue(e.getMessage().contains("fail closed"), e.getMessage());

        X509CRL future = TestPki.crl(intermediate, intermediate.key(), TestPki.NOW.plus(Duration.ofDays(1)),
                TestPki.NOW.plus(Duration.ofDays(8)));
        e = refused(validator(future), Reason.REVOCATION_UNKNOWN, peer.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("is not valid before"), e.getMessage());

        // a current CRL beside the expired one decides
        validator(expired, TestPki.crl(intermediate)).validate(List.of(peer.cert(), intermediate.cert()));
        // a CRL without nextUpdate never expires
        validator(TestPki.crl(intermediate, intermediate.key(), TestPki.NOW.minus(Duration.ofDays(400)), null))
                .validate(List.of(peer.cert(), intermediate.cert()));
    }

    @Test
    void crlNotSignedByTheIssuerFailsClosed() throws Exception {
        // an intermediate's CRL cannot be checked at load (the intermediate is not configured): it is refused when used
        X509CRL forged = TestPki.crl(intermediate, TestPki.ec("secp256r1").getPrivate(), TestPki.NOW.minus(Duration.ofDays(1)),
                TestPki.NOW.plus(Duration.ofDays(7)));
        AuthenticationRefusal e = refused(validator(forged), Reason.REVOCATION_UNKNOWN, peer.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("crl0.pem is not signed by the key of 'C=CH,O=poolsa,CN=poolsa test intermediate"),
                e.getMessage());
    }

    @Test
    void crlOfAnIssuerWithoutCrlSignIsNotUsed() throws Exception {
        Issued noCrlSign = TestPki.cert("CN=signs certificates only").ca(0).keyUsage(KeyUsage.keyCertSign).sign(root);
        Issued p = TestPki.cert("CN=p").sign(noCrlSign);
        AuthenticationRefusal e = refused(validator(TestPki.crl(noCrlSign)), Reason.REVOCATION_UNKNOWN, p.cert(),
                noCrlSign.cert());
        assertTrue(e.getMessage().contains("lacks cRLSign"), e.getMessage());
    }

    @Test
    void requireCrlRefusesAnIssuerWithoutOne() throws Exception {
        AuthenticationRefusal e = refused(validator(RevocationPolicy.REQUIRE_CRL, TestPki.NOW, TestPki.crl(root)),
                Reason.REVOCATION_UNKNOWN, peer.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("no CRL of its issuer 'C=CH,O=poolsa,CN=poolsa test intermediate"), e.getMessage());
        validator(RevocationPolicy.REQUIRE_CRL, TestPki.NOW, TestPki.crl(root), TestPki.crl(intermediate))
                .validate(List.of(peer.cert(), intermediate.cert()));
        // the default checks only issuers that have CRLs
        validator().validate(List.of(peer.cert(), intermediate.cert()));
    }

    @Test
    void endEntityKeyUsageMustAllowSigning() throws Exception {
        Issued encipherOnly = TestPki.cert("CN=encipherment only").keyUsage(KeyUsage.keyEncipherment).sign(root);
        AuthenticationRefusal e = refused(validator(), Reason.KEY_USAGE, encipherOnly.cert());
        assertTrue(e.getMessage().contains("without digitalSignature or nonRepudiation"), e.getMessage());
        validator().validate(List.of(TestPki.cert("CN=non-repudiation").keyUsage(KeyUsage.nonRepudiation).sign(root).cert()));
        validator().validate(List.of(TestPki.cert("CN=no key usage at all").keyUsage(null).sign(root).cert()));
    }

    @Test
    void issuerWithoutKeyCertSignOrCaFlag() throws Exception {
        Issued noCertSign = TestPki.cert("CN=crl signer only").ca(0).keyUsage(KeyUsage.cRLSign).sign(root);
        AuthenticationRefusal e = refused(validator(), Reason.KEY_USAGE, TestPki.cert("CN=p").sign(noCertSign).cert(),
                noCertSign.cert());
        assertTrue(e.getMessage().contains("CN=crl signer only") && e.getMessage().contains("keyCertSign"), e.getMessage());

        Issued notCa = TestPki.cert("CN=an end entity").keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign).sign(root);
        e = refused(validator(), Reason.BASIC_CONSTRAINTS, TestPki.cert("CN=p").sign(notCa).cert(), notCa.cert());
        assertTrue(e.getMessage().contains("CN=an end entity") && e.getMessage().contains("not a CA"), e.getMessage());
    }

    @Test
    void pathLengthConstraint() throws Exception {
        // intermediate has pathLen 0: it may not issue another CA
        Issued sub = TestPki.cert("CN=sub CA").ca(-1).sign(intermediate);
        AuthenticationRefusal e = refused(validator(), Reason.BASIC_CONSTRAINTS, TestPki.cert("CN=p").sign(sub).cert(),
                sub.cert(), intermediate.cert());
        assertTrue(e.getMessage().contains("pathLenConstraint"), e.getMessage());
    }

    @Test
    void noCertificateAndTooMany() throws Exception {
        AuthenticationRefusal e = assertThrows(AuthenticationRefusal.class, () -> validator().validate(List.of()));
        assertEquals(Reason.NO_CERTIFICATE, e.reason());
        assertEquals(NotifyType.CERTIFICATE_UNAVAILABLE, e.notifyType());
        List<X509Certificate> many = new ArrayList<>();
        for (int i = 0; i <= PeerValidator.MAX_PRESENTED; i++) {
            many.add(intermediate.cert());
        }
        e = assertThrows(AuthenticationRefusal.class, () -> validator().validate(many));
        assertEquals(Reason.MALFORMED, e.reason());
    }

    @Test
    void pathLongerThanTheCapIsRefused() throws Exception {
        List<Issued> cas = new ArrayList<>();
        Issued up = root;
        for (int i = 0; i <= PeerValidator.MAX_PATH; i++) {
            up = TestPki.cert("CN=level " + i).ca(-1).sign(up);
            cas.add(0, up);
        }
        List<X509Certificate> presented = new ArrayList<>();
        presented.add(TestPki.cert("CN=deep").sign(up).cert());
        for (Issued c : cas) {
            presented.add(c.cert());
        }
        AuthenticationRefusal e = refused(validator(), Reason.UNTRUSTED, presented.toArray(new X509Certificate[0]));
        assertTrue(e.getMessage().contains("no configured CA within " + PeerValidator.MAX_PATH), e.getMessage());
    }

    @Test
    void selfSignedPeerPinnedAsCa() throws Exception {
        Issued self = TestPki.cert("CN=pinned gateway").ca(-1).keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign)
                .selfSigned();
        TrustStore trust = TrustStore.load(List.of(TestPki.write(dir.resolve("pinned.pem"), self.cert())), List.of());
        PeerCertificate p = new PeerValidator(trust, Clock.fixed(TestPki.NOW, ZoneOffset.UTC),
                RevocationPolicy.CHECK_CONFIGURED).validate(List.of(self.cert()));
        assertEquals(self.cert(), p.authority());
    }
}

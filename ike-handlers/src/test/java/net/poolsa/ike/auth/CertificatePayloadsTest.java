package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import net.poolsa.ike.auth.AuthenticationRefusal.Reason;
import net.poolsa.ike.auth.TestPki.Issued;
import net.poolsa.ike.message.CertEncoding;
import net.poolsa.ike.message.CertificatePayload;
import net.poolsa.ike.message.CertificateRequestPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;

/**
 * CERT and CR payload content (RFC 2408 §3.9-3.10, RFC 4945 §3.2-3.3): our chain out as encoding 4, the peer's
 * certificates in, each malformed or missing case with its notify; CRs naming our CAs. The payloads also go through
 * the codec's encode/decode. (strongSwan's own CR and CERT payloads are read in {@link StrongSwanSignatureTest}.)
 */
class CertificatePayloadsTest {
    static final Issued ROOT = TestPki.root("CN=root,O=poolsa");
    static final Issued MID = TestPki.cert("CN=mid,O=poolsa").ca(0).sign(ROOT);
    static final Issued GW = TestPki.cert("CN=gw,O=poolsa").sign(MID);

    private static AuthenticationRefusal refused(Reason reason, NotifyType notify, List<CertificatePayload> in) {
        AuthenticationRefusal e = assertThrows(AuthenticationRefusal.class, () -> CertificatePayloads.decode(in));
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(notify, e.notifyType());
        return e;
    }

    @Test
    void ourChainGoesOutAsX509SignatureAndComesBack() throws Exception {
        List<CertificatePayload> out = CertificatePayloads.encode(List.of(GW.cert(), MID.cert()));
        assertEquals(2, out.size());
        List<CertificatePayload> wire = new ArrayList<>();
        for (CertificatePayload p : out) {
            assertEquals(CertEncoding.X509_SIGNATURE, p.encoding());
            ByteBuf b = Unpooled.buffer();
            try {
                p.encode(b);
                assertEquals(4, b.getByte(0), "Cert Encoding octet");
                wire.add(CertificatePayload.decode(b));
            } finally {
                b.release();
            }
        }
        assertArrayEquals(GW.cert().getEncoded(), wire.get(0).data().toByteArray());
        assertEquals(List.of(GW.cert(), MID.cert()), CertificatePayloads.decode(wire));
    }

    @Test
    void malformedMissingAndForeignCertificates() throws Exception {
        byte[] der = GW.cert().getEncoded();
        CertificatePayload good = new CertificatePayload(CertEncoding.X509_SIGNATURE, Octets.of(der));
        refused(Reason.NO_CERTIFICATE, NotifyType.CERTIFICATE_UNAVAILABLE, List.of());
        AuthenticationRefusal e = refused(Reason.UNSUPPORTED_ENCODING, NotifyType.CERT_TYPE_UNSUPPORTED,
                List.of(new CertificatePayload(CertEncoding.PKCS7_WRAPPED_X509, Octets.of(der))));
        assertTrue(e.getMessage().contains("PKCS #7 wrapped X.509 certificate"), e.getMessage());
        // a CRL beside the certificate is ignored
        assertEquals(List.of(GW.cert()), CertificatePayloads.decode(List.of(
                new CertificatePayload(CertEncoding.CRL, Octets.of(new byte[] {0x30, 0})), good)));

        byte[] trailing = Arrays.copyOf(der, der.length + 1);
        e = refused(Reason.MALFORMED, NotifyType.INVALID_CERTIFICATE,
                List.of(new CertificatePayload(CertEncoding.X509_SIGNATURE, Octets.of(trailing))));
        assertTrue(e.getMessage().contains("not exactly one DER certificate"), e.getMessage());
        refused(Reason.MALFORMED, NotifyType.INVALID_CERTIFICATE, List.of(new CertificatePayload(CertEncoding.X509_SIGNATURE,
                Octets.of(Arrays.copyOf(der, der.length - 1)))));
        refused(Reason.MALFORMED, NotifyType.INVALID_CERTIFICATE, List.of(new CertificatePayload(CertEncoding.X509_SIGNATURE,
                Octets.of(TestPki.pem(GW.cert()).getBytes(StandardCharsets.US_ASCII)))));
        e = refused(Reason.MALFORMED, NotifyType.INVALID_CERTIFICATE,
                List.of(good, new CertificatePayload(CertEncoding.X509_SIGNATURE, Octets.of(new byte[] {1, 2, 3}))));
        assertTrue(e.getMessage().startsWith("CERT payload 2 (3 bytes)"), e.getMessage());

        List<CertificatePayload> many = new ArrayList<>();
        for (int i = 0; i <= PeerValidator.MAX_PRESENTED; i++) {
            many.add(good);
        }
        refused(Reason.MALFORMED, NotifyType.INVALID_CERTIFICATE, many);
    }

    @Test
    void certificateRequestsNameOurCas() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("cr");
        TrustStore trust = TrustStore.load(List.of(TestPki.write(dir.resolve("cas.pem"), ROOT.cert(), MID.cert(), ROOT.cert())),
                List.of());
        List<CertificateRequestPayload> crs = trust.certificateRequests();
        assertEquals(2, crs.size(), "one per distinct CA name");
        assertEquals(CertEncoding.X509_SIGNATURE, crs.get(0).encoding());
        assertArrayEquals(ROOT.cert().getSubjectX500Principal().getEncoded(), crs.get(0).authority().toByteArray());
        assertArrayEquals(MID.cert().getSubjectX500Principal().getEncoded(), crs.get(1).authority().toByteArray());
    }

    @Test
    void whetherThePeerAskedForOurCertificate() {
        List<java.security.cert.X509Certificate> ours = List.of(GW.cert(), MID.cert());
        CertificateRequestPayload forMid = new CertificateRequestPayload(CertEncoding.X509_SIGNATURE,
                Octets.of(MID.cert().getSubjectX500Principal().getEncoded()));
        CertificateRequestPayload forRoot = new CertificateRequestPayload(CertEncoding.X509_SIGNATURE,
                Octets.of(ROOT.cert().getSubjectX500Principal().getEncoded()));
        CertificateRequestPayload any = new CertificateRequestPayload(CertEncoding.X509_SIGNATURE, Octets.EMPTY);
        CertificateRequestPayload other = new CertificateRequestPayload(CertEncoding.X509_SIGNATURE,
                Octets.of(TestPki.root("CN=other").cert().getSubjectX500Principal().getEncoded()));
        CertificateRequestPayload garbage = new CertificateRequestPayload(CertEncoding.X509_SIGNATURE, Octets.of(new byte[] {1}));
        CertificateRequestPayload pgp = new CertificateRequestPayload(CertEncoding.PGP, Octets.EMPTY);
        assertTrue(CertificatePayloads.requested(List.of(forMid), ours));
        assertTrue(CertificatePayloads.requested(List.of(garbage, forRoot), ours), "the intermediate's issuer");
        assertTrue(CertificatePayloads.requested(List.of(any), ours));
        assertFalse(CertificatePayloads.requested(List.of(other, garbage, pgp), ours));
        assertFalse(CertificatePayloads.requested(List.of(), ours));
    }
}

package net.poolsa.ike.auth;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.security.auth.x500.X500Principal;

import net.poolsa.ike.auth.AuthenticationRefusal.Reason;
import net.poolsa.ike.message.CertEncoding;
import net.poolsa.ike.message.CertificatePayload;
import net.poolsa.ike.message.CertificateRequestPayload;
import net.poolsa.ike.message.Octets;

/**
 * The content of CERT payloads, both ways: what we send (each certificate of our chain as X.509 Certificate -
 * Signature, encoding 4, DER; ours first, then the intermediates, as strongSwan does) and what we take from the
 * peer's. Only encoding 4 carries a certificate poolsa uses; CERT payloads of other encodings (a CRL, PKCS#7,
 * PGP ...) are ignored when an encoding-4 payload is there too, and refused with CERT-TYPE-UNSUPPORTED when none
 * is. The data must be exactly one DER certificate (no trailing bytes, no PEM text).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.9">RFC 2408 §3.9</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4945#section-3.3">RFC 4945 §3.3</a>
 */
public final class CertificatePayloads {
    private CertificatePayloads() {
    }

    /** One CERT payload per certificate, in order. */
    public static List<CertificatePayload> encode(List<X509Certificate> chain) {
        List<CertificatePayload> out = new ArrayList<>();
        for (X509Certificate c : chain) {
            try {
                out.add(new CertificatePayload(CertEncoding.X509_SIGNATURE, Octets.of(c.getEncoded())));
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("a parsed certificate always re-encodes", e);
            }
        }
        return out;
    }

    /** The certificates of the peer's encoding-4 CERT payloads, in message order. */
    public static List<X509Certificate> decode(List<CertificatePayload> payloads) throws AuthenticationRefusal {
        List<X509Certificate> out = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (CertificatePayload p : payloads) {
            if (!p.encoding().equals(CertEncoding.X509_SIGNATURE)) {
                others.add(p.encoding().toString());
                continue;
            }
            if (out.size() == PeerValidator.MAX_PRESENTED) {
                throw new AuthenticationRefusal(Reason.MALFORMED, "the peer sent more than "
                        + PeerValidator.MAX_PRESENTED + " certificates");
            }
            out.add(certificate(p.data().toByteArray(), out.size()));
        }
        if (out.isEmpty()) {
            if (!others.isEmpty()) {
                throw new AuthenticationRefusal(Reason.UNSUPPORTED_ENCODING, "the peer sent CERT payloads of "
                        + others + " but none of X.509 Certificate - Signature (4)");
            }
            throw new AuthenticationRefusal(Reason.NO_CERTIFICATE, "the peer sent no CERT payload");
        }
        return out;
    }

    private static X509Certificate certificate(byte[] der, int index) throws AuthenticationRefusal {
        X509Certificate c;
        try {
            c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            // The JDK reads one certificate off the stream and would accept PEM text or ignore trailing bytes.
            if (!Arrays.equals(c.getEncoded(), der)) {
                throw new AuthenticationRefusal(Reason.MALFORMED, "CERT payload " + (index + 1) + " holds "
                        + der.length + " bytes that are not exactly one DER certificate");
            }
            return c;
        } catch (CertificateException | RuntimeException e) {
            throw new AuthenticationRefusal(Reason.MALFORMED, "CERT payload " + (index + 1) + " ("
                    + der.length + " bytes) is not an X.509 certificate: " + e.getMessage());
        }
    }

    /**
     * True when the peer's CR payloads ask for a certificate we hold: a request for X.509 Certificate - Signature
     * with an empty authority (any CA), or naming the issuer of one of {@code ours}.
     */
    public static boolean requested(List<CertificateRequestPayload> requests, List<X509Certificate> ours) {
        for (CertificateRequestPayload r : requests) {
            if (!r.encoding().equals(CertEncoding.X509_SIGNATURE)) {
                continue;
            }
            if (r.authority().isEmpty()) {
                return true;
            }
            X500Principal ca;
            try {
                ca = new X500Principal(r.authority().toByteArray());
            } catch (IllegalArgumentException e) {
                continue; // not a DER Name: asks for nothing we can tell
            }
            for (X509Certificate c : ours) {
                if (c.getIssuerX500Principal().equals(ca)) {
                    return true;
                }
            }
        }
        return false;
    }
}

package net.poolsa.ike.auth;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.util.Collections;
import java.util.List;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.ike.auth.AuthenticationRefusal.Reason;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.SignaturePayload;

/**
 * A peer certificate that {@link PeerValidator} accepted, with what it proves: the identities (subject DN and
 * subjectAltName entries, {@link Identity}), the addresses its subjectAltName iPAddress entries grant
 * ({@link #addresses()}), and the key that must have made the peer's SIG payload. Immutable.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.1">RFC 2409 §5.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4945#section-3.1">RFC 4945 §3.1</a>
 */
public final class PeerCertificate {
    private final X509Certificate certificate;
    private final List<X509Certificate> path;
    private final X509Certificate authority;
    private final SubjectAltNames san;

    PeerCertificate(X509Certificate certificate, List<X509Certificate> path, X509Certificate authority,
                    SubjectAltNames san) {
        this.certificate = certificate;
        this.path = Collections.unmodifiableList(path);
        this.authority = authority;
        this.san = san;
    }

    /** The peer's own certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The validated path, the peer's certificate first, up to but without the configured CA. */
    public List<X509Certificate> path() {
        return path;
    }

    /** The configured CA the path ends at. */
    public X509Certificate authority() {
        return authority;
    }

    /** Every address the certificate's subjectAltName iPAddress entries grant (single addresses and networks). */
    public AddressPool addresses() {
        return san.pool();
    }

    /** iPAddress entries that grant nothing (a non-contiguous mask, an odd length), described for a log line. */
    public List<String> unusableAddressEntries() {
        return san.unusable();
    }

    SubjectAltNames subjectAltNames() {
        return san;
    }

    /**
     * Checks the peer's phase-1 ID payload (IDii or IDir) against the certificate: the ID must name an identity
     * the certificate holds (RFC 4945 §3.1) and, when the connection names the peer's identity ({@code expected}
     * not null), that one. Returns the identity.
     */
    public Identity checkIdentity(IdentificationPayload id, Identity expected) throws AuthenticationRefusal {
        Identity claimed = Identity.of(id);
        if (claimed == null) {
            throw new AuthenticationRefusal(Reason.ID_MISMATCH, "the peer's ID is of type " + id.idType()
                    + ", which no certificate proves (expected ID_DER_ASN1_DN, ID_FQDN, ID_USER_FQDN or an address)");
        }
        if (!claimed.heldBy(certificate, san)) {
            throw new AuthenticationRefusal(Reason.ID_MISMATCH, "the peer's ID " + claimed.kind() + " '" + claimed
                    + "' is not in its certificate " + Certificates.describe(certificate) + " (subjectAltName "
                    + describeNames() + ")");
        }
        if (expected != null && !expected.equals(claimed)) {
            throw new AuthenticationRefusal(Reason.ID_MISMATCH, "the peer's ID '" + claimed
                    + "' is not the configured remote identity '" + expected + "'");
        }
        return claimed;
    }

    /**
     * Checks the peer's SIG payload over {@code hash} (HASH_I when the peer is the initiator, HASH_R when it is the
     * responder) with the certificate's key, for the negotiated method.
     */
    public void verifySignature(SignatureMethod negotiated, byte[] hash, SignaturePayload sig)
            throws AuthenticationRefusal {
        PublicKey key = certificate.getPublicKey();
        if (!negotiated.accepts(key)) {
            throw new AuthenticationRefusal(Reason.WRONG_KEY_TYPE, "the negotiated method is " + negotiated
                    + " but certificate " + Certificates.describe(certificate) + " holds " + describeKey(key));
        }
        byte[] data = sig.data().toByteArray();
        if (!negotiated.verify(key, hash, data)) {
            throw new AuthenticationRefusal(Reason.BAD_SIGNATURE, "the " + negotiated + " SIG payload of "
                    + Certificates.describe(certificate) + " does not verify over the " + hash.length + "-byte hash ("
                    + data.length + " bytes received, " + negotiated.signatureLength(key) + " expected)");
        }
    }

    static String describeKey(PublicKey key) {
        SignatureMethod m = SignatureMethod.forKey(key);
        if (key instanceof RSAKey) {
            return "an RSA-" + ((RSAKey) key).getModulus().bitLength() + " key";
        }
        return m != null ? "a " + m.curve() + " key" : "a " + key.getAlgorithm() + " key on a curve poolsa does not sign with";
    }

    private String describeNames() {
        StringBuilder sb = new StringBuilder();
        for (String d : san.dnsNames()) {
            sb.append(sb.length() > 0 ? ", " : "").append("DNS:").append(d);
        }
        for (String e : san.emails()) {
            sb.append(sb.length() > 0 ? ", " : "").append("email:").append(e);
        }
        for (byte[] a : san.addresses()) {
            sb.append(sb.length() > 0 ? ", " : "").append("IP:").append(IpLiterals.format(SubjectAltNames.inet(a)));
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    @Override
    public String toString() {
        return "PeerCertificate[" + Certificates.describe(certificate) + " via " + Certificates.describe(authority) + "]";
    }
}

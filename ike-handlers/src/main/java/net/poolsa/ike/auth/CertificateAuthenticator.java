package net.poolsa.ike.auth;

import java.util.List;
import java.util.Objects;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.message.CertificatePayload;
import net.poolsa.ike.message.CertificateRequestPayload;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.SignaturePayload;

/**
 * Certificate authentication of one connection, as Main Mode with signatures uses it (RFC 2409 §5.1):
 * <pre>
 * Initiator                                   Responder
 * HDR, SA                      --&gt;                          SA: Authentication Method = {@link #method()}
 *                              &lt;--    HDR, SA
 * HDR, KE, Ni [, CR]           --&gt;                          CR: {@link #certificateRequests()}
 *                              &lt;--    HDR, KE, Nr [, CR]
 * HDR*, IDii, [CERT,] SIG_I    --&gt;                          IDii: {@link #identification()}, CERT: {@link #certificates()},
 *                                                           SIG_I: {@link #sign}(HASH_I)
 *                              &lt;--    HDR*, IDir, [CERT,] SIG_R
 * </pre>
 * On receipt of message 5 (responder) or 6 (initiator), {@link #authenticate} takes the peer's ID, CERT and SIG
 * payloads and the hash computed over the peer's ID payload (HASH_I for the initiator's, HASH_R for the
 * responder's, both from {@code Phase1Keys.signatures}); later, every pool the peer claims goes through
 * {@link #checkClaim}. Immutable; safe from any thread.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.1">RFC 2409 §5.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-4">RFC 3554 §4</a>
 */
public final class CertificateAuthenticator {
    private final LocalCredentials ours;
    private final TrustStore trust;
    private final PeerValidator validator;
    private final IdentificationPayload localId;
    private final Identity expectedRemote;
    private final PoolEntitlement entitlement;
    private final AddressPool grantedByPolicy;

    /**
     * @param localId         our identity as configured (see {@link Identity#parse}), null for our certificate's subject DN
     * @param expectedRemote  the peer's identity as configured, null to accept any identity its certificate holds
     * @param grantedByPolicy addresses the connection grants the peer whatever its certificate says ({@link PoolEntitlement})
     */
    public CertificateAuthenticator(LocalCredentials ours, TrustStore trust, PeerValidator validator, String localId,
                                    String expectedRemote, AddressPool grantedByPolicy) {
        this.ours = Objects.requireNonNull(ours, "local credentials");
        this.trust = Objects.requireNonNull(trust, "trust store");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.localId = ours.identification(localId);
        this.expectedRemote = expectedRemote == null ? null : Identity.parse(expectedRemote);
        this.grantedByPolicy = Objects.requireNonNull(grantedByPolicy, "policy grant");
        this.entitlement = new PoolEntitlement(grantedByPolicy);
    }

    /** The Authentication Method we propose and accept: the one our key signs with. */
    public SignatureMethod method() {
        return ours.method();
    }

    public List<CertificateRequestPayload> certificateRequests() {
        return trust.certificateRequests();
    }

    public IdentificationPayload identification() {
        return localId;
    }

    public List<CertificatePayload> certificates() {
        return ours.certificatePayloads();
    }

    /** SIG_I or SIG_R over our HASH_I or HASH_R. */
    public SignaturePayload sign(byte[] hash) {
        return ours.sign(hash);
    }

    /**
     * Authenticates the peer: its certificates validate, its ID is one its certificate holds (and the configured
     * one), its SIG verifies over {@code hash} with the certificate's key for the negotiated method.
     */
    public PeerCertificate authenticate(IdentificationPayload peerId, List<CertificatePayload> certificates,
                                        SignatureMethod negotiated, byte[] hash, SignaturePayload signature)
            throws AuthenticationRefusal {
        PeerCertificate peer = validator.validate(CertificatePayloads.decode(certificates));
        peer.checkIdentity(peerId, expectedRemote);
        peer.verifySignature(negotiated, hash, signature);
        return peer;
    }

    /** Our certificate and the intermediates sent with it. */
    public LocalCredentials credentials() {
        return ours;
    }

    /** Refuses {@code claimed} unless every address of it is granted to {@code peer} ({@link PoolEntitlement}). */
    public void checkClaim(PeerCertificate peer, String what, AddressPool claimed) throws AuthenticationRefusal {
        entitlement.check(peer, what, claimed);
    }

    /**
     * Same credentials, trust, revocation policy, identities and grant: how the engine tells an unchanged connection
     * on reload. The private key is not compared: {@link LocalCredentials#load} checked it belongs to the certificate.
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CertificateAuthenticator)) {
            return false;
        }
        CertificateAuthenticator a = (CertificateAuthenticator) o;
        return ours.chain().equals(a.ours.chain()) && trust.authorities().equals(a.trust.authorities())
                && trust.crls().equals(a.trust.crls()) && validator.sameSettings(a.validator)
                && localId.equals(a.localId) && Objects.equals(expectedRemote, a.expectedRemote)
                && grantedByPolicy.equals(a.grantedByPolicy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ours.chain(), trust.authorities(), expectedRemote, grantedByPolicy);
    }

    /** Names certificates and identities only. */
    @Override
    public String toString() {
        return "certificate " + Certificates.describe(ours.certificate()) + " " + ours.method() + ", "
                + trust.authorities().size() + " CA(s), " + trust.crlCount() + " CRL(s)"
                + (expectedRemote == null ? "" : ", peer " + expectedRemote)
                + (grantedByPolicy.isEmpty() ? "" : ", granted [" + grantedByPolicy + "]");
    }
}

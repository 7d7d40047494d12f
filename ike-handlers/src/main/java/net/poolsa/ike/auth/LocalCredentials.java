package net.poolsa.ike.auth;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;

import net.poolsa.ike.message.CertificatePayload;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.SignaturePayload;

/**
 * Our side of certificate authentication: our certificate (with the intermediates a peer needs to reach its CA)
 * and the private key that signs HASH_I or HASH_R for our SIG payload.
 *
 * <p>{@link #load} reads the files the configuration names (the appliance has already checked that the key file
 * is readable by its owner only) and refuses, with a {@link CredentialException} naming the file:
 * <ul>
 * <li>a certificate file without a certificate, or whose certificates do not form a chain in order (each issued by
 *     the next: ours first, as {@code fullchain.pem} files are written);</li>
 * <li>a key file that is not PEM PKCS#8 / traditional RSA / traditional EC, that is encrypted, or whose key is
 *     neither RSA nor on P-256, P-384 or P-521;</li>
 * <li>a key that does not belong to the certificate (checked by signing and verifying a probe);</li>
 * <li>a certificate whose key usage does not allow digitalSignature or nonRepudiation (every peer would refuse
 *     it).</li>
 * </ul>
 * The private key stays in memory for the life of the credentials: the JDK's key objects cannot be wiped
 * ({@code destroy()} is unsupported), so it is dropped with the connection and never copied or logged;
 * {@link #toString()} names the certificate only.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.1">RFC 2409 §5.1</a>
 */
public final class LocalCredentials {
    private final List<X509Certificate> chain;
    private final PrivateKey key;
    private final SignatureMethod method;

    private LocalCredentials(List<X509Certificate> chain, PrivateKey key, SignatureMethod method) {
        this.chain = Collections.unmodifiableList(chain);
        this.key = key;
        this.method = method;
    }

    /** Reads our certificate chain (ours first) from {@code certificateFile} and its key from {@code keyFile}. */
    public static LocalCredentials load(Path certificateFile, Path keyFile) throws CredentialException {
        List<X509Certificate> chain = PemFiles.certificates(certificateFile);
        for (int i = 0; i + 1 < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            X509Certificate issuer = chain.get(i + 1);
            boolean issued = c.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
            try {
                c.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException e) {
                issued = false;
            }
            if (!issued) {
                throw new CredentialException(certificateFile, "certificate " + (i + 2) + " "
                        + Certificates.describe(issuer) + " did not issue certificate " + (i + 1) + " "
                        + Certificates.describe(c) + ": give ours first, then each issuer in order");
            }
        }
        X509Certificate ours = chain.get(0);
        boolean[] ku = ours.getKeyUsage();
        if (ku != null && !ku[0] && !ku[1]) {
            throw new CredentialException(certificateFile, "certificate " + Certificates.describe(ours)
                    + " has a key usage without digitalSignature or nonRepudiation: peers refuse it for IKE");
        }
        PrivateKey key = PemFiles.privateKey(keyFile);
        SignatureMethod method = SignatureMethod.forKey(key);
        if (method == null) {
            throw new CredentialException(keyFile, "holds a " + key.getAlgorithm() + " key; IKEv1 signatures here "
                    + "use RSA or ECDSA on P-256, P-384 or P-521");
        }
        byte[] probe = new byte[32];
        if (!method.accepts(ours.getPublicKey())
                || !method.verify(ours.getPublicKey(), probe, method.sign(key, probe))) {
            throw new CredentialException(keyFile, "the key does not belong to the certificate "
                    + Certificates.describe(ours) + " in " + certificateFile);
        }
        return new LocalCredentials(chain, key, method);
    }

    /** Our certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** Our certificate and the intermediates after it, as loaded. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The authentication method our key signs with: what we propose in Main Mode's SA payload. */
    public SignatureMethod method() {
        return method;
    }

    /** Our SIG payload: {@code hash} is HASH_I when we are the initiator, HASH_R when we are the responder. */
    public SignaturePayload sign(byte[] hash) {
        return new SignaturePayload(method.sign(key, hash));
    }

    /** The CERT payloads we send: our certificate, then the intermediates. */
    public List<CertificatePayload> certificatePayloads() {
        return CertificatePayloads.encode(chain);
    }

    /**
     * Our phase-1 ID payload: the subject DN when {@code configured} is null, else the configured identity, which
     * the certificate must hold (as its subject or in its subjectAltName), or peers would refuse it. An
     * ID_DER_ASN1_DN carries the subject exactly as the certificate encodes it.
     */
    public IdentificationPayload identification(String configured) {
        Identity id = configured == null ? Identity.subjectOf(certificate()) : Identity.parse(configured);
        if (!id.heldBy(certificate())) {
            throw new IllegalArgumentException("the identity '" + configured + "' is neither the subject nor a "
                    + "subjectAltName of our certificate " + Certificates.describe(certificate()));
        }
        // A DN goes out as the certificate's subject bytes, whatever string types the configured text would encode to.
        return id.kind() == Identity.Kind.DN ? Identity.subjectOf(certificate()).toPayload() : id.toPayload();
    }

    @Override
    public String toString() {
        return "LocalCredentials[" + Certificates.describe(certificate()) + ", " + method + "]";
    }
}

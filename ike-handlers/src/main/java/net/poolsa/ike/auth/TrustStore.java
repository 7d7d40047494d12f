package net.poolsa.ike.auth;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

import net.poolsa.ike.message.CertEncoding;
import net.poolsa.ike.message.CertificateRequestPayload;
import net.poolsa.ike.message.Octets;

/**
 * What a peer's certificate is checked against: the configured CA certificates (trust anchors) and CRL files.
 * Loaded once per configuration; immutable and safe to share.
 *
 * <p>Checks at load, each a {@link CredentialException} naming the file:
 * <ul>
 * <li>a CA certificate must be one: basicConstraints with cA set (RFC 5280 §4.2.1.9), and keyCertSign where key
 *     usage is present (§4.2.1.3);</li>
 * <li>a CRL that names a configured CA as its issuer must be signed by that CA's key; a CRL of an issuer that is
 *     not configured (an intermediate CA the peer sends) is kept and checked when a path reaches that issuer;</li>
 * <li>a CRL with a critical extension (a delta CRL, an issuing distribution point) or a critical entry extension
 *     (an indirect CRL's certificateIssuer) is refused: poolsa reads complete, direct CRLs only.</li>
 * </ul>
 * Whether a CRL is current is decided at validation time, by the validator's clock.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5280#section-5">RFC 5280 §5 (CRL profile)</a>
 */
public final class TrustStore {
    /** One CRL and the file it came from, for the log line that names it. */
    record Crl(X509CRL crl, String source) {
    }

    private final List<X509Certificate> authorities;
    private final List<Crl> crls;

    private TrustStore(List<X509Certificate> authorities, List<Crl> crls) {
        this.authorities = Collections.unmodifiableList(authorities);
        this.crls = Collections.unmodifiableList(crls);
    }

    /** Reads every certificate of every CA file and every CRL of every CRL file; at least one CA. */
    public static TrustStore load(List<Path> caFiles, List<Path> crlFiles) throws CredentialException {
        if (caFiles.isEmpty()) {
            throw new IllegalArgumentException("certificate authentication needs at least one CA file");
        }
        List<X509Certificate> cas = new ArrayList<>();
        for (Path f : caFiles) {
            for (X509Certificate c : PemFiles.certificates(f)) {
                if (c.getBasicConstraints() < 0) {
                    throw new CredentialException(f, "certificate '" + Certificates.subject(c)
                            + "' is not a CA certificate (basicConstraints cA is not set)");
                }
                boolean[] ku = c.getKeyUsage();
                if (ku != null && !ku[5]) {
                    throw new CredentialException(f, "CA certificate '" + Certificates.subject(c)
                            + "' has a key usage without keyCertSign");
                }
                cas.add(c);
            }
        }
        List<Crl> crls = new ArrayList<>();
        for (Path f : crlFiles) {
            for (X509CRL crl : PemFiles.crls(f)) {
                checkCrl(f, crl, cas);
                crls.add(new Crl(crl, f.toString()));
            }
        }
        return new TrustStore(cas, crls);
    }

    private static void checkCrl(Path f, X509CRL crl, List<X509Certificate> cas) throws CredentialException {
        Set<String> critical = crl.getCriticalExtensionOIDs();
        if (critical != null && !critical.isEmpty()) {
            throw new CredentialException(f, "CRL of '" + Certificates.name(crl.getIssuerX500Principal())
                    + "' has critical extension(s) " + critical + " (a delta or partitioned CRL), which poolsa does "
                    + "not process: give it the complete CRL");
        }
        if (crl.getRevokedCertificates() != null) {
            for (X509CRLEntry e : crl.getRevokedCertificates()) {
                if (e.hasUnsupportedCriticalExtension()) {
                    throw new CredentialException(f, "CRL of '" + Certificates.name(crl.getIssuerX500Principal())
                            + "' has an entry with a critical extension (an indirect CRL), which poolsa does not process");
                }
            }
        }
        boolean namesConfiguredCa = false;
        for (X509Certificate ca : cas) {
            if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                namesConfiguredCa = true;
                if (signedBy(crl, ca)) {
                    return;
                }
            }
        }
        if (namesConfiguredCa) {
            throw new CredentialException(f, "CRL names '" + Certificates.name(crl.getIssuerX500Principal())
                    + "' as its issuer but is not signed by the key of that configured CA");
        }
    }

    static boolean signedBy(X509CRL crl, X509Certificate issuer) {
        try {
            crl.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The configured CA certificates, in file order. */
    public List<X509Certificate> authorities() {
        return authorities;
    }

    List<Crl> crls() {
        return crls;
    }

    /** How many CRLs were loaded. */
    public int crlCount() {
        return crls.size();
    }

    /**
     * The CR payloads that ask the peer for a certificate from one of our CAs: X.509 Certificate - Signature, each
     * carrying the DER encoding of one CA's subject DN (RFC 4945 §3.2), one per distinct CA name, as strongSwan
     * sends them. Without a CR, strongSwan (send_cert = ifasked, its default) sends no certificate.
     *
     * @see <a href="https://www.rfc-editor.org/rfc/rfc4945#section-3.2">RFC 4945 §3.2</a>
     */
    public List<CertificateRequestPayload> certificateRequests() {
        Set<X500Principal> names = new LinkedHashSet<>();
        for (X509Certificate ca : authorities) {
            names.add(ca.getSubjectX500Principal());
        }
        List<CertificateRequestPayload> out = new ArrayList<>();
        for (X500Principal n : names) {
            out.add(new CertificateRequestPayload(CertEncoding.X509_SIGNATURE, Octets.of(n.getEncoded())));
        }
        return out;
    }
}

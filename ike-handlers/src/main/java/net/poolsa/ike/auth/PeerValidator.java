package net.poolsa.ike.auth;

import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import net.poolsa.ike.auth.AuthenticationRefusal.Reason;

/**
 * Validates the certificates a peer presents in its CERT payloads against a {@link TrustStore}, at the time of an
 * injectable clock:
 * <ol>
 * <li>The first certificate is the peer's own (end entity), the order strongSwan sends them in; the others are
 *     untrusted intermediates, used only to build the path. At most {@link #MAX_PRESENTED} certificates.</li>
 * <li>The path is built upwards by name and signature: each certificate's issuer is a configured CA whose subject
 *     is its issuer name and whose key verifies its signature, else a presented certificate that is; at most
 *     {@link #MAX_PATH} certificates below the CA. No path: {@link Reason#UNTRUSTED}.</li>
 * <li>The JDK's PKIX validator (RFC 5280 §6.1) checks the path: validity at the clock's time, basicConstraints and
 *     pathLenConstraint, CA key usage, critical extensions, the JDK's disabled algorithms. The configured CA's own
 *     validity is checked too (PKIX leaves a trust anchor's dates alone).</li>
 * <li>The end entity's key usage, where present, must allow digitalSignature or nonRepudiation (RFC 4945
 *     §5.1.3.2, strongSwan's check too). Extended key usage is not checked, as strongSwan does not check it for
 *     IKEv1: many IKE certificates carry serverAuth only.</li>
 * <li>Revocation from the CRL files, per the {@link RevocationPolicy}.</li>
 * </ol>
 * Each refusal is an {@link AuthenticationRefusal} whose reason maps to the notify and whose message names the
 * certificate (subject and serial) and what failed. Immutable; safe from any thread.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5280#section-6">RFC 5280 §6 (path validation)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4945#section-5">RFC 4945 §5</a>
 */
public final class PeerValidator {
    /** Certificates a peer may present at once: a path this deep is far beyond any real deployment. */
    public static final int MAX_PRESENTED = 8;
    /** Certificates below the configured CA in a path. */
    public static final int MAX_PATH = 6;

    private final TrustStore trust;
    private final Clock clock;
    private final RevocationPolicy revocation;

    public PeerValidator(TrustStore trust, Clock clock, RevocationPolicy revocation) {
        this.trust = Objects.requireNonNull(trust, "trust store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.revocation = Objects.requireNonNull(revocation, "revocation policy");
    }

    /** Same clock and revocation policy (the trust stores are compared by content by the caller). */
    boolean sameSettings(PeerValidator o) {
        return clock.equals(o.clock) && revocation == o.revocation;
    }

    /** Validates {@code presented} (end entity first) and returns the peer's certificate with what it proves. */
    public PeerCertificate validate(List<X509Certificate> presented) throws AuthenticationRefusal {
        if (presented.isEmpty()) {
            throw new AuthenticationRefusal(Reason.NO_CERTIFICATE, "the peer sent no certificate");
        }
        if (presented.size() > MAX_PRESENTED) {
            throw new AuthenticationRefusal(Reason.MALFORMED, "the peer sent " + presented.size()
                    + " certificates, more than " + MAX_PRESENTED);
        }
        X509Certificate ee = presented.get(0);
        Date now = Date.from(clock.instant());
        List<X509Certificate> path = new ArrayList<>();
        path.add(ee);
        X509Certificate anchor = buildPath(path, presented);
        checkPkix(path, anchor, now);
        boolean[] ku = ee.getKeyUsage();
        if (ku != null && !ku[0] && !ku[1]) {
            throw new AuthenticationRefusal(Reason.KEY_USAGE, "certificate " + Certificates.describe(ee)
                    + " has a key usage without digitalSignature or nonRepudiation: it cannot sign for IKE");
        }
        for (int i = 0; i < path.size(); i++) {
            checkRevocation(path.get(i), i + 1 < path.size() ? path.get(i + 1) : anchor, now);
        }
        SubjectAltNames san;
        try {
            san = SubjectAltNames.of(ee);
        } catch (IllegalArgumentException e) {
            throw new AuthenticationRefusal(Reason.MALFORMED, "certificate " + Certificates.describe(ee) + ": "
                    + e.getMessage());
        }
        return new PeerCertificate(ee, path, anchor, san);
    }

    /** Extends {@code path} (holding the end entity) up to a configured CA, which it returns. */
    private X509Certificate buildPath(List<X509Certificate> path, List<X509Certificate> presented)
            throws AuthenticationRefusal {
        X509Certificate current = path.get(0);
        while (true) {
            // a configured CA may be the certificate itself (a pinned self-signed peer)
            X509Certificate anchor = issuerAmong(current, trust.authorities(), List.of());
            if (anchor != null) {
                return anchor;
            }
            if (path.size() > MAX_PATH) {
                throw new AuthenticationRefusal(Reason.UNTRUSTED, "no configured CA within " + MAX_PATH
                        + " certificates above " + Certificates.describe(path.get(0)));
            }
            X509Certificate next = issuerAmong(current, presented, path);
            if (next == null) {
                throw new AuthenticationRefusal(Reason.UNTRUSTED, noIssuer(current)
                        + (path.size() > 1 ? " (path from " + Certificates.describe(path.get(0)) + ")" : ""));
            }
            path.add(next);
            current = next;
        }
    }

    private String noIssuer(X509Certificate cert) {
        String issuer = Certificates.name(cert.getIssuerX500Principal());
        for (X509Certificate ca : trust.authorities()) {
            if (ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                return "certificate " + Certificates.describe(cert) + " names the configured CA '" + issuer
                        + "' as its issuer, but that CA's key does not verify its signature";
            }
        }
        return "certificate " + Certificates.describe(cert) + " was issued by '" + issuer
                + "', which is neither a configured CA nor a certificate the peer sent";
    }

    /** The candidate named as {@code cert}'s issuer whose key verifies its signature, not one of {@code exclude}. */
    private static X509Certificate issuerAmong(X509Certificate cert, List<X509Certificate> candidates,
                                               List<X509Certificate> exclude) {
        for (X509Certificate c : candidates) {
            if (!c.getSubjectX500Principal().equals(cert.getIssuerX500Principal()) || exclude.contains(c)) {
                continue;
            }
            try {
                cert.verify(c.getPublicKey());
                return c;
            } catch (GeneralSecurityException e) {
                // same name, other key (a re-keyed CA): keep looking
            }
        }
        return null;
    }

    private static void checkPkix(List<X509Certificate> path, X509Certificate anchor, Date now)
            throws AuthenticationRefusal {
        try {
            anchor.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw new AuthenticationRefusal(Reason.EXPIRED, "the configured CA " + Certificates.describe(anchor)
                    + " expired at " + anchor.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new AuthenticationRefusal(Reason.NOT_YET_VALID, "the configured CA " + Certificates.describe(anchor)
                    + " is not valid before " + anchor.getNotBefore().toInstant());
        }
        try {
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
            params.setRevocationEnabled(false); // CRLs are checked below, with reasons the JDK does not give
            params.setDate(now);
            CertPathValidator.getInstance("PKIX").validate(cp, params);
        } catch (CertPathValidatorException e) {
            int i = e.getIndex();
            X509Certificate bad = i >= 0 && i < path.size() ? path.get(i) : path.get(0);
            throw new AuthenticationRefusal(reasonOf(e), "certificate " + Certificates.describe(bad) + ": "
                    + detail(e, bad));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PKIX validation is part of every Java 17 runtime", e);
        }
    }

    private static Reason reasonOf(CertPathValidatorException e) {
        CertPathValidatorException.Reason r = e.getReason();
        if (r == CertPathValidatorException.BasicReason.EXPIRED) {
            return Reason.EXPIRED;
        }
        if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return Reason.NOT_YET_VALID;
        }
        if (r == PKIXReason.INVALID_KEY_USAGE) {
            return Reason.KEY_USAGE;
        }
        if (r == PKIXReason.NOT_CA_CERT || r == PKIXReason.PATH_TOO_LONG) {
            return Reason.BASIC_CONSTRAINTS;
        }
        if (r == PKIXReason.NO_TRUST_ANCHOR || r == PKIXReason.NAME_CHAINING) {
            return Reason.UNTRUSTED;
        }
        return Reason.INVALID;
    }

    private static String detail(CertPathValidatorException e, X509Certificate bad) {
        CertPathValidatorException.Reason r = e.getReason();
        if (r == CertPathValidatorException.BasicReason.EXPIRED) {
            return "expired at " + bad.getNotAfter().toInstant();
        }
        if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return "not valid before " + bad.getNotBefore().toInstant();
        }
        if (r == PKIXReason.NOT_CA_CERT) {
            return "issues a certificate but is not a CA (basicConstraints)";
        }
        if (r == PKIXReason.PATH_TOO_LONG) {
            return "the path below it is longer than its pathLenConstraint allows";
        }
        if (r == PKIXReason.INVALID_KEY_USAGE) {
            return "issues a certificate but its key usage lacks keyCertSign";
        }
        return e.getMessage() + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : "");
    }

    /** RFC 5280 §6.3 with the configured CRLs of {@code issuer}; see {@link RevocationPolicy}. */
    private void checkRevocation(X509Certificate cert, X509Certificate issuer, Date now) throws AuthenticationRefusal {
        List<TrustStore.Crl> usable = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        boolean any = false;
        for (TrustStore.Crl c : trust.crls()) {
            if (!c.crl().getIssuerX500Principal().equals(cert.getIssuerX500Principal())) {
                continue;
            }
            any = true;
            boolean[] ku = issuer.getKeyUsage();
            if (!TrustStore.signedBy(c.crl(), issuer)) {
                problems.add("CRL " + c.source() + " is not signed by the key of " + Certificates.describe(issuer));
            } else if (ku != null && !ku[6]) {
                problems.add("CRL " + c.source() + " is signed by " + Certificates.describe(issuer)
                        + ", whose key usage lacks cRLSign");
            } else if (c.crl().getThisUpdate().after(now)) {
                problems.add("CRL " + c.source() + " is not valid before " + c.crl().getThisUpdate().toInstant());
            } else if (c.crl().getNextUpdate() != null && c.crl().getNextUpdate().before(now)) {
                problems.add("CRL " + c.source() + " expired at " + c.crl().getNextUpdate().toInstant()
                        + " (its nextUpdate)");
            } else {
                usable.add(c);
            }
        }
        if (!any) {
            if (revocation == RevocationPolicy.REQUIRE_CRL) {
                throw new AuthenticationRefusal(Reason.REVOCATION_UNKNOWN, "certificate " + Certificates.describe(cert)
                        + ": no CRL of its issuer '" + Certificates.name(cert.getIssuerX500Principal())
                        + "' is configured, and the revocation policy requires one");
            }
            return;
        }
        if (usable.isEmpty()) {
            throw new AuthenticationRefusal(Reason.REVOCATION_UNKNOWN, "certificate " + Certificates.describe(cert)
                    + ": cannot tell whether it is revoked, refused (fail closed): " + String.join("; ", problems));
        }
        for (TrustStore.Crl c : usable) {
            X509CRLEntry entry = c.crl().getRevokedCertificate(cert);
            if (entry != null) {
                throw new AuthenticationRefusal(Reason.REVOKED, "certificate " + Certificates.describe(cert)
                        + " was revoked at " + entry.getRevocationDate().toInstant()
                        + (entry.getRevocationReason() != null ? " (" + entry.getRevocationReason() + ")" : "")
                        + " according to CRL " + c.source());
            }
        }
    }
}

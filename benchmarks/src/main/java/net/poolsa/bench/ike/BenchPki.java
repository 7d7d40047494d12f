package net.poolsa.bench.ike;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The benchmark's certificates, made at run time with Bouncy Castle (no key is checked in): a CA and two end-entity
 * certificates, "CN=bench-initiator" and "CN=bench-responder", shared by all tunnels of a side (the responder picks
 * the connection by address, as for pre-shared keys; the ID names the certificate). Valid from a day before now for
 * 30 days, since charon judges validity by the real clock. Written as PEM (certificates; keys as PKCS#8) under
 * {@code dir}: ca.pem, initiator.pem / initiator.key, responder.pem / responder.key.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.1">RFC 2409 §5.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4754">RFC 4754 (ECDSA in IKE)</a>
 */
final class BenchPki {
    static final String INITIATOR_ID = "CN=bench-initiator";
    static final String RESPONDER_ID = "CN=bench-responder";

    private final Path dir;

    private BenchPki(Path dir) {
        this.dir = dir;
    }

    /** A CA and both end entities with keys of {@code rsa} ? RSA 2048 : ECDSA P-256, written under {@code dir}. */
    static BenchPki create(Path dir, boolean rsa) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        try {
            Instant from = Instant.now().minus(Duration.ofDays(1));
            Instant to = from.plus(Duration.ofDays(31));
            KeyPair caKeys = keys(rsa);
            X509Certificate ca = issue("CN=poolsa benchmark CA", caKeys, "CN=poolsa benchmark CA", caKeys, null, from,
                    to, 1);
            write(dir.resolve("ca.pem"), ca);
            for (String side : new String[] {"initiator", "responder"}) {
                KeyPair k = keys(rsa);
                X509Certificate c = issue("CN=bench-" + side, k, "CN=poolsa benchmark CA", caKeys, ca, from, to,
                        side.equals("initiator") ? 2 : 3);
                write(dir.resolve(side + ".pem"), c);
                write(dir.resolve(side + ".key"), new JcaPKCS8Generator(k.getPrivate(), null));
            }
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("making the benchmark's certificates: " + e, e);
        }
        return new BenchPki(dir);
    }

    Path ca() {
        return dir.resolve("ca.pem");
    }

    /** The certificate of a side ("initiator" or "responder"). */
    Path certificate(boolean initiator) {
        return dir.resolve((initiator ? "initiator" : "responder") + ".pem");
    }

    /** The PKCS#8 private key of a side. */
    Path key(boolean initiator) {
        return dir.resolve((initiator ? "initiator" : "responder") + ".key");
    }

    private static KeyPair keys(boolean rsa) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance(rsa ? "RSA" : "EC");
        if (rsa) {
            g.initialize(2048);
        } else {
            g.initialize(new ECGenParameterSpec("secp256r1"));
        }
        return g.generateKeyPair();
    }

    /** {@code issuerCert} null: a self-signed CA certificate. */
    private static X509Certificate issue(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys,
                                         X509Certificate issuerCert, Instant from, Instant to, long serial)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name(issuer), BigInteger.valueOf(serial),
                Date.from(from), Date.from(to), name(subject), subjectKeys.getPublic());
        JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
        b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(subjectKeys.getPublic()));
        if (issuerCert == null) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        } else {
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    u.createAuthorityKeyIdentifier(issuerCert.getPublicKey()));
        }
        String alg = issuerKeys.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg)
                .build(issuerKeys.getPrivate())));
    }

    private static X500Name name(String dn) {
        return X500Name.getInstance(new X500Principal(dn).getEncoded());
    }

    private static void write(Path file, Object pemObject) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(pemObject);
        }
        Files.writeString(file, s.toString(), StandardCharsets.US_ASCII);
    }
}

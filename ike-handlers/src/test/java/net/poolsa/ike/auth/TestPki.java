package net.poolsa.ike.auth;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import net.poolsa.esp.sa.IpLiterals;

/**
 * Test certificate authorities made with Bouncy Castle at run time: no private key is checked in for the unit
 * tests. Times are fixed around {@link #NOW} so that the validator's clock decides validity exactly.
 */
public final class TestPki {
    /** The time the tests validate at. */
    public static final Instant NOW = Instant.parse("2030-06-01T12:00:00Z");
    public static final Instant NOT_BEFORE = NOW.minus(Duration.ofDays(30));
    public static final Instant NOT_AFTER = NOW.plus(Duration.ofDays(365));
    private static final AtomicLong SERIAL = new AtomicLong(0x1000);

    private TestPki() {
    }

    public static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** An EC key pair on a curve the JDK knows ("secp256r1", "secp384r1", "secp521r1"). */
    public static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** A certificate and its key. */
    public record Issued(X509Certificate cert, KeyPair keys) {
        public PrivateKey key() {
            return keys.getPrivate();
        }
    }

    /** What a certificate says; {@link #sign} makes it. Defaults: an end entity valid NOT_BEFORE..NOT_AFTER. */
    public static final class Spec {
        final String subject;
        KeyPair keys;
        Instant notBefore = NOT_BEFORE;
        Instant notAfter = NOT_AFTER;
        boolean ca;
        int pathLen = -1;
        Integer keyUsage = KeyUsage.digitalSignature;
        final List<GeneralName> san = new ArrayList<>();
        BigInteger serial = BigInteger.valueOf(SERIAL.incrementAndGet());

        Spec(String subject) {
            this.subject = subject;
        }

        public Spec keys(KeyPair k) {
            keys = k;
            return this;
        }

        public Spec validity(Instant from, Instant to) {
            notBefore = from;
            notAfter = to;
            return this;
        }

        /** A CA: basicConstraints cA, keyCertSign and cRLSign; {@code pathLen} -1 for none. */
        public Spec ca(int pathLen) {
            ca = true;
            this.pathLen = pathLen;
            keyUsage = KeyUsage.keyCertSign | KeyUsage.cRLSign;
            return this;
        }

        /** The key usage bits, or null for no key usage extension. */
        public Spec keyUsage(Integer bits) {
            keyUsage = bits;
            return this;
        }

        public Spec dns(String name) {
            san.add(new GeneralName(GeneralName.dNSName, name));
            return this;
        }

        public Spec email(String name) {
            san.add(new GeneralName(GeneralName.rfc822Name, name));
            return this;
        }

        /** One iPAddress entry of the address's 4 or 16 octets. */
        public Spec ip(String address) {
            san.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(IpLiterals.parse(address))));
            return this;
        }

        /** One iPAddress entry of address and netmask octets (8 or 32). */
        public Spec ipNet(String address, String mask) {
            byte[] a = IpLiterals.parse(address);
            byte[] m = IpLiterals.parse(mask);
            byte[] both = new byte[a.length + m.length];
            System.arraycopy(a, 0, both, 0, a.length);
            System.arraycopy(m, 0, both, a.length, m.length);
            san.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(both)));
            return this;
        }

        /** Self-signed. */
        public Issued selfSigned() {
            return sign(null);
        }

        /** Signed by {@code issuer} (null: self-signed). */
        public Issued sign(Issued issuer) {
            KeyPair k = keys != null ? keys : ec("secp256r1");
            try {
                X500Name subjectName = X500Name.getInstance(new X500Principal(subject).getEncoded());
                X500Name issuerName = issuer == null ? subjectName
                        : X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded());
                PrivateKey signingKey = issuer == null ? k.getPrivate() : issuer.key();
                X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, serial,
                        Date.from(notBefore), Date.from(notAfter), subjectName, k.getPublic());
                JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
                b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(k.getPublic()));
                if (issuer != null) {
                    b.addExtension(Extension.authorityKeyIdentifier, false,
                            u.createAuthorityKeyIdentifier(issuer.cert().getPublicKey()));
                }
                if (ca) {
                    b.addExtension(Extension.basicConstraints, true,
                            pathLen >= 0 ? new BasicConstraints(pathLen) : new BasicConstraints(true));
                }
                if (keyUsage != null) {
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
                }
                if (!san.isEmpty()) {
                    b.addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(san.toArray(new GeneralName[0])));
                }
                X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(signingKey)));
                return new Issued(cert, k);
            } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
                throw new AssertionError(e);
            }
        }
    }

    public static Spec cert(String subject) {
        return new Spec(subject);
    }

    /** A root CA, valid from a year before NOT_BEFORE to five years after NOT_AFTER. */
    public static Issued root(String subject) {
        return cert(subject).ca(-1).validity(NOT_BEFORE.minus(Duration.ofDays(365)), NOT_AFTER.plus(Duration.ofDays(5 * 365)))
                .selfSigned();
    }

    public static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        String alg = key instanceof RSAKey ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaContentSignerBuilder(alg).build(key);
    }

    /** A CRL of {@code issuer}, signed by {@code signingKey}, listing {@code revoked} (key compromise, an hour before NOW). */
    public static X509CRL crl(Issued issuer, PrivateKey signingKey, Instant thisUpdate, Instant nextUpdate,
                       X509Certificate... revoked) {
        try {
            X509v2CRLBuilder b = new JcaX509v2CRLBuilder(issuer.cert().getSubjectX500Principal(), Date.from(thisUpdate));
            if (nextUpdate != null) {
                b.setNextUpdate(Date.from(nextUpdate));
            }
            for (X509Certificate c : revoked) {
                b.addCRLEntry(c.getSerialNumber(), Date.from(NOW.minus(Duration.ofHours(1))), CRLReason.keyCompromise);
            }
            return new JcaX509CRLConverter().getCRL(b.build(signer(signingKey)));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new AssertionError(e);
        }
    }

    /** A current CRL (a day old, a week to go) signed by the issuer's own key. */
    public static X509CRL crl(Issued issuer, X509Certificate... revoked) {
        return crl(issuer, issuer.key(), NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(7)), revoked);
    }

    /** PEM text of certificates, CRLs, or keys (a PrivateKey is written as PKCS#8, a KeyPair in OpenSSL's traditional form). */
    public static String pem(Object... objects) {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            for (Object o : objects) {
                w.writeObject(o instanceof PrivateKey ? new JcaPKCS8Generator((PrivateKey) o, null) : o);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return s.toString();
    }

    /**
     * OpenSSL's traditional PEM form of a key: "RSA PRIVATE KEY" (PKCS#1) or "EC PRIVATE KEY" (RFC 5915 with the
     * curve's OID inside, as OpenSSL writes it: the JDK's own EC encoding leaves it to the PKCS#8 wrapper).
     */
    public static String traditional(PrivateKey key) {
        try {
            PrivateKey k = key instanceof RSAKey ? key : KeyFactory.getInstance("EC", new BouncyCastleProvider())
                    .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
            return pem(new JcaMiscPEMGenerator(k).generate());
        } catch (GeneralSecurityException | IOException e) {
            throw new AssertionError(e);
        }
    }

    public static Path write(Path file, Object... objects) throws IOException {
        Files.writeString(file, pem(objects), StandardCharsets.US_ASCII);
        return file;
    }
}

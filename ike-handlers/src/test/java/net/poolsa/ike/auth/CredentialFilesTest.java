package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.ike.auth.TestPki.Issued;

/**
 * Loading credentials from the files a configuration names: our certificate chain and key in every PEM form
 * (PKCS#8, traditional RSA and EC, written by Bouncy Castle here; OpenSSL's own in {@link OpenSslCredentialsTest}),
 * CA certificates and CRLs; and for every unusable file a {@link CredentialException} that names it and says why.
 */
class CredentialFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, Object... pem) throws Exception {
        return TestPki.write(dir.resolve(name), pem);
    }

    private CredentialException refused(Path expectedFile, String expectedText, Loader l) {
        CredentialException e = assertThrows(CredentialException.class, l::load);
        assertEquals(expectedFile, e.file());
        assertTrue(e.getMessage().startsWith(expectedFile + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedText), e.getMessage());
        return e;
    }

    interface Loader {
        void load() throws Exception;
    }

    @Test
    void pkcs8AndTraditionalKeysOfEveryKindSign() throws Exception {
        Issued root = TestPki.root("CN=root");
        int n = 0;
        for (KeyPair k : new KeyPair[] {TestPki.rsa(2048), TestPki.ec("secp256r1"), TestPki.ec("secp384r1"),
            TestPki.ec("secp521r1")}) {
            Issued c = TestPki.cert("CN=gw" + n).keys(k).sign(root);
            Path cert = write("gw" + n + ".pem", c.cert());
            // PKCS#8 ("PRIVATE KEY"), then OpenSSL's traditional form ("RSA PRIVATE KEY" / "EC PRIVATE KEY")
            Path pkcs8 = write("gw" + n + ".p8", k.getPrivate());
            Path traditional = dir.resolve("gw" + n + ".key");
            Files.writeString(traditional, TestPki.traditional(k.getPrivate()));
            assertTrue(Files.readString(pkcs8).startsWith("-----BEGIN PRIVATE KEY-----"));
            assertTrue(Files.readString(traditional).startsWith(n == 0 ? "-----BEGIN RSA PRIVATE KEY-----"
                    : "-----BEGIN EC PRIVATE KEY-----"), Files.readString(traditional).lines().findFirst().get());
            for (Path key : List.of(pkcs8, traditional)) {
                LocalCredentials ours = LocalCredentials.load(cert, key);
                assertEquals(SignatureMethod.forKey(k.getPublic()), ours.method());
                byte[] hash = new byte[32];
                assertTrue(ours.method().verify(c.cert().getPublicKey(), hash, ours.sign(hash).data().toByteArray()));
            }
            n++;
        }
    }

    @Test
    void chainFileIsOursThenIssuers() throws Exception {
        Issued root = TestPki.root("CN=root");
        Issued mid = TestPki.cert("CN=mid").ca(0).sign(root);
        Issued gw = TestPki.cert("CN=gw").sign(mid);
        Path key = write("gw.key", gw.key());
        LocalCredentials ours = LocalCredentials.load(write("chain.pem", gw.cert(), mid.cert()), key);
        assertEquals(List.of(gw.cert(), mid.cert()), ours.chain());
        assertEquals(2, ours.certificatePayloads().size());

        Path reversed = write("reversed.pem", mid.cert(), gw.cert());
        refused(reversed, "certificate 2 'CN=gw' (serial 0x" + gw.cert().getSerialNumber().toString(16)
                + ") did not issue certificate 1 'CN=mid'", () -> LocalCredentials.load(reversed, key));
    }

    @Test
    void keyThatIsNotTheCertificatesIsRefused() throws Exception {
        Issued gw = TestPki.cert("CN=gw").selfSigned();
        Path cert = write("gw.pem", gw.cert());
        Path otherEc = write("other.key", TestPki.ec("secp256r1").getPrivate());
        refused(otherEc, "the key does not belong to the certificate 'CN=gw'", () -> LocalCredentials.load(cert, otherEc));
        Path rsa = write("rsa.key", TestPki.rsa(2048).getPrivate());
        refused(rsa, "does not belong", () -> LocalCredentials.load(cert, rsa));
        Path p384 = write("p384.key", TestPki.ec("secp384r1").getPrivate());
        refused(p384, "does not belong", () -> LocalCredentials.load(cert, p384));
    }

    @Test
    void unreadableEmptyDoubleAndForeignFiles() throws Exception {
        Issued gw = TestPki.cert("CN=gw").selfSigned();
        Path cert = write("gw.pem", gw.cert());
        Path key = write("gw.key", gw.key());
        Path missing = dir.resolve("missing.pem");
        refused(missing, "cannot be read", () -> LocalCredentials.load(missing, key));
        refused(missing, "cannot be read", () -> LocalCredentials.load(cert, missing));

        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        refused(garbage, "is not an X.509 certificate in PEM or DER", () -> LocalCredentials.load(garbage, key));
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "");
        refused(empty, "holds no certificate", () -> LocalCredentials.load(empty, key));
        refused(empty, "holds no private key", () -> LocalCredentials.load(cert, empty));
        refused(cert, "holds no private key", () -> LocalCredentials.load(cert, cert));

        Path two = write("two.key", gw.key(), TestPki.ec("secp256r1").getPrivate());
        refused(two, "holds more than one private key", () -> LocalCredentials.load(cert, two));
        // a key file that carries its certificate too is fine
        LocalCredentials.load(cert, write("both.pem", gw.cert(), gw.key()));

        Path truncated = dir.resolve("truncated.key");
        Files.writeString(truncated, "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n");
        CredentialException e = refused(truncated, "is not a readable PEM private key",
                () -> LocalCredentials.load(cert, truncated));
        assertTrue(!e.getMessage().contains("MIGHAgEA"), "never quotes the key file: " + e.getMessage());
    }

    @Test
    void certificateThatCannotSignForIkeIsRefusedAtLoad() throws Exception {
        Issued enc = TestPki.cert("CN=encipherment").keyUsage(KeyUsage.keyEncipherment).selfSigned();
        Path cert = write("enc.pem", enc.cert());
        refused(cert, "without digitalSignature or nonRepudiation", () -> LocalCredentials.load(cert, write("enc.key", enc.key())));
    }

    @Test
    void identityFromTheCertificate() throws Exception {
        Issued gw = TestPki.cert("CN=gw,O=poolsa,C=CH").dns("gw.example.org").email("ops@example.org").ip("192.0.2.1")
                .ip("2001:db8::1").selfSigned();
        LocalCredentials ours = LocalCredentials.load(write("gw.pem", gw.cert()), write("gw.key", gw.key()));
        assertEquals("ID_DER_ASN1_DN", ours.identification(null).idType().toString());
        assertEquals(List.of(gw.cert().getSubjectX500Principal().getEncoded().length),
                List.of(ours.identification(null).dataLength()));
        assertEquals("ID_FQDN", ours.identification("gw.example.org").idType().toString());
        assertEquals("ID_USER_FQDN", ours.identification("ops@example.org").idType().toString());
        assertEquals("ID_IPV4_ADDR", ours.identification("192.0.2.1").idType().toString());
        assertEquals("ID_IPV6_ADDR", ours.identification("2001:db8::1").idType().toString());
        // a configured DN goes out as the certificate's subject bytes (its CN is a PrintableString, the text's a UTF8String)
        assertArrayEquals(gw.cert().getSubjectX500Principal().getEncoded(), ours.identification("C=CH, O=poolsa, CN=gw").data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ours.identification("other.example.org"));
        assertTrue(e.getMessage().contains("'other.example.org' is neither the subject nor a subjectAltName"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ours.identification("192.0.2.2"));
        assertTrue(ours.toString().contains("CN=gw") && !ours.toString().contains("PRIVATE"));
    }

    @Test
    void caFilesMustHoldCas() throws Exception {
        Issued root = TestPki.root("CN=root");
        TrustStore t = TrustStore.load(List.of(write("bundle.pem", root.cert(), TestPki.cert("CN=mid").ca(0).sign(root).cert())),
                List.of());
        assertEquals(2, t.authorities().size());
        assertEquals(2, t.certificateRequests().size());

        Path ee = write("ee.pem", root.cert(), TestPki.cert("CN=just a gateway").sign(root).cert());
        refused(ee, "certificate 'CN=just a gateway' is not a CA certificate", () -> TrustStore.load(List.of(ee), List.of()));
        Path noCertSign = write("nosign.pem", TestPki.cert("CN=odd CA").ca(-1).keyUsage(KeyUsage.cRLSign).selfSigned().cert());
        refused(noCertSign, "without keyCertSign", () -> TrustStore.load(List.of(noCertSign), List.of()));
        assertThrows(IllegalArgumentException.class, () -> TrustStore.load(List.of(), List.of()));
    }

    @Test
    void crlFilesAreCheckedAgainstTheConfiguredCas() throws Exception {
        Issued root = TestPki.root("CN=root");
        Path ca = write("ca.pem", root.cert());
        TrustStore ok = TrustStore.load(List.of(ca), List.of(write("ok.crl", TestPki.crl(root))));
        assertEquals(1, ok.crlCount());

        X509CRL forged = TestPki.crl(root, TestPki.ec("secp256r1").getPrivate(), TestPki.NOW, TestPki.NOW.plus(Duration.ofDays(1)));
        Path forgedFile = write("forged.crl", forged);
        refused(forgedFile, "names 'CN=root' as its issuer but is not signed by the key of that configured CA",
                () -> TrustStore.load(List.of(ca), List.of(forgedFile)));

        // a delta CRL: critical deltaCRLIndicator
        X509v2CRLBuilder b = new JcaX509v2CRLBuilder(root.cert().getSubjectX500Principal(), Date.from(TestPki.NOW));
        b.addExtension(Extension.deltaCRLIndicator, true, new ASN1Integer(BigInteger.ONE));
        X509CRL delta = new JcaX509CRLConverter().getCRL(b.build(TestPki.signer(root.key())));
        Path deltaFile = write("delta.crl", delta);
        refused(deltaFile, "critical extension(s) [2.5.29.27]", () -> TrustStore.load(List.of(ca), List.of(deltaFile)));

        Path notCrl = write("cert-not-crl.pem", root.cert());
        refused(notCrl, "is not an X.509 CRL in PEM or DER", () -> TrustStore.load(List.of(ca), List.of(notCrl)));

        // the CRL of an issuer that is not configured (an intermediate the peer sends) is kept for later
        Issued mid = TestPki.cert("CN=mid").ca(0).sign(root);
        assertEquals(1, TrustStore.load(List.of(ca), List.of(write("mid.crl", TestPki.crl(mid)))).crlCount());
    }
}

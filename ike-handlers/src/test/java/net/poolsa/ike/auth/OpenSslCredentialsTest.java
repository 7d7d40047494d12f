package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.message.IdentificationPayload;

/**
 * Credentials made by OpenSSL, not by us: its key formats (PKCS#8, traditional RSA, EC with its EC PARAMETERS block,
 * both kinds of encrypted key, a key type IKEv1 cannot use), a CA and a gateway certificate it issued (validated,
 * identities and subjectAltName addresses read), and our SIG data checked by {@code openssl pkeyutl -verify}: RSA
 * as PKCS#1 v1.5 over the raw hash, ECDSA (after wrapping r | s in DER) over the hash as the digest. Needs the
 * {@code openssl} command, as the appliance's CertificateAuthenticationTest does.
 */
@Tag("root")
class OpenSslCredentialsTest {
    @TempDir
    Path dir;

    private String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    private Path selfSigned(String key, String name) throws Exception {
        openssl("req", "-new", "-x509", "-key", key, "-subj", "/CN=" + name, "-days", "30", "-out", name + ".pem");
        return dir.resolve(name + ".pem");
    }

    @Test
    void everyUnencryptedFormOpenSslWrites() throws Exception {
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "pkcs8-rsa.key");
        openssl("genrsa", "-traditional", "-out", "trad-rsa.key", "2048");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", "trad-ec.key");
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "pkcs8-ec.key");
        assertTrue(Files.readString(dir.resolve("trad-rsa.key")).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertTrue(Files.readString(dir.resolve("trad-ec.key")).startsWith("-----BEGIN EC PARAMETERS-----"));
        String[][] cases = {{"pkcs8-rsa.key", "RSA"}, {"trad-rsa.key", "RSA"}, {"trad-ec.key", "ECDSA_256"},
            {"pkcs8-ec.key", "ECDSA_384"}};
        for (String[] c : cases) {
            Path cert = selfSigned(c[0], c[0].replace(".key", ""));
            LocalCredentials ours = LocalCredentials.load(cert, dir.resolve(c[0]));
            assertEquals(SignatureMethod.valueOf(c[1]), ours.method(), c[0]);
            assertOpenSslVerifies(ours, cert, c[0]);
        }
    }

    /** Our SIG data for a hash, verified by OpenSSL with the certificate's public key. */
    private void assertOpenSslVerifies(LocalCredentials ours, Path cert, String what) throws Exception {
        byte[] hash = new byte[32];
        new Random(what.hashCode()).nextBytes(hash);
        byte[] sig = ours.sign(hash).data().toByteArray();
        if (ours.method() != SignatureMethod.RSA) {
            int half = sig.length / 2;
            sig = new DERSequence(new ASN1Integer[] {new ASN1Integer(new BigInteger(1, Arrays.copyOf(sig, half))),
                new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(sig, half, sig.length)))}).getEncoded();
        }
        Files.write(dir.resolve("hash.bin"), hash);
        Files.write(dir.resolve("sig.bin"), sig);
        openssl("x509", "-in", cert.toString(), "-pubkey", "-noout", "-out", "pub.pem");
        String out = openssl("pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "hash.bin", "-sigfile", "sig.bin");
        assertTrue(out.contains("Signature Verified Successfully"), what + ": " + out);
    }

    @Test
    void encryptedKeysAreRefusedWithAClearMessage() throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "plain.key");
        Path cert = selfSigned("plain.key", "gw");
        openssl("pkey", "-in", "plain.key", "-aes256", "-passout", "pass:not-a-secret", "-out", "pkcs8-enc.key");
        openssl("genrsa", "-traditional", "-aes128", "-passout", "pass:not-a-secret", "-out", "trad-enc.key", "2048");
        assertTrue(Files.readString(dir.resolve("pkcs8-enc.key")).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assertTrue(Files.readString(dir.resolve("trad-enc.key")).contains("Proc-Type: 4,ENCRYPTED"));
        for (String f : new String[] {"pkcs8-enc.key", "trad-enc.key"}) {
            Path key = dir.resolve(f);
            CredentialException e = assertThrows(CredentialException.class, () -> LocalCredentials.load(cert, key));
            assertEquals(key, e.file());
            assertTrue(e.getMessage().startsWith(key + ": holds an encrypted private key"), e.getMessage());
        }
    }

    @Test
    void keyTypeIkeV1CannotSignWith() throws Exception {
        openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.key");
        Path cert = selfSigned("ed.key", "ed");
        CredentialException e = assertThrows(CredentialException.class, () -> LocalCredentials.load(cert, dir.resolve("ed.key")));
        assertTrue(e.getMessage().contains("IKEv1 signatures here use RSA or ECDSA on P-256, P-384 or P-521"), e.getMessage());
    }

    @Test
    void openSslCaAndGatewayCertificateValidate() throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "ca.key");
        openssl("req", "-new", "-x509", "-key", "ca.key", "-subj", "/C=CH/O=poolsa test/CN=openssl CA", "-days", "30",
                "-out", "ca.pem");
        openssl("genrsa", "-out", "gw.key", "2048");
        openssl("req", "-new", "-key", "gw.key", "-subj", "/C=CH/O=poolsa test/CN=gw.example.org", "-out", "gw.csr");
        Files.writeString(dir.resolve("ext.cnf"), "basicConstraints = CA:FALSE\n"
                + "keyUsage = critical, digitalSignature\n"
                + "subjectAltName = DNS:gw.example.org, email:ops@example.org, IP:192.0.2.1, IP:198.51.100.7, IP:2001:db8::1\n");
        openssl("x509", "-req", "-in", "gw.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30",
                "-extfile", "ext.cnf", "-out", "gw.pem");

        TrustStore trust = TrustStore.load(List.of(dir.resolve("ca.pem")), List.of());
        PeerValidator v = new PeerValidator(trust, Clock.systemUTC(), RevocationPolicy.CHECK_CONFIGURED);
        LocalCredentials gw = LocalCredentials.load(dir.resolve("gw.pem"), dir.resolve("gw.key"));
        PeerCertificate peer = v.validate(List.of(gw.certificate()));
        assertEquals(AddressPool.parse("192.0.2.1", "198.51.100.7", "2001:db8::1"), peer.addresses());
        for (String id : new String[] {"C=CH, O=poolsa test, CN=gw.example.org", "gw.example.org", "ops@example.org",
            "192.0.2.1", "2001:db8::1"}) {
            IdentificationPayload payload = gw.identification(id);
            assertEquals(Identity.parse(id), peer.checkIdentity(payload, Identity.parse(id)), id);
        }
        assertOpenSslVerifies(gw, dir.resolve("gw.pem"), "openssl gateway");
        // OpenSSL's own reading of the subject agrees with ours
        String subject = openssl("x509", "-in", "gw.pem", "-noout", "-subject", "-nameopt", "sep_comma_plus_space");
        assertTrue(subject.contains("C=CH, O=poolsa test, CN=gw.example.org"), subject);
    }
}

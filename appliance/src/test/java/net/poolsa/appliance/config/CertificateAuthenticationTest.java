package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.ike.IkeConnections;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.auth.SignatureMethod;

/**
 * Certificate authentication for IKE (RFC 2409 §5.1), with a certificate and key made by OpenSSL (not by us): the
 * files are read and checked as the configuration is (so that check-config reports a mistake with its file, line and
 * field), and a valid set reaches the engine as signature credentials. Needs the openssl command.
 */
@Tag("root")
class CertificateAuthenticationTest {
    private static final String AUTH = "      certificate: gw.pem\n      private-key: gw.key\n      ca: [gw.pem]\n";

    @TempDir
    Path dir;
    Path cfg;

    @BeforeEach
    void setUp() throws Exception {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                "/CN=gw.example.org", "-addext", "subjectAltName=IP:198.51.100.1,IP:192.0.2.0", "-days", "30",
                "-keyout", "gw.key", "-out", "gw.pem");
        Files.setPosixFilePermissions(dir.resolve("gw.key"), PosixFilePermissions.fromString("rw-------"));
        ConfigFixture.write(dir);
        cfg = yaml(AUTH);
    }

    /** The OpenSSL files load; the engine gets ECDSA-256 credentials, the identities and the grant configured. */
    @Test
    void validCertificateFilesReachTheEngine() throws Exception {
        cfg = yaml(AUTH + "      remote-id: \"CN=peer.example.org\"\n      granted-pools: [2001:db8:c::/48]\n"
                + "      revocation: require-crl\n");
        ConnectionConfig c = ConfigLoader.load(cfg).connections().get("site-c");
        ConnectionConfig.Certificates auth = (ConnectionConfig.Certificates) c.authentication();
        assertEquals(AddressPool.parse("2001:db8:c::/48"), auth.grantedPools());
        assertEquals("CN=peer.example.org", auth.remoteId());
        IkeConnection ike = IkeConnections.of(c, 7);
        assertNotNull(ike.certificates());
        assertEquals(SignatureMethod.ECDSA_256, ike.certificates().method());
        assertEquals(0, ike.psk().length);
        assertTrue(ike.toString().contains("certificate 'CN=gw.example.org'"), ike.toString());
        assertFalse(ike.toString().contains("PRIVATE"), ike.toString());
        assertEquals(ike, IkeConnections.of(ConfigLoader.load(cfg).connections().get("site-c"), 7),
                "the same files read again make an equal connection (a reload changes nothing)");
    }

    @Test
    void refusesWorldReadableKeyAndANonCertificate() throws Exception {
        Files.setPosixFilePermissions(dir.resolve("gw.key"), PosixFilePermissions.fromString("rw-r--r--"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.private-key", e.field());
        Files.setPosixFilePermissions(dir.resolve("gw.key"), PosixFilePermissions.fromString("rw-------"));
        yaml(AUTH.replace("ca: [gw.pem]", "ca: [gw.key]"));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.ca[0]", e.field());
        assertTrue(e.getMessage().contains(dir.resolve("gw.key") + ": is not an X.509 certificate in PEM or DER"),
                e.getMessage());
    }

    /** A key of another pair: refused at the private-key line, naming both files; the key's content is not quoted. */
    @Test
    void refusesAKeyThatDoesNotMatchTheCertificate() throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key");
        Files.setPosixFilePermissions(dir.resolve("other.key"), PosixFilePermissions.fromString("rw-------"));
        yaml(AUTH.replace("private-key: gw.key", "private-key: other.key"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.private-key", e.field());
        assertEquals(cfg, e.file());
        assertEquals(lineOf("private-key: other.key"), e.line());
        assertTrue(e.getMessage().contains(dir.resolve("other.key") + ": the key does not belong to the certificate "
                + "'CN=gw.example.org'"), e.getMessage());
        String key = Files.readString(dir.resolve("other.key"));
        String body = key.substring(key.indexOf('\n') + 1, key.indexOf('\n') + 30);
        assertFalse(e.getMessage().contains(body), "no key material in the message");
    }

    /** Our own certificate expired yesterday: every peer would refuse it, so check-config does first. */
    @Test
    void refusesAnExpiredOwnCertificate() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair k = g.generateKeyPair();
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=old.example.org");
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(77),
                Date.from(now.minus(Duration.ofDays(40))), Date.from(now.minus(Duration.ofDays(1))), name, k.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        X509Certificate old = new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
        pem(dir.resolve("old.pem"), old);
        pem(dir.resolve("old.key"), k.getPrivate());
        Files.setPosixFilePermissions(dir.resolve("old.key"), PosixFilePermissions.fromString("rw-------"));
        yaml(AUTH.replace("certificate: gw.pem", "certificate: old.pem").replace("gw.key", "old.key"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.certificate", e.field());
        assertEquals(lineOf("certificate: old.pem"), e.line());
        assertTrue(e.getMessage().contains("our certificate 'CN=old.example.org' expired at "
                + old.getNotAfter().toInstant()), e.getMessage());
    }

    @Test
    void refusesAnUnreadableCertificateAndAnIdentityItDoesNotHold() throws Exception {
        yaml(AUTH.replace("certificate: gw.pem", "certificate: missing.pem"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.certificate", e.field());
        assertTrue(e.getMessage().contains(dir.resolve("missing.pem") + ": cannot be read"), e.getMessage());

        yaml(AUTH + "      local-id: gw.example.net\n");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.local-id", e.field());
        assertTrue(e.getMessage().contains("the identity 'gw.example.net' is neither the subject nor a subjectAltName"),
                e.getMessage());
    }

    /** A CRL signed by another key than the configured CA's that it names: refused at its line. */
    @Test
    void refusesACrlItsCaDidNotSign() throws Exception {
        Files.writeString(dir.resolve("index.txt"), "");
        Files.writeString(dir.resolve("ca.cnf"), "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ndefault_md=sha256\n"
                + "default_crl_days=7\n");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                "/CN=gw.example.org", "-days", "30", "-keyout", "impostor.key", "-out", "impostor.pem");
        openssl("ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "impostor.key", "-cert", "impostor.pem",
                "-out", "bad.crl");
        yaml(AUTH + "      crl: [bad.crl]\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.crl[0]", e.field());
        assertTrue(e.getMessage().contains("is not signed by the key of that configured CA"), e.getMessage());
    }

    private Path yaml(String auth) throws Exception {
        return ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("      psk-file: secrets/site-c.psk\n", auth));
    }

    private int lineOf(String text) throws Exception {
        List<String> lines = Files.readAllLines(cfg);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text + " not in " + cfg);
    }

    private void openssl(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }

    private static void pem(Path file, Object o) throws Exception {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o instanceof java.security.PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k,
                    null) : o);
        }
        Files.writeString(file, s.toString());
    }
}

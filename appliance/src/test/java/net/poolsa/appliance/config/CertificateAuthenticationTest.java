package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConnectionConfig.Certificates;

/** Certificate authentication for IKE, with a certificate and key made by OpenSSL (not by us). */
@Tag("root")
class CertificateAuthenticationTest {
    @TempDir
    Path dir;
    Path cfg;

    @BeforeEach
    void setUp() throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=gw.example.org", "-days", "30",
                "-keyout", dir.resolve("gw.key").toString(), "-out", dir.resolve("gw.pem").toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        Files.setPosixFilePermissions(dir.resolve("gw.key"), PosixFilePermissions.fromString("rw-------"));
        ConfigFixture.write(dir);
        cfg = ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("      psk-file: secrets/site-c.psk\n",
                "      certificate: gw.pem\n      private-key: gw.key\n      ca: [gw.pem]\n"));
    }

    @Test
    void acceptsCertificateAndOwnerOnlyKey() throws Exception {
        Certificates c = (Certificates) ConfigLoader.load(cfg).connections().get("site-c").authentication();
        assertEquals(dir.resolve("gw.pem"), c.certificate());
        assertEquals(1, c.caCertificates().size());
    }

    @Test
    void refusesWorldReadableKeyAndANonCertificate() throws Exception {
        Files.setPosixFilePermissions(dir.resolve("gw.key"), PosixFilePermissions.fromString("rw-r--r--"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.private-key", e.field());
        Files.setPosixFilePermissions(dir.resolve("gw.key"), PosixFilePermissions.fromString("rw-------"));
        ConfigFixture.writeYaml(dir, Files.readString(cfg).replace("ca: [gw.pem]", "ca: [gw.key]"));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-c.authentication.ca[0]", e.field());
        assertTrue(e.getMessage().contains("is not an X.509 certificate"), e.getMessage());
    }
}

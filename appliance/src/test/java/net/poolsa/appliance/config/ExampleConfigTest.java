package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example the Debian package ships under /etc/poolsa validates with the keys its postinst generates: the key
 * names and lengths are read from the postinst script itself, so the two cannot drift apart.
 */
class ExampleConfigTest {
    @TempDir
    Path dir;

    @Test
    void shippedExampleValidatesWithThePostinstKeys() throws Exception {
        Path example = Path.of("../packaging/src/deb/etc/poolsa/poolsa.yaml");
        Path cfg = dir.resolve("poolsa.yaml");
        Files.copy(example, cfg);
        String postinst = Files.readString(Path.of("../packaging/src/deb/control/postinst"));
        Matcher loop = Pattern.compile("for spec in ([^;]+); do").matcher(postinst);
        assertTrue(loop.find(), "postinst generates keys in a 'for spec in NAME:BYTES ...' loop");
        int keys = 0;
        for (String spec : loop.group(1).trim().split("\\s+")) {
            String[] nameBytes = spec.split(":");
            ConfigFixture.secret(dir, "secrets/" + nameBytes[0], "5a".repeat(Integer.parseInt(nameBytes[1])));
            keys++;
        }
        assertEquals(4, keys, "an encryption and an integrity key per direction");
        PoolsaConfig c = ConfigLoader.load(cfg);
        assertEquals(1, c.connections().size());
        ConnectionConfig conn = c.connections().get("example");
        assertEquals("aes-cbc", conn.manual().encryption());
        assertEquals("hmac-sha2-256-128", conn.manual().integrity());
        assertEquals(16, conn.manual().encryptionKeyIn().length());
        assertEquals(32, conn.manual().integrityKeyOut().length());
        assertEquals(9742, c.metrics().listen().getPort());
        assertEquals(DataPathConfig.SinkType.DUMMY, c.dataPath().sink().type());
    }
}

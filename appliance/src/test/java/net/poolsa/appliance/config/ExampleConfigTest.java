package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        assertEquals(4, writePostinstKeys(), "an encryption and an integrity key per direction");
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

    /** Writes the keys postinst generates (names and lengths read from it); returns how many. */
    private int writePostinstKeys() throws Exception {
        String postinst = Files.readString(Path.of("../packaging/src/deb/control/postinst"));
        Matcher loop = Pattern.compile("for spec in ([^;]+); do").matcher(postinst);
        assertTrue(loop.find(), "postinst generates keys in a 'for spec in NAME:BYTES ...' loop");
        int keys = 0;
        for (String spec : loop.group(1).trim().split("\\s+")) {
            String[] nameBytes = spec.split(":");
            ConfigFixture.secret(dir, "secrets/" + nameBytes[0], "5a".repeat(Integer.parseInt(nameBytes[1])));
            keys++;
        }
        return keys;
    }

    /**
     * The commented IKE connection of the example, uncommented as its comment says, validates too: it is what the
     * engine negotiates (proposals checked by its parser), with the pre-shared key file it names.
     */
    @Test
    void commentedIkeExampleValidatesOnceUncommented() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("../packaging/src/deb/etc/poolsa/poolsa.yaml"));
        int start = lines.indexOf("  # branch:");
        assertTrue(start > 0, "the example has a commented connection 'branch'");
        int uncommented = 0;
        for (int i = start; i < lines.size() && (i == start || lines.get(i).startsWith("  #   ")); i++) {
            lines.set(i, "  " + lines.get(i).substring(4));
            uncommented++;
        }
        assertEquals(11, uncommented, String.join("\n", lines));
        Path cfg = dir.resolve("poolsa.yaml");
        Files.write(cfg, lines);
        writePostinstKeys();
        ConfigFixture.secret(dir, "secrets/branch.psk", "a pre-shared key for the example only");
        PoolsaConfig c = ConfigLoader.load(cfg);
        assertEquals(2, c.connections().size());
        ConnectionConfig branch = c.connections().get("branch");
        assertTrue(branch.authentication() instanceof ConnectionConfig.Psk);
        assertEquals(net.poolsa.ike.StartAction.TRAP, branch.startAction());
        assertEquals(List.of("aes128-sha256-modp2048"), branch.ikeProposals());
        assertEquals(2, branch.remoteProtected().prefixes().size(), "two ranges: an ID_LIST");
    }
}

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

import net.poolsa.ike.StartAction;

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
        assertEquals(5, writePostinstKeys(), "an encryption and an integrity key per direction, a pre-shared key");
        PoolsaConfig c = ConfigLoader.load(cfg);
        assertEquals(List.of("example", "branch"), List.copyOf(c.connections().keySet()));
        ConnectionConfig conn = c.connections().get("example");
        assertEquals("aes-cbc", conn.manual().encryption());
        assertEquals("hmac-sha2-256-128", conn.manual().integrity());
        assertEquals(16, conn.manual().encryptionKeyIn().length());
        assertEquals(32, conn.manual().integrityKeyOut().length());
        assertEquals(9742, c.metrics().listen().getPort());
        assertEquals(DataPathConfig.SinkType.DUMMY, c.dataPath().sink().type());

        // The IKE connection is one the engine runs (check-config holds it to that): proposals its parser takes, an
        // uplink address to send Main Mode from and a peer address to send it to, the remote pool as an ID_LIST.
        ConnectionConfig branch = c.connections().get("branch");
        assertTrue(branch.authentication() instanceof ConnectionConfig.Psk psk && psk.key().length() == 64,
                "the postinst key: 32 bytes as 64 hex digits");
        assertEquals(StartAction.TRAP, branch.startAction());
        assertEquals(List.of("aes128-sha256-modp2048"), branch.ikeProposals());
        assertEquals(2, branch.remoteProtected().prefixes().size(), "two ranges: an ID_LIST");
        assertEquals(2, branch.localOuter().prefixes().size(), "both uplinks announced as the outer pool");
        assertEquals(IkeSettings.DEFAULT, c.ike(), "the example shows the default NAT-keepalive");
    }

    /** Writes the keys postinst generates (names and lengths read from it); returns how many. */
    private int writePostinstKeys() throws Exception {
        String postinst = Files.readString(Path.of("../packaging/src/deb/control/postinst"));
        Matcher loop = Pattern.compile("for spec in ([^;]+); do").matcher(postinst);
        assertTrue(loop.find(), "postinst generates keys in a 'for spec in NAME:BYTES ...' loop");
        int keys = 0;
        for (String spec : loop.group(1).trim().split("\\s+")) {
            String[] nameBytes = spec.split(":");
            // postinst writes od's hex: two digits per byte
            ConfigFixture.secret(dir, "secrets/" + nameBytes[0], "5a".repeat(Integer.parseInt(nameBytes[1])));
            keys++;
        }
        return keys;
    }
}

package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example the Debian package ships under /etc/poolsa validates (with keys as postinst generates them). */
class ExampleConfigTest {
    @TempDir
    Path dir;

    @Test
    void shippedExampleValidates() throws Exception {
        Path example = Path.of("../packaging/src/deb/etc/poolsa/poolsa.yaml");
        Path cfg = dir.resolve("poolsa.yaml");
        Files.copy(example, cfg);
        ConfigFixture.secret(dir, "secrets/example.enc-in", "ab".repeat(20));
        ConfigFixture.secret(dir, "secrets/example.enc-out", "cd".repeat(20));
        PoolsaConfig c = ConfigLoader.load(cfg);
        assertEquals(1, c.connections().size());
        assertEquals(9742, c.metrics().listen().getPort());
        assertEquals(DataPathConfig.SinkType.DUMMY, c.dataPath().sink().type());
    }
}

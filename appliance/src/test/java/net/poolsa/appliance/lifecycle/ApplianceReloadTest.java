package net.poolsa.appliance.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;

/** A reload reaches the data path through {@link DataPath#update}, after the kernel holds the new connections. */
class ApplianceReloadTest {
    @TempDir
    Path dir;

    private static final String WITHOUT_SITE_C = ConfigFixture.TWO_MANUAL.substring(0,
            ConfigFixture.TWO_MANUAL.indexOf("  site-c:\n"));

    @Test
    void theDataPathGetsTheConnectionsOfEachAppliedReload() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        RecordingDataPathProvider dp = new RecordingDataPathProvider();
        Appliance a = Appliance.start(ConfigLoader.load(cfg), dp, "test");
        try {
            ConfigFixture.writeYaml(dir, ConfigFixture.TWO_MANUAL.replace("encryption: aes-cbc\n", "encryption: aes-cbc-99\n"));
            assertNull(a.reload());
            assertEquals(List.of(), dp.updates, "a refused file reaches nothing");

            ConfigFixture.writeYaml(dir, WITHOUT_SITE_C);
            assertNotNull(a.reload());
            assertEquals(1, dp.updates.size());
            DataPathContext ctx = dp.updates.get(0);
            assertEquals(List.of("site-b"), ctx.connections().stream().map(ConnectionConfig::name).toList());
            assertEquals(2, ctx.kernel().listSas().size(), "site-c's SAs are gone before the data path is told");
        } finally {
            a.close();
        }
    }

    @Test
    void aDataPathThatCannotFollowFailsTheReload() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        DataPathProvider refusing = new DataPathProvider() {
            @Override
            public String name() {
                return "refusing";
            }

            @Override
            public DataPath start(DataPathContext context) {
                return new DataPath() {
                    @Override
                    public void stop() {
                    }

                    @Override
                    public void update(DataPathContext next) {
                        throw new IllegalStateException("nft -f - failed (1): Error: syntax error");
                    }
                };
            }
        };
        Appliance a = Appliance.start(ConfigLoader.load(cfg), refusing, "test");
        try {
            ConfigFixture.writeYaml(dir, WITHOUT_SITE_C);
            assertNull(a.reload());
            assertTrue(a.metrics().scrape().contains("poolsa_config_reloads_total{result=\"failure\",} 1.0"));
        } finally {
            a.close();
        }
    }
}

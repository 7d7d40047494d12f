package net.poolsa.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.appliance.metrics.StatusReport;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;

/**
 * The demo's "same SAs, same keys, no rekey" check, on the JSON the product's {@link StatusReport} writes: the same
 * SAs with more traffic compare equal; a reinstall with new keys, or one with the same keys, does not.
 */
class StatusSnapshotTest {
    @TempDir
    Path dir;

    @Test
    void sameSasCompareEqualAndAReinstallOrNewKeyIsNamed() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        ConnectionManager m = new ConnectionManager(new ManualKeying(new UserspaceIpsecKernel()));
        m.apply(ConfigLoader.load(cfg).connections(), System.nanoTime());
        StatusSnapshot before = StatusSnapshot.parse(StatusReport.json(m, System.nanoTime()), "site-c");
        assertEquals("00004001", before.outbound().spi());
        assertEquals("ESP:aes-cbc/128 hmac-sha2-256-128/256", before.algorithms());

        m.installed("site-c").outbound().account(1400);
        m.installed("site-c").inbound().account(1400);
        StatusSnapshot later = StatusSnapshot.parse(StatusReport.json(m, System.nanoTime()), "site-c");
        assertEquals(List.of(), before.changesTo(later));
        assertEquals(before.outbound().packets() + 1, later.outbound().packets());

        ConfigFixture.secret(dir, "secrets/c.iin", "55".repeat(32));
        m.apply(ConfigLoader.load(cfg).connections(), System.nanoTime());
        List<String> changes = before.changesTo(StatusSnapshot.parse(StatusReport.json(m, System.nanoTime()), "site-c"));
        assertTrue(changes.stream().anyMatch(c -> c.startsWith("inbound key fingerprint ")), changes.toString());
        assertTrue(changes.stream().anyMatch(c -> c.startsWith("inbound SA reinstalled")), changes.toString());

        // Same keys again, but a new SA (what a restart or a rekey to the same manual keys looks like).
        ConfigFixture.secret(dir, "secrets/c.iin", "22".repeat(32));
        m.removeAll();
        m.apply(ConfigLoader.load(cfg).connections(), System.nanoTime());
        List<String> reinstalled = before.changesTo(StatusSnapshot.parse(StatusReport.json(m, System.nanoTime()), "site-c"));
        assertEquals(2, reinstalled.size(), reinstalled.toString());
        assertTrue(reinstalled.stream().allMatch(c -> c.contains("SA reinstalled")), reinstalled.toString());
        m.removeAll();
    }

    @Test
    void missingConnectionOrFieldIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StatusSnapshot.parse("{\"connections\":[]}", "demo"));
        assertEquals("no connection demo in the status", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StatusSnapshot.parse(
                "{\"connections\":[{\"name\":\"demo\",\"installed\":true,\"inbound\":{\"spi\":\"0000b001\"},"
                        + "\"outbound\":{\"spi\":\"0000a001\",\"algorithms\":\"ESP:x\"}}]}", "demo"));
        assertEquals("status JSON without \"installed_monotonic_ns\"", e.getMessage());
    }
}

package net.poolsa.appliance.keying;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.PolicyAction;

class ConnectionManagerTest {
    @TempDir
    Path dir;
    Path cfg;
    UserspaceIpsecKernel kernel;
    ConnectionManager manager;

    @BeforeEach
    void setUp() throws Exception {
        cfg = ConfigFixture.writeTwoManual(dir);
        kernel = new UserspaceIpsecKernel();
        manager = new ConnectionManager(new ManualKeying(kernel));
    }

    private static int v4(String s) {
        return IpLiterals.v4(IpLiterals.parse(s));
    }

    @Test
    void installsPoolSaPairsAndPolicies() throws Exception {
        PoolsaConfig c = ConfigLoader.load(cfg);
        ConnectionDiff d = manager.apply(c.connections(), 0);
        assertEquals(List.of("site-b", "site-c"), d.added());
        assertEquals(4, kernel.listSas().size());
        // Any source of the peer's pool to any destination of ours finds the same inbound SA (paper §3.1).
        SecurityAssociation a = kernel.sad().lookupInboundV4(0x1001, 50, v4("198.51.100.17"), v4("198.51.100.2"), DropListener.NONE);
        SecurityAssociation b = kernel.sad().lookupInboundV4(0x1001, 50, v4("203.0.113.17"), v4("203.0.113.14"), DropListener.NONE);
        assertNotNull(a);
        assertSame(a, b);
        assertNull(kernel.sad().lookupInboundV4(0x1001, 50, v4("198.51.100.33"), v4("198.51.100.2"), DropListener.NONE));
        assertNull(kernel.sad().lookupInboundV4(0x1001, 50, v4("198.51.100.18"), v4("198.51.100.2"), DropListener.NONE));
        InstalledPolicy p = kernel.spd().classifyV4(Direction.OUTBOUND, v4("192.0.2.5"), v4("192.0.2.200"), 6, 1000, 80);
        assertEquals(PolicyAction.PROTECT, p.policy().action());
        assertEquals(0x2001, p.sa().spi());
        assertEquals(ConnectionManager.FIRST_ASSIGNED_REQID, p.sa().reqid());
        assertEquals(7, manager.installed("site-c").reqid());
        assertEquals("aes-cbc", manager.installed("site-c").outbound().keys().encryptionAlgorithm());
    }

    @Test
    void reloadKeepsUnchangedConnectionsAndReplacesChangedOnes() throws Exception {
        manager.apply(ConfigLoader.load(cfg).connections(), 0);
        InstalledConnection bBefore = manager.installed("site-b");
        InstalledConnection cBefore = manager.installed("site-c");
        bBefore.outbound().account(1400);

        ConfigFixture.secret(dir, "secrets/c.iout", "44".repeat(32));
        ConnectionDiff d = manager.apply(ConfigLoader.load(cfg).connections(), 5);
        assertEquals(List.of("site-c"), d.changed());
        assertEquals(List.of("site-b"), d.unchanged());
        assertSame(bBefore.outbound(), manager.installed("site-b").outbound());
        assertEquals(1, manager.installed("site-b").outbound().packets());
        assertNotSame(cBefore.outbound(), manager.installed("site-c").outbound());
        assertTrue(cBefore.outbound().keys().isDestroyed(), "replaced SA's keys are zeroed");
        assertEquals(7, manager.installed("site-c").reqid());
        assertEquals(4, kernel.listSas().size());

        // Removing a connection from the file removes its SAs and policies.
        ConfigFixture.writeYaml(dir, ConfigFixture.TWO_MANUAL.substring(0, ConfigFixture.TWO_MANUAL.indexOf("  site-c:")));
        d = manager.apply(ConfigLoader.load(cfg).connections(), 6);
        assertEquals(List.of("site-c"), d.removed());
        assertEquals(2, kernel.listSas().size());
        assertNull(manager.installed("site-c"));
        assertFalse(kernel.deletePolicy("site-c/out"), "policy went with the connection");
        assertTrue(kernel.deletePolicy("site-b/out"));
        assertSame(bBefore.outbound(), manager.installed("site-b").outbound());
    }

    @Test
    void removeAllZeroesEveryKey() throws Exception {
        manager.apply(ConfigLoader.load(cfg).connections(), 0);
        List<InstalledConnection> all = List.copyOf(manager.installed());
        manager.removeAll();
        kernel.flush();
        assertTrue(kernel.listSas().isEmpty());
        for (InstalledConnection ic : all) {
            assertTrue(ic.inbound().keys().isDestroyed());
            assertTrue(ic.outbound().keys().isDestroyed());
        }
    }
}

package net.poolsa.appliance.keying;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

    /** IKE connections install nothing here, but get a reqid the IKE engine names their SAs and policies by. */
    @Test
    void ikeConnectionsGetStableReqidsAndNoManualSas() throws Exception {
        Path ike = ConfigFixture.write(dir);
        ConnectionDiff d = manager.apply(ConfigLoader.load(ike).connections(), 0);
        assertEquals(List.of("site-b", "site-c"), d.added());
        assertNull(manager.installed("site-c"));
        assertEquals(2, kernel.listSas().size(), "site-b's pair only");
        Integer reqid = manager.reqid("site-c");
        assertNotNull(reqid);
        assertTrue(reqid >= ConnectionManager.FIRST_ASSIGNED_REQID, "assigned, not 0: " + reqid);
        assertNotEquals(manager.reqid("site-b"), reqid);

        // Changed (another PSK) and then unchanged: the reqid stays.
        ConfigFixture.secret(dir, "secrets/site-c.psk", "another pre-shared key");
        d = manager.apply(ConfigLoader.load(ike).connections(), 0);
        assertEquals(List.of("site-c"), d.changed());
        assertEquals(reqid, manager.reqid("site-c"));
        d = manager.apply(ConfigLoader.load(ike).connections(), 0);
        assertEquals(List.of("site-b", "site-c"), d.unchanged());
        assertEquals(reqid, manager.reqid("site-c"));

        // Removed: the reqid is forgotten.
        ConfigFixture.writeYaml(dir, ConfigFixture.YAML.substring(0, ConfigFixture.YAML.indexOf("  site-c:")));
        d = manager.apply(ConfigLoader.load(ike).connections(), 0);
        assertEquals(List.of("site-c"), d.removed());
        assertNull(manager.reqid("site-c"));
    }

    private SecurityAssociation ikeSa(int spi, Direction d, int reqid, long created) {
        SecurityAssociation sa = SecurityAssociation.builder().spi(spi).direction(d).reqid(reqid)
                .localOuter(net.poolsa.esp.sa.AddressPool.parse("198.51.100.1/32"))
                .remoteOuter(net.poolsa.esp.sa.AddressPool.parse("198.51.100.33/32"))
                .selector(net.poolsa.esp.sa.TrafficSelector.between(net.poolsa.esp.sa.AddressPool.parse("192.0.2.0/26"),
                        net.poolsa.esp.sa.AddressPool.parse("2001:db8:c::/48")))
                .keys(new net.poolsa.esp.sa.SaKeys("aes-gcm-16", new byte[20], "none", null)).createdNanos(created).build();
        kernel.addSa(sa);
        return sa;
    }

    /**
     * An IKE connection's SAs are the engine's, found by reqid: current() is the newest pair, and its counters keep
     * growing across a rekey (the old SAs' final counts are folded in when they leave the kernel).
     */
    @Test
    void ikeConnectionSasAreFoundByReqidAndTheirCountersSurviveARekey() throws Exception {
        manager.apply(ConfigLoader.load(ConfigFixture.write(dir)).connections(), 0);
        int reqid = manager.reqid("site-c");
        assertNull(manager.current("site-c"), "nothing negotiated yet");
        SecurityAssociation in1 = ikeSa(0xc0000001, Direction.INBOUND, reqid, 1);
        SecurityAssociation out1 = ikeSa(0xc0000002, Direction.OUTBOUND, reqid, 1);
        in1.account(100);
        in1.account(100);
        out1.account(300);
        assertSame(in1, manager.current("site-c").inbound());
        assertSame(out1, manager.current("site-c").outbound());
        assertEquals(new ConnectionManager.ConnectionTotals(2, 200, 1, 300, 0), manager.totals("site-c"));

        // Rekey: a new pair comes, traffic moves to it, the old pair is deleted.
        SecurityAssociation in2 = ikeSa(0xc0000003, Direction.INBOUND, reqid, 2);
        SecurityAssociation out2 = ikeSa(0xc0000004, Direction.OUTBOUND, reqid, 2);
        in1.account(100);
        assertSame(in2, manager.current("site-c").inbound());
        assertSame(out2, manager.current("site-c").outbound());
        kernel.deleteSa(Direction.INBOUND, in1.spi(), in1.protocol(), reqid);
        kernel.deleteSa(Direction.OUTBOUND, out1.spi(), out1.protocol(), reqid);
        in2.account(50);
        out2.account(70);
        assertEquals(new ConnectionManager.ConnectionTotals(4, 350, 2, 370, 0), manager.totals("site-c"));
        assertEquals(new ConnectionManager.ConnectionTotals(4, 350, 2, 370, 0), manager.totals("site-c"), "stable");
        // site-b (manual) is unaffected by site-c's SAs.
        assertEquals(0, manager.totals("site-b").packetsIn());
    }
}

package net.poolsa.esp.spd;

import static net.poolsa.esp.sa.TestSas.v4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TestSas;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sad.SecurityAssociationDatabase;

class SecurityPolicyDatabaseTest {
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase(sad);

    private static TrafficSelector ts(String src, String dst) {
        return TrafficSelector.between(AddressPool.parse(src), AddressPool.parse(dst));
    }

    private String out(String src, String dst, int proto, int sport, int dport) {
        InstalledPolicy p = spd.classifyV4(Direction.OUTBOUND, v4(src), v4(dst), proto, sport, dport);
        return p == null ? null : p.policy().id();
    }

    private String out(String src, String dst) {
        return out(src, dst, 17, 1000, 2000);
    }

    @Test
    void protectBypassDiscardAndTheDefault() {
        spd.add(SecurityPolicy.protect("tunnel", ts("203.0.113.0/24", "198.51.100.0/24"), 1));
        // IKE must bypass the tunnel whatever the pools: that takes an explicit priority, since by specificity
        // alone the narrower destination pool of "tunnel" would win.
        TrafficSelector ike = new TrafficSelector(AddressPool.ANY, AddressPool.ANY, 17, PortRange.of(500), PortRange.of(500));
        spd.add(SecurityPolicy.bypass("ike-by-specificity", ike));
        assertEquals("tunnel", out("203.0.113.5", "198.51.100.9", 17, 500, 500));
        spd.add(new SecurityPolicy("ike", Direction.OUTBOUND, 100, ike, PolicyAction.BYPASS, 0));
        spd.add(SecurityPolicy.discard("block", ts("0.0.0.0/0", "192.0.2.0/24")));
        assertEquals("tunnel", out("203.0.113.5", "198.51.100.9"));
        assertEquals("ike", out("203.0.113.5", "198.51.100.9", 17, 500, 500));
        assertEquals("block", out("203.0.113.5", "192.0.2.9"));
        assertNull(out("192.0.2.1", "203.0.113.1"));
        assertNull(spd.classifyV4(Direction.INBOUND, v4("203.0.113.5"), v4("198.51.100.9"), 17, 1, 2));
    }

    @Test
    void theMoreSpecificPolicyWinsAtEqualPriorityAndPriorityOverridesSpecificity() {
        spd.add(SecurityPolicy.protect("wide", ts("203.0.113.0/24", "198.51.100.0/24"), 1));
        spd.add(SecurityPolicy.bypass("narrow", ts("203.0.113.0/24", "198.51.100.128/25")));
        assertEquals("narrow", out("203.0.113.5", "198.51.100.200"));
        assertEquals("wide", out("203.0.113.5", "198.51.100.100"));
        spd.add(new SecurityPolicy("urgent", Direction.OUTBOUND, 10, ts("0.0.0.0/0", "0.0.0.0/0"), PolicyAction.DISCARD, 0));
        assertEquals("urgent", out("203.0.113.5", "198.51.100.200"));
    }

    @Test
    void tieBreakingGoesSourceThenProtocolThenPortsThenInstallationOrder() {
        spd.add(SecurityPolicy.bypass("first", ts("0.0.0.0/0", "198.51.100.0/24")));
        spd.add(SecurityPolicy.discard("second", ts("0.0.0.0/0", "198.51.100.0/24")));
        assertEquals("first", out("203.0.113.5", "198.51.100.1"));
        spd.add(SecurityPolicy.discard("narrow-src", ts("203.0.113.0/24", "198.51.100.0/24")));
        assertEquals("narrow-src", out("203.0.113.5", "198.51.100.1"));
        spd.add(SecurityPolicy.bypass("udp", new TrafficSelector(AddressPool.parse("203.0.113.0/24"),
                AddressPool.parse("198.51.100.0/24"), 17, PortRange.ANY, PortRange.ANY)));
        assertEquals("udp", out("203.0.113.5", "198.51.100.1"));
        assertEquals("narrow-src", out("203.0.113.5", "198.51.100.1", 6, 1, 2));
        spd.add(SecurityPolicy.discard("dns", new TrafficSelector(AddressPool.parse("203.0.113.0/24"),
                AddressPool.parse("198.51.100.0/24"), 17, PortRange.ANY, PortRange.of(53))));
        assertEquals("dns", out("203.0.113.5", "198.51.100.1", 17, 4000, 53));
        assertEquals("udp", out("203.0.113.5", "198.51.100.1", 17, 4000, 54));
    }

    @Test
    void portSelectorsMatchNothingForProtocolsWithoutPorts() {
        spd.add(SecurityPolicy.bypass("https", new TrafficSelector(AddressPool.ANY, AddressPool.ANY, 0, PortRange.ANY, PortRange.of(443))));
        assertEquals("https", out("203.0.113.5", "198.51.100.1", 6, 5555, 443));
        assertNull(out("203.0.113.5", "198.51.100.1", 1, 0, 443));
    }

    @Test
    void protectPoliciesUseTheCurrentSaOfTheirReqidIncludingAfterARekey() {
        InstalledPolicy p = spd.add(SecurityPolicy.protect("t", ts("203.0.113.0/24", "198.51.100.0/24"), 42));
        assertNull(p.sa());
        SecurityAssociation first = TestSas.outbound(0x100, 42, "192.0.2.1", "198.51.100.250");
        sad.install(first);
        assertSame(first, spd.classifyV4(Direction.OUTBOUND, v4("203.0.113.1"), v4("198.51.100.1"), 6, 1, 2).sa());
        SecurityAssociation second = TestSas.outbound(0x101, 42, "192.0.2.1", "198.51.100.250");
        sad.install(second);
        assertSame(second, spd.classifyV4(Direction.OUTBOUND, v4("203.0.113.1"), v4("198.51.100.1"), 6, 1, 2).sa());
    }

    @Test
    void removalAndRebuildAcrossTheDeltaLimit() {
        for (int i = 0; i < 3 * SecurityPolicyDatabase.DELTA_LIMIT; i++) {
            spd.add(SecurityPolicy.bypass("p" + i, ts("203.0.113.0/24", "198.51.100." + i + "/32")));
        }
        for (int i = 0; i < 3 * SecurityPolicyDatabase.DELTA_LIMIT; i++) {
            assertEquals("p" + i, out("203.0.113.1", "198.51.100." + i));
        }
        assertTrue(spd.remove("p3"));
        assertTrue(spd.remove("p47"));
        assertEquals(false, spd.remove("p3"));
        assertNull(out("203.0.113.1", "198.51.100.3"));
        assertNull(out("203.0.113.1", "198.51.100.47"));
        assertEquals("p4", out("203.0.113.1", "198.51.100.4"));
        assertEquals(46, spd.size());
    }

    @Test
    void manySourcesToOneDestinationUseTheSourceSubIndex() {
        spd.update(b -> {
            for (int i = 0; i < 40; i++) {
                b.add(SecurityPolicy.protect("src" + i, ts("203.0.113." + (i * 4) + "/30", "198.51.100.0/24"), 100 + i));
            }
            b.add(SecurityPolicy.discard("rest", ts("0.0.0.0/0", "198.51.100.0/24")));
        });
        for (int i = 0; i < 40; i++) {
            assertEquals("src" + i, out("203.0.113." + (i * 4 + 3), "198.51.100.77"));
        }
        assertEquals("rest", out("203.0.113.200", "198.51.100.77"));
        assertEquals("rest", out("192.0.2.1", "198.51.100.77"));
    }

    @Test
    void ipv6AndMixedFamilyPools() {
        spd.add(SecurityPolicy.protect("v6", TrafficSelector.between(AddressPool.parse("2001:db8:1::/48, 203.0.113.0/24"),
                AddressPool.parse("2001:db8:2::/48, 198.51.100.0/24")), 5));
        byte[] s = IpLiterals.parse("2001:db8:1::5");
        byte[] d = IpLiterals.parse("2001:db8:2:ffff::1");
        assertEquals("v6", spd.classifyV6(Direction.OUTBOUND, IpLiterals.v6hi(s), IpLiterals.v6lo(s),
                IpLiterals.v6hi(d), IpLiterals.v6lo(d), 58, 0, 0).policy().id());
        assertNull(spd.classifyV6(Direction.OUTBOUND, IpLiterals.v6hi(d), IpLiterals.v6lo(d),
                IpLiterals.v6hi(s), IpLiterals.v6lo(s), 58, 0, 0));
        assertEquals("v6", out("203.0.113.1", "198.51.100.1"));
    }

    @Test
    void duplicateIdsAndPolicyErrors() {
        spd.add(SecurityPolicy.bypass("x", ts("0.0.0.0/0", "0.0.0.0/0")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> spd.add(SecurityPolicy.discard("x", ts("0.0.0.0/0", "0.0.0.0/0"))));
        assertTrue(e.getMessage().contains("duplicate policy id 'x'"));
        assertThrows(IllegalArgumentException.class, () -> new SecurityPolicy("p", Direction.OUTBOUND, 1,
                ts("0.0.0.0/0", "0.0.0.0/0"), PolicyAction.PROTECT, 0));
        assertThrows(IllegalArgumentException.class, () -> new PortRange(10, 9));
    }
}

package net.poolsa.esp.sad;

import static net.poolsa.esp.sa.TestSas.v4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaState;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TestSas;
import net.poolsa.esp.sa.TrafficSelector;

class SecurityAssociationDatabaseTest {
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DropListener counting = (reason, sa) -> drops.merge(reason, 1, Integer::sum);

    @Test
    void inboundLookupFindsTheSaForEveryPairOfItsPools() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        SecurityAssociation sa = TestSas.inbound(0x80300000, "192.0.2.64/26", "198.51.100.0/24, 203.0.113.7");
        sad.install(sa);
        assertSame(sa, sad.lookupInboundV4(0x80300000, 50, v4("198.51.100.9"), v4("192.0.2.65"), counting));
        assertSame(sa, sad.lookupInboundV4(0x80300000, 50, v4("203.0.113.7"), v4("192.0.2.66"), counting));
        assertTrue(drops.isEmpty());
    }

    @Test
    void eachDropHasItsReason() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        SecurityAssociation sa = TestSas.inbound(0x1234, "192.0.2.64/26", "198.51.100.0/24");
        sad.install(sa);
        assertNull(sad.lookupInboundV4(0x9999, 50, v4("198.51.100.9"), v4("192.0.2.65"), counting));
        assertNull(sad.lookupInboundV4(0x1234, 51, v4("198.51.100.9"), v4("192.0.2.65"), counting));
        assertEquals(2, drops.get(DropReason.UNKNOWN_SPI));
        // A forged source outside the peer's pool, then a destination outside ours.
        assertNull(sad.lookupInboundV4(0x1234, 50, v4("203.0.113.1"), v4("192.0.2.65"), counting));
        assertNull(sad.lookupInboundV4(0x1234, 50, v4("198.51.100.9"), v4("192.0.2.1"), counting));
        assertEquals(2, drops.get(DropReason.POOL_MISMATCH));
        sa.expire();
        assertNull(sad.lookupInboundV4(0x1234, 50, v4("198.51.100.9"), v4("192.0.2.65"), counting));
        assertEquals(1, drops.get(DropReason.SA_EXPIRED));
    }

    @Test
    void ipv6OuterPools() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        SecurityAssociation sa = SecurityAssociation.builder().spi(0x600).direction(Direction.INBOUND)
                .localOuter(AddressPool.parse("2001:db8:a::/64")).remoteOuter(AddressPool.parse("2001:db8:b::/64"))
                .selector(TrafficSelector.between(AddressPool.ANY_V6, AddressPool.ANY_V6)).keys(TestSas.keys()).build();
        sad.install(sa);
        byte[] src = IpLiterals.parse("2001:db8:b::5");
        byte[] dst = IpLiterals.parse("2001:db8:a::1:1");
        assertSame(sa, sad.lookupInboundV6(0x600, 50, IpLiterals.v6hi(src), IpLiterals.v6lo(src),
                IpLiterals.v6hi(dst), IpLiterals.v6lo(dst), counting));
        assertNull(sad.lookupInboundV6(0x600, 50, IpLiterals.v6hi(dst), IpLiterals.v6lo(dst),
                IpLiterals.v6hi(src), IpLiterals.v6lo(src), counting));
        assertEquals(1, drops.get(DropReason.POOL_MISMATCH));
    }

    @Test
    void spiAllocationSkipsReservedAndUsedValues() {
        // Injected randomness replays values that must be refused: 0, 1-255, a used SPI, a reserved SPI, and
        // one whose home cell (6 of 16) has no room for a two-cell entry because 0x1000 sits in cell 7.
        int[] script = {0, 7, 255, 0x1000, 0x1000, 0x2000, 256, 0x2000, 0x3000, 0x4000, 0x3000};
        AtomicInteger i = new AtomicInteger();
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase(() -> script[i.getAndIncrement()]);
        assertEquals(0x1000, sad.allocateSpi());
        sad.install(TestSas.inbound(0x1000, "192.0.2.1", "198.51.100.1"));
        assertEquals(0x2000, sad.allocateSpi());
        assertEquals(256, sad.allocateSpi());
        assertEquals(0x4000, sad.allocateSpi());
        // Pools that fit one cell need no more room than the home cell.
        assertEquals(0x3000, sad.allocateSpi(AddressPool.parse("192.0.2.1"), AddressPool.parse("198.51.100.1")));
    }

    /** Allocated SPIs are chosen so that every SA sits in its home slot, through all the table's growth. */
    @Test
    void allocatedSpisNeverProbe() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        for (int n = 0; n < 50_000; n++) {
            sad.install(TestSas.inbound(sad.allocateSpi(), "192.0.2.1", "198.51.100.1"));
        }
        assertEquals(0, sad.inboundDisplaced());
        // SPIs chosen elsewhere (manual keying) are not chosen for the table: arbitrary ones probe, all are found.
        java.util.Random r = new java.util.Random(1);
        SecurityAssociationDatabase manual = new SecurityAssociationDatabase();
        List<Integer> spis = new ArrayList<>();
        while (spis.size() < 50_000) {
            int spi = r.nextInt();
            if (Integer.compareUnsigned(spi, 256) >= 0 && manual.inbound(spi) == null) {
                manual.install(TestSas.inbound(spi, "192.0.2.1", "198.51.100.1"));
                spis.add(spi);
            }
        }
        assertTrue(manual.inboundDisplaced() > 1000, "the check above can see displaced SAs: " + manual.inboundDisplaced());
        for (int spi : spis) {
            assertEquals(spi, manual.inbound(spi).spi());
        }
        // Sequential SPIs, as an operator may number them, spread without probing (Fibonacci hashing).
        SecurityAssociationDatabase sequential = new SecurityAssociationDatabase();
        for (int n = 0; n < 50_000; n++) {
            sequential.install(TestSas.inbound(0x1000 + n, "192.0.2.1", "198.51.100.1"));
        }
        assertTrue(sequential.inboundDisplaced() < 500, "sequential SPIs displaced: " + sequential.inboundDisplaced());
    }

    @Test
    void randomSpisAreUniqueAndNeverReserved() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        Set<Integer> seen = new HashSet<>();
        for (int n = 0; n < 20_000; n++) {
            int spi = sad.allocateSpi();
            assertTrue(Integer.compareUnsigned(spi, 256) >= 0);
            assertTrue(seen.add(spi), "duplicate SPI");
        }
    }

    @Test
    void aDuplicateInboundSpiIsAClearError() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        sad.install(TestSas.inbound(0x4242, "192.0.2.1", "198.51.100.1"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sad.install(TestSas.inbound(0x4242, "192.0.2.2", "198.51.100.2")));
        assertTrue(e.getMessage().contains("duplicate inbound SPI 0x00004242"), e.getMessage());
    }

    @Test
    void removalZeroesKeysAndFreesTheSpi() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        SecurityAssociation sa = TestSas.inbound(0x5000, "192.0.2.1", "198.51.100.1");
        sad.install(sa);
        assertSame(sa, sad.removeInbound(0x5000, IpsecProtocol.ESP));
        assertEquals(SaState.DEAD, sa.state());
        assertTrue(sa.keys().isDestroyed());
        assertNull(sad.inbound(0x5000));
        assertNull(sad.removeInbound(0x5000, IpsecProtocol.ESP));
        sad.install(TestSas.inbound(0x5000, "192.0.2.1", "198.51.100.1"));
    }

    @Test
    void rekeyKeepsOldAndNewSideBySideAndOutboundUsesTheNewest() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        OutboundSlot slot = sad.slot(9);
        assertNull(slot.current());
        SecurityAssociation old = TestSas.outbound(0x7000, 9, "192.0.2.1", "198.51.100.1");
        SecurityAssociation fresh = TestSas.outbound(0x7001, 9, "192.0.2.1", "198.51.100.1");
        sad.install(old);
        assertSame(old, slot.current());
        sad.install(fresh);
        assertSame(fresh, slot.current());
        assertEquals(2, sad.outboundCount());
        // Deleting the new one first (a failed rekey) falls back to the old one.
        sad.removeOutbound(9, 0x7001, IpsecProtocol.ESP);
        assertSame(old, slot.current());
        sad.removeOutbound(9, 0x7000, IpsecProtocol.ESP);
        assertNull(slot.current());
    }

    @Test
    void manySasSurviveGrowthAndShrinkOfTheTable() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        List<SecurityAssociation> sas = new ArrayList<>();
        for (int n = 0; n < 5000; n++) {
            SecurityAssociation sa = TestSas.inbound(sad.allocateSpi(), "192.0.2.1", "198.51.100.1");
            sad.install(sa);
            sas.add(sa);
        }
        for (int n = 0; n < 4900; n++) {
            SecurityAssociation sa = sas.get(n);
            assertSame(sa, sad.removeInbound(sa.spi(), IpsecProtocol.ESP));
        }
        for (int n = 4900; n < 5000; n++) {
            assertSame(sas.get(n), sad.inbound(sas.get(n).spi()));
        }
        assertEquals(100, sad.inboundCount());
        sad.clear();
        assertEquals(0, sad.inboundCount());
        assertTrue(sas.get(4999).keys().isDestroyed());
    }
}

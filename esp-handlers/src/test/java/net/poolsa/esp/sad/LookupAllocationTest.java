package net.poolsa.esp.sad;

import static net.poolsa.esp.sa.TestSas.v4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.TestSas;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.spd.SecurityPolicyDatabase;

/**
 * The per-packet lookups allocate nothing: measured with the JVM's per-thread allocation counter
 * (bytes, not time, so the result does not depend on machine load). Inbound SAs of every layout of the SPI
 * table: one cell, multihomed IPv4 and IPv6 pools inline, pools in the spill area.
 */
class LookupAllocationTest {
    @Test
    void inboundLookupAndOutboundClassificationAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        SecurityPolicyDatabase spd = new SecurityPolicyDatabase(sad);
        String[] wideLocal = {"192.0.2.10, 192.0.2.200", "2001:db8:a::/64, 2001:db8:b::/64",
            "192.0.2.1, 192.0.2.3, 192.0.2.5, 192.0.2.7, 192.0.2.9", "2001:db8:a::1, 2001:db8:b::1"};
        String[] wideRemote = {"198.51.100.0/24", "2001:db8:c::/64", "198.51.100.0/24", "2001:db8:c::9"};
        int[] wide = new int[4];
        for (int n = 0; n < 4; n++) {
            wide[n] = sad.allocateSpi(AddressPool.parse(wideLocal[n]), AddressPool.parse(wideRemote[n]));
            sad.install(TestSas.inbound(wide[n], wideLocal[n], wideRemote[n]));
        }
        // After the wide ones: the table doubles seven times under them, and they keep their cells.
        for (int n = 0; n < 1000; n++) {
            sad.install(TestSas.inbound(0x10000 + n, "192.0.2.64/26", "198.51.100.0/24"));
        }
        assertEquals("v4 2+2 (2 cells)", sad.inboundLayout(wide[0]));
        assertEquals("v6 2+2 (3 cells)", sad.inboundLayout(wide[1]));
        assertEquals("v4 spill (1 cell)", sad.inboundLayout(wide[2]));
        assertEquals("v6 spill (1 cell)", sad.inboundLayout(wide[3]));
        int wideDst = v4("192.0.2.200");
        int spillDst = v4("192.0.2.9");
        long v6Src = IpLiterals.v6hi(IpLiterals.parse("2001:db8:c::"));
        long v6Dst = IpLiterals.v6hi(IpLiterals.parse("2001:db8:b::"));
        spd.update(b -> {
            for (int n = 0; n < 200; n++) {
                b.add(SecurityPolicy.protect("p" + n, TrafficSelector.between(AddressPool.parse("203.0.113.0/24"),
                        AddressPool.parse("198.51." + n + ".0/24", "2001:db8:" + Integer.toHexString(n) + "::/48")), 1 + n));
            }
        });
        spd.add(SecurityPolicy.bypass("delta", TrafficSelector.between(AddressPool.ANY, AddressPool.parse("192.0.2.0/24"))));
        int src = v4("198.51.100.7");
        int dst = v4("192.0.2.65");
        int inner = v4("203.0.113.5");
        int remoteNet = v4("198.51.0.9");
        long found = 0;
        for (int round = 0; round < 3; round++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200_000; i++) {
                if (sad.lookupInboundV4(0x10000 + (i % 1000), 50, src, dst, DropListener.NONE) != null) {
                    found++;
                }
                switch (i & 3) {
                    case 0 -> found += sad.lookupInboundV4(wide[0], 50, src, wideDst, DropListener.NONE) != null ? 1 : 0;
                    case 1 -> found += sad.lookupInboundV6(wide[1], 50, v6Src, i, v6Dst, i, DropListener.NONE) != null ? 1 : 0;
                    case 2 -> found += sad.lookupInboundV4(wide[2], 50, src, spillDst, DropListener.NONE) != null ? 1 : 0;
                    default -> found += sad.lookupInboundV6(wide[3], 50, v6Src, 9, v6Dst, 1, DropListener.NONE) != null ? 1 : 0;
                }
                InstalledPolicy p = spd.classifyV4(Direction.OUTBOUND, inner, remoteNet + (i % 100 << 8), 6, 1000, 443);
                if (p != null) {
                    found++;
                }
            }
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            if (round == 2) {
                // Rounds 0-1 warm up the JIT; escape analysis is not needed for zero here, but class loading is.
                assertEquals(0, allocated, "bytes allocated by 600k lookups");
            }
        }
        assertEquals(3 * 600_000, found);
        assertNotNull(spd.classifyV4(Direction.OUTBOUND, inner, v4("192.0.2.1"), 6, 1, 2));
    }
}

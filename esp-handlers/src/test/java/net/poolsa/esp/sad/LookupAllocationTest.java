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
 * table: one cell, the multihomed SA's compact cell, multihomed IPv4 and IPv6 pools inline, pools in the spill area.
 */
class LookupAllocationTest {
    @Test
    void inboundLookupAndOutboundClassificationAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        SecurityPolicyDatabase spd = new SecurityPolicyDatabase(sad);
        // Every layout but narrow (the 1000 below): each inline format, the spill area, a dual-stack SA's
        // spilled family. Each is looked up with an IPv4 destination or an IPv6 one (top half; low half 1) inside its pool.
        String four4 = "192.0.2.10, 192.0.2.200, 198.51.100.96/27, 203.0.113.8/29";
        String four6 = "2001:db8:a::/64, 2001:db8:b::/64, 2001:db8:1:8000::/49, 2001:db8:3::/48";
        String[][] wide = {
            {"192.0.2.10, 192.0.2.200", "198.51.100.0/24", "v4 2/32+1 (1 cell)", "192.0.2.200"},
            {"192.0.2.10, 192.0.2.128/28", "198.51.100.0/24", "v4 2+2 (2 cells)", "192.0.2.130"},
            {four4, "198.51.100.0/24", "v4 4+1 (2 cells)", "203.0.113.9"},
            {four4, "198.51.100.0/24, 203.0.113.64/26, 192.0.2.128/28", "v4 4+4 (3 cells)", "192.0.2.10"},
            {"192.0.2.1, 192.0.2.3, 192.0.2.5, 192.0.2.7, 192.0.2.9", "198.51.100.0/24", "v4 spill (1 cell)", "192.0.2.9"},
            {"2001:db8:a::/64, 2001:db8:b::/64", "2001:db8:c::/64", "v6 2+1 (2 cells)", "2001:db8:b::"},
            {"2001:db8:a::/64, 2001:db8:b::/64", "2001:db8:c::/64, 2001:db8:e::/64", "v6 2+2 (3 cells)", "2001:db8:b::"},
            {four6, "2001:db8:c::/64", "v6 4+1 (4 cells)", "2001:db8:3:7::"},
            {four6, "2001:db8:c::/64, 2001:db8:d::/64", "v6 4+4 (6 cells)", "2001:db8:1:8001::"},
            {"2001:db8:a::1, 2001:db8:b::1", "2001:db8:c::9", "v6 spill (1 cell)", "2001:db8:b::"},
            {"192.0.2.10, 192.0.2.200, 2001:db8:b::/64", "198.51.100.0/24, 2001:db8:c::/64", "v4 2+2, v6 spill (2 cells)", "2001:db8:b::"},
        };
        int[] wideSpi = new int[wide.length];
        boolean[] wideV6 = new boolean[wide.length];
        long[] wideDst = new long[wide.length];
        for (int n = 0; n < wide.length; n++) {
            wideSpi[n] = sad.allocateSpi(AddressPool.parse(wide[n][0]), AddressPool.parse(wide[n][1]));
            sad.install(TestSas.inbound(wideSpi[n], wide[n][0], wide[n][1]));
            wideV6[n] = wide[n][3].contains(":");
            wideDst[n] = wideV6[n] ? IpLiterals.v6hi(IpLiterals.parse(wide[n][3])) : v4(wide[n][3]);
        }
        // After the wide ones: the table doubles eleven times under them (to 2^15 cells, where the multihomed SA
        // is compact), and they keep their home cells.
        for (int n = 0; n < 8000; n++) {
            sad.install(TestSas.inbound(0x10000 + n, "192.0.2.64/26", "198.51.100.0/24"));
        }
        for (int n = 0; n < wide.length; n++) {
            assertEquals(wide[n][2], sad.inboundLayout(wideSpi[n]));
        }
        assertEquals("narrow", sad.inboundLayout(0x10000));
        long v6Src = IpLiterals.v6hi(IpLiterals.parse("2001:db8:c::"));
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
                int n = i % wide.length;
                found += (wideV6[n] ? sad.lookupInboundV6(wideSpi[n], 50, v6Src, 9, wideDst[n], 1, DropListener.NONE)
                        : sad.lookupInboundV4(wideSpi[n], 50, src, (int) wideDst[n], DropListener.NONE)) != null ? 1 : 0;
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

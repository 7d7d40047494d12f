package net.poolsa.esp.sad;

import static net.poolsa.esp.sa.TestSas.v4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.TestSas;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.spd.SecurityPolicyDatabase;

/**
 * The per-packet lookups allocate nothing: measured with the JVM's per-thread allocation counter
 * (bytes, not time, so the result does not depend on machine load).
 */
class LookupAllocationTest {
    @Test
    void inboundLookupAndOutboundClassificationAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        SecurityPolicyDatabase spd = new SecurityPolicyDatabase(sad);
        for (int n = 0; n < 1000; n++) {
            sad.install(TestSas.inbound(0x10000 + n, "192.0.2.64/26", "198.51.100.0/24"));
        }
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
                InstalledPolicy p = spd.classifyV4(Direction.OUTBOUND, inner, remoteNet + (i % 100 << 8), 6, 1000, 443);
                if (p != null) {
                    found++;
                }
            }
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            if (round == 2) {
                // Rounds 0-1 warm up the JIT; escape analysis is not needed for zero here, but class loading is.
                assertEquals(0, allocated, "bytes allocated by 400k lookups");
            }
        }
        assertEquals(3 * 400_000, found);
        assertNotNull(spd.classifyV4(Direction.OUTBOUND, inner, v4("192.0.2.1"), 6, 1, 2));
    }
}

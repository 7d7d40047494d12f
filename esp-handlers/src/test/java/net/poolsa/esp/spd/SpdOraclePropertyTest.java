package net.poolsa.esp.spd;

import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sad.SecurityAssociationDatabase;

/**
 * Outbound classification against the naive oracle: RFC 4301's ordered list scanned from the top,
 * first match wins. Random overlapping pools, protocols and ports, random removals and additions on both
 * sides of the delta limit; the seed is fixed and printed with any failure.
 */
class SpdOraclePropertyTest {
    static final long SEED = Long.getLong("poolsa.seed", 0xC0FFEEL);

    static AddressPool randomPool(Random r) {
        int n = 1 + r.nextInt(4);
        AddressPool.Builder b = AddressPool.builder();
        for (int i = 0; i < n; i++) {
            long base = 0xC6336400L + r.nextInt(768); // around 198.51.100.0
            if (r.nextInt(10) == 0) {
                b.add("0.0.0.0/0");
            } else if (r.nextBoolean()) {
                int len = 24 + r.nextInt(9);
                long size = 1L << (32 - len);
                long net = base & ~(size - 1);
                b.add(IpLiterals.v4ToString((int) net) + "/" + len);
            } else {
                b.addV4Range(base, base + r.nextInt(40));
            }
        }
        if (r.nextInt(6) == 0) {
            b.add("2001:db8:" + Integer.toHexString(r.nextInt(4)) + "::/48");
        }
        return b.build();
    }

    static SecurityPolicy randomPolicy(Random r, String id) {
        int proto = r.nextInt(3) == 0 ? (r.nextBoolean() ? 6 : 17) : 0;
        PortRange sp = r.nextInt(4) == 0 ? PortRange.of(1000 + r.nextInt(3)) : PortRange.ANY;
        PortRange dp = r.nextInt(4) == 0 ? new PortRange(50, 50 + r.nextInt(10)) : PortRange.ANY;
        TrafficSelector ts = new TrafficSelector(randomPool(r), randomPool(r), proto, sp, dp);
        PolicyAction action = PolicyAction.values()[r.nextInt(3)];
        return new SecurityPolicy(id, r.nextInt(8) == 0 ? Direction.INBOUND : Direction.OUTBOUND,
                r.nextInt(5) == 0 ? 500 : 1000, ts, action, action == PolicyAction.PROTECT ? 1 + r.nextInt(50) : 0);
    }

    static InstalledPolicy oracle(List<InstalledPolicy> ordered, int src, int dst, int proto, int sp, int dp) {
        for (InstalledPolicy p : ordered) {
            if (p.selector().matchesV4(src, dst, proto, sp, dp)) {
                return p;
            }
        }
        return null;
    }

    @Test
    void indexAgreesWithTheOrderedLinearScan() {
        Random r = new Random(SEED);
        for (int world = 0; world < 30; world++) {
            SecurityPolicyDatabase spd = new SecurityPolicyDatabase(new SecurityAssociationDatabase());
            List<String> ids = new ArrayList<>();
            int next = 0;
            if (r.nextBoolean()) {
                List<SecurityPolicy> bulk = new ArrayList<>();
                for (int i = 0; i < 100 + r.nextInt(200); i++) {
                    String id = "b" + next++;
                    bulk.add(randomPolicy(r, id));
                    ids.add(id);
                }
                spd.update(b -> b.addAll(bulk));
            }
            for (int step = 0; step < 60; step++) {
                int op = r.nextInt(10);
                if (op < 6 || ids.isEmpty()) {
                    String id = "p" + next++;
                    spd.add(randomPolicy(r, id));
                    ids.add(id);
                } else {
                    spd.remove(ids.remove(r.nextInt(ids.size())));
                }
                List<InstalledPolicy> ordered = spd.ordered(Direction.OUTBOUND);
                for (int probe = 0; probe < 40; probe++) {
                    int src = (int) (0xC6336400L + r.nextInt(900) - 50);
                    int dst = (int) (0xC6336400L + r.nextInt(900) - 50);
                    int proto = new int[] {6, 17, 1}[r.nextInt(3)];
                    int sp = 999 + r.nextInt(4);
                    int dp = 48 + r.nextInt(16);
                    InstalledPolicy expected = oracle(ordered, src, dst, proto, sp, dp);
                    InstalledPolicy actual = spd.classifyV4(Direction.OUTBOUND, src, dst, proto, sp, dp);
                    final int w = world;
                    final int st = step;
                    assertSame(expected, actual, () -> "seed=" + SEED + " world=" + w + " step=" + st + " packet "
                            + IpLiterals.v4ToString(src) + " -> " + IpLiterals.v4ToString(dst) + " proto " + proto
                            + " " + sp + "->" + dp + ": expected " + expected + " got " + actual);
                }
            }
        }
    }
}

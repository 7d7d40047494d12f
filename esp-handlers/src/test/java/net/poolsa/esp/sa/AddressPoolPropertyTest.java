package net.poolsa.esp.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Pool membership against a naive oracle: the list of entries as written, checked one by one with plain
 * long arithmetic. Random pools and addresses from a fixed seed, printed on failure.
 */
class AddressPoolPropertyTest {
    static final long SEED = Long.getLong("poolsa.seed", 0x5ca1ab1eL);

    /** One entry as the operator wrote it: [first, last] in unsigned 32-bit space. */
    record Entry(long first, long last, String text) {
        boolean covers(long a) {
            return a >= first && a <= last;
        }
    }

    static Entry randomEntry(Random r) {
        // Concentrate on a small region (192.0.2.0/24 and neighbours) so that entries overlap and touch.
        long base = 0xC0000200L + r.nextInt(1024) - 512;
        switch (r.nextInt(3)) {
            case 0: {
                int len = 22 + r.nextInt(11);
                long size = 1L << (32 - len);
                long net = base & ~(size - 1) & 0xffffffffL;
                return new Entry(net, net + size - 1, IpLiterals.v4ToString((int) net) + "/" + len);
            }
            case 1: {
                long last = Math.min(0xffffffffL, base + r.nextInt(64));
                return new Entry(base, last, IpLiterals.v4ToString((int) base) + "-" + IpLiterals.v4ToString((int) last));
            }
            default:
                return new Entry(base, base, IpLiterals.v4ToString((int) base));
        }
    }

    @Test
    void membershipMatchesTheOracle() {
        Random r = new Random(SEED);
        for (int round = 0; round < 2000; round++) {
            int n = 1 + r.nextInt(8);
            List<Entry> entries = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Entry e = randomEntry(r);
                entries.add(e);
                texts.add(e.text());
            }
            AddressPool pool = AddressPool.parse(texts);
            for (int probe = 0; probe < 64; probe++) {
                long a = 0xC0000200L + r.nextInt(1600) - 800;
                boolean expected = entries.stream().anyMatch(e -> e.covers(a));
                assertEquals(expected, pool.containsV4((int) a),
                        () -> "seed=" + SEED + " pool=" + texts + " address=" + IpLiterals.v4ToString((int) a));
            }
            // The printed form parses back to the same set (minimal prefixes are exact).
            assertEquals(pool, AddressPool.parse(pool.toString()), "seed=" + SEED + " pool=" + texts);
        }
    }

    @Test
    void ipv6MembershipMatchesTheOracleAcrossTheLowWordCarry() {
        Random r = new Random(SEED + 1);
        for (int round = 0; round < 500; round++) {
            // Ranges that cross the boundary between the two 64-bit words, where a carry bug would show.
            long hi = 0x20010db800000000L | r.nextInt(4);
            long lo = -1L - r.nextInt(100);
            long span = r.nextInt(200);
            String first = IpLiterals.v6ToInet(hi, lo).getHostAddress();
            long lastLo = lo + span;
            long lastHi = Long.compareUnsigned(lastLo, lo) < 0 ? hi + 1 : hi;
            String last = IpLiterals.v6ToInet(lastHi, lastLo).getHostAddress();
            AddressPool pool = AddressPool.parse(first + "-" + last);
            for (int probe = -5; probe < span + 5; probe++) {
                long pLo = lo + probe;
                long pHi = probe < 0 ? hi : (Long.compareUnsigned(pLo, lo) < 0 ? hi + 1 : hi);
                if (probe < 0 && Long.compareUnsigned(pLo, lo) > 0) {
                    pHi = hi;
                }
                boolean expected = probe >= 0 && probe <= span;
                final long fh = pHi;
                final long fl = pLo;
                assertEquals(expected, pool.containsV6(pHi, pLo),
                        () -> "seed=" + SEED + " pool=" + first + "-" + last + " probe=" + IpLiterals.v6ToInet(fh, fl));
            }
            assertEquals(pool, AddressPool.parse(pool.toString()));
        }
    }
}

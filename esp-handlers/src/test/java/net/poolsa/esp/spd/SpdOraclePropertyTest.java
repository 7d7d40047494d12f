package net.poolsa.esp.spd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sad.SecurityAssociationDatabase;

/**
 * Outbound and inbound classification, IPv4 and IPv6, against an oracle written here from the documented
 * order (README "Pool SAs in the SAD and SPD", RFC 4301 §4.4.1: the first matching entry of an ordered list
 * wins): explicit priority (lower first), then the smaller destination pool, the smaller source pool (counted
 * in addresses, exactly), a named IP protocol before "any", the smaller product of the two port ranges, and
 * last the order of installation. The oracle keeps its own copy of every policy (pools as the raw ranges it
 * generated), checks membership and ports itself, and scans all live policies for every packet; the SPD under
 * test is only asked for its answer.
 *
 * <p>Random overlapping pools of both families (prefixes, ranges, single addresses, the whole family), random
 * protocols, ports and priorities, additions, removals and bulk updates on both sides of the delta limit.
 * The seed is new for every run unless {@code -Dpoolsa.seed=N} is given; it is printed at the start and in
 * every failure message, so a failure can be replayed.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4.1">RFC 4301 §4.4.1</a>
 */
class SpdOraclePropertyTest {
    static final long SEED = Long.getLong("poolsa.seed", new Random().nextLong());

    /** 198.51.100.0, the middle of the IPv4 area the pools and packets are drawn from. */
    private static final long V4_BASE = 0xC6336400L;
    /** IPv6 /64s the pools and packets are drawn from: 2001:db8:0:0, 2001:db8:0:1, 2001:db8:1:0. */
    private static final long[] V6_HIGH = {0x20010db800000000L, 0x20010db800000001L, 0x20010db800010000L};
    private static final int[] PORT_PROTOCOLS = {6, 17, 132, 136};
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    /** An inclusive range of addresses of one family, as numbers. */
    record Span(boolean v6, BigInteger first, BigInteger last) {
        boolean contains(boolean family6, BigInteger a) {
            return v6 == family6 && first.compareTo(a) <= 0 && a.compareTo(last) <= 0;
        }

        String entry() {
            return text(v6, first) + "-" + text(v6, last);
        }

        static String text(boolean v6, BigInteger a) {
            byte[] raw = a.toByteArray();
            byte[] b = new byte[v6 ? 16 : 4];
            int n = Math.min(raw.length, b.length);
            System.arraycopy(raw, raw.length - n, b, b.length - n, n);
            try {
                return InetAddress.getByAddress(b).getHostAddress();
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** The oracle's pool: the generated ranges, possibly overlapping, as generated; size counted once. */
    record Pool(List<Span> spans, BigInteger size) {
        Pool(List<Span> spans) {
            this(spans, distinct(spans, false).add(distinct(spans, true)));
        }

        boolean contains(boolean v6, BigInteger a) {
            for (Span s : spans) {
                if (s.contains(v6, a)) {
                    return true;
                }
            }
            return false;
        }

        /** Distinct addresses of one family: overlapping and adjacent ranges merged. */
        private static BigInteger distinct(List<Span> spans, boolean v6) {
            List<Span> sorted = new ArrayList<>();
            for (Span s : spans) {
                if (s.v6() == v6) {
                    sorted.add(s);
                }
            }
            sorted.sort(Comparator.comparing(Span::first));
            BigInteger total = BigInteger.ZERO;
            BigInteger curFirst = null;
            BigInteger curLast = null;
            for (Span s : sorted) {
                if (curLast != null && s.first().compareTo(curLast.add(BigInteger.ONE)) <= 0) {
                    curLast = curLast.max(s.last());
                    continue;
                }
                if (curLast != null) {
                    total = total.add(curLast.subtract(curFirst).add(BigInteger.ONE));
                }
                curFirst = s.first();
                curLast = s.last();
            }
            if (curLast != null) {
                total = total.add(curLast.subtract(curFirst).add(BigInteger.ONE));
            }
            return total;
        }

        AddressPool toAddressPool() {
            return AddressPool.parse(spans.stream().map(Span::entry).toList());
        }

        @Override
        public String toString() {
            return spans.stream().map(Span::entry).toList() + " (" + size + " addresses)";
        }
    }

    /** The oracle's policy: what it was installed with, and when. */
    record Model(String id, Direction direction, int priority, Pool source, Pool destination, int protocol,
                 int spFrom, int spTo, int dpFrom, int dpTo, long installed) {
        boolean matches(boolean v6, BigInteger src, BigInteger dst, int proto, int sp, int dp) {
            if (!destination.contains(v6, dst) || !source.contains(v6, src)) {
                return false;
            }
            if (protocol != 0 && protocol != proto) {
                return false;
            }
            boolean anyPorts = spFrom == 0 && spTo == 65535 && dpFrom == 0 && dpTo == 65535;
            if (anyPorts) {
                return true;
            }
            // Ports are only defined for these protocols; for others a port selector matches nothing (OPAQUE).
            boolean hasPorts = false;
            for (int p : PORT_PROTOCOLS) {
                hasPorts |= p == proto;
            }
            return hasPorts && spFrom <= sp && sp <= spTo && dpFrom <= dp && dp <= dpTo;
        }

        long portProduct() {
            return (long) (spTo - spFrom + 1) * (dpTo - dpFrom + 1);
        }
    }

    /** The documented order: true when {@code a} comes before {@code b}. */
    static boolean before(Model a, Model b) {
        if (a.priority() != b.priority()) {
            return a.priority() < b.priority();
        }
        int c = a.destination().size().compareTo(b.destination().size());
        if (c != 0) {
            return c < 0;
        }
        c = a.source().size().compareTo(b.source().size());
        if (c != 0) {
            return c < 0;
        }
        boolean aNamed = a.protocol() != 0;
        boolean bNamed = b.protocol() != 0;
        if (aNamed != bNamed) {
            return aNamed;
        }
        if (a.portProduct() != b.portProduct()) {
            return a.portProduct() < b.portProduct();
        }
        return a.installed() < b.installed();
    }

    /** Brute force: every live policy of the direction is checked; the first in the documented order wins. */
    static List<Model> matching(List<Model> live, Direction d, boolean v6, BigInteger src, BigInteger dst, int proto,
                                int sp, int dp) {
        List<Model> out = new ArrayList<>();
        for (Model m : live) {
            if (m.direction() == d && m.matches(v6, src, dst, proto, sp, dp)) {
                out.add(m);
            }
        }
        return out;
    }

    static Model first(List<Model> candidates) {
        Model best = null;
        for (Model m : candidates) {
            if (best == null || before(m, best)) {
                best = m;
            }
        }
        return best;
    }

    static Span v4Span(long first, long last) {
        return new Span(false, BigInteger.valueOf(first), BigInteger.valueOf(last));
    }

    static Span v6Span(long hi, long loFirst, long loLast) {
        BigInteger h = BigInteger.valueOf(hi).shiftLeft(64);
        return new Span(true, h.add(BigInteger.valueOf(loFirst)), h.add(BigInteger.valueOf(loLast)));
    }

    static Span v6Prefix(long hi, int length) {
        BigInteger first = BigInteger.valueOf(hi).shiftLeft(64);
        BigInteger size = BigInteger.ONE.shiftLeft(128 - length);
        first = first.subtract(first.mod(size));
        return new Span(true, first, first.add(size).subtract(BigInteger.ONE));
    }

    /** A pool of 1-4 entries, each IPv6 with probability {@code v6Percent}. */
    static Pool randomPool(Random r, int v6Percent) {
        List<Span> spans = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            boolean v6 = r.nextInt(100) < v6Percent;
            int shape = r.nextInt(10);
            if (!v6) {
                long base = V4_BASE + r.nextInt(768);
                if (shape == 0) {
                    spans.add(v4Span(0, 0xFFFFFFFFL));
                } else if (shape < 5) {
                    long size = 1L << (32 - (24 + r.nextInt(9)));
                    long net = base & ~(size - 1);
                    spans.add(v4Span(net, net + size - 1));
                } else if (shape < 8) {
                    spans.add(v4Span(base, base + r.nextInt(40)));
                } else {
                    spans.add(v4Span(base, base));
                }
            } else {
                long hi = V6_HIGH[r.nextInt(V6_HIGH.length)];
                long lo = r.nextInt(600);
                if (shape == 0) {
                    spans.add(new Span(true, BigInteger.ZERO, TWO_64.shiftLeft(64).subtract(BigInteger.ONE)));
                } else if (shape < 3) {
                    spans.add(v6Prefix(hi, r.nextBoolean() ? 48 : 64));
                } else if (shape < 6) {
                    long size = 1L << r.nextInt(9); // a /120 to /128 inside the /64
                    long net = lo & ~(size - 1);
                    spans.add(v6Span(hi, net, net + size - 1));
                } else if (shape < 9) {
                    spans.add(v6Span(hi, lo, lo + r.nextInt(200)));
                } else {
                    spans.add(v6Span(hi, lo, lo));
                }
            }
        }
        return new Pool(spans);
    }

    static int[] randomPorts(Random r, int base, int spread) {
        return switch (r.nextInt(4)) {
            case 0 -> new int[] {base + r.nextInt(spread), base + r.nextInt(spread)};
            case 1 -> {
                int from = base + r.nextInt(spread);
                yield new int[] {from, from + r.nextInt(spread)};
            }
            default -> new int[] {0, 65535};
        };
    }

    /** A random policy for the oracle; ports of a single value come out as [p, p]. */
    static Model randomModel(Random r, String id, long installed) {
        int proto = switch (r.nextInt(6)) {
            case 0 -> 6;
            case 1 -> 17;
            case 2 -> 1;
            default -> 0;
        };
        int[] sp = randomPorts(r, 1000, 4);
        int[] dp = randomPorts(r, 50, 10);
        if (sp[0] > sp[1]) {
            sp = new int[] {sp[1], sp[0]};
        }
        if (dp[0] > dp[1]) {
            dp = new int[] {dp[1], dp[0]};
        }
        int priority = new int[] {500, 1000, 1000, 1000, 1500}[r.nextInt(5)];
        int v6Percent = new int[] {5, 50, 95}[r.nextInt(3)]; // mostly IPv4, mixed, mostly IPv6
        return new Model(id, r.nextInt(5) == 0 ? Direction.INBOUND : Direction.OUTBOUND, priority,
                randomPool(r, v6Percent), randomPool(r, v6Percent), proto, sp[0], sp[1], dp[0], dp[1], installed);
    }

    static SecurityPolicy toPolicy(Model m, Random r) {
        TrafficSelector ts = new TrafficSelector(m.source().toAddressPool(), m.destination().toAddressPool(),
                m.protocol(), new PortRange(m.spFrom(), m.spTo()), new PortRange(m.dpFrom(), m.dpTo()));
        PolicyAction action = PolicyAction.values()[r.nextInt(PolicyAction.values().length)];
        return new SecurityPolicy(m.id(), m.direction(), m.priority(), ts, action,
                action == PolicyAction.PROTECT ? 1 + r.nextInt(50) : 0);
    }

    /** A packet address near the generated pools, sometimes outside all of them. */
    static BigInteger randomAddress(Random r, boolean v6) {
        if (!v6) {
            return BigInteger.valueOf(V4_BASE + r.nextInt(900) - 50);
        }
        long hi = r.nextInt(8) == 0 ? 0x20010db800020000L : V6_HIGH[r.nextInt(V6_HIGH.length)];
        return BigInteger.valueOf(hi).shiftLeft(64).add(BigInteger.valueOf(r.nextInt(700)));
    }

    static InstalledPolicy classify(SecurityPolicyDatabase spd, Direction d, boolean v6, BigInteger src, BigInteger dst,
                                    int proto, int sp, int dp) {
        if (!v6) {
            return spd.classifyV4(d, src.intValue(), dst.intValue(), proto, sp, dp);
        }
        return spd.classifyV6(d, src.shiftRight(64).longValue(), src.longValue(), dst.shiftRight(64).longValue(),
                dst.longValue(), proto, sp, dp);
    }

    @Test
    void classificationAgreesWithABruteForceScanOfTheDocumentedOrder() {
        System.out.println("SpdOraclePropertyTest seed=" + SEED + " (replay with -Dpoolsa.seed=" + SEED + ")");
        Random r = new Random(SEED);
        int[] checked = new int[2];
        int[] contested = new int[2];
        for (int world = 0; world < 30; world++) {
            SecurityPolicyDatabase spd = new SecurityPolicyDatabase(new SecurityAssociationDatabase());
            List<Model> live = new ArrayList<>();
            long installed = 0;
            int next = 0;
            if (r.nextBoolean()) {
                List<SecurityPolicy> bulk = new ArrayList<>();
                int count = 100 + r.nextInt(200);
                for (int i = 0; i < count; i++) {
                    Model m = randomModel(r, "b" + next++, installed++);
                    live.add(m);
                    bulk.add(toPolicy(m, r));
                }
                spd.update(b -> b.addAll(bulk));
            }
            for (int step = 0; step < 60; step++) {
                int op = r.nextInt(10);
                if (op < 6 || live.isEmpty()) {
                    Model m = randomModel(r, "p" + next++, installed++);
                    live.add(m);
                    spd.add(toPolicy(m, r));
                } else if (op < 9) {
                    spd.remove(live.remove(r.nextInt(live.size())).id());
                } else {
                    Model gone = live.remove(r.nextInt(live.size()));
                    Model m = randomModel(r, "u" + next++, installed++);
                    live.add(m);
                    SecurityPolicy added = toPolicy(m, r);
                    spd.update(b -> b.remove(gone.id()).add(added));
                }
                for (int probe = 0; probe < 30; probe++) {
                    boolean v6 = r.nextInt(3) == 0;
                    Direction d = r.nextInt(5) == 0 ? Direction.INBOUND : Direction.OUTBOUND;
                    BigInteger src = randomAddress(r, v6);
                    BigInteger dst = randomAddress(r, v6);
                    int proto = new int[] {6, 17, 1, 58, 132}[r.nextInt(5)];
                    int sp = 999 + r.nextInt(6);
                    int dp = 48 + r.nextInt(16);
                    List<Model> candidates = matching(live, d, v6, src, dst, proto, sp, dp);
                    Model expected = first(candidates);
                    InstalledPolicy actual = classify(spd, d, v6, src, dst, proto, sp, dp);
                    final int w = world;
                    final int st = step;
                    assertEquals(expected == null ? null : expected.id(), actual == null ? null : actual.policy().id(),
                            () -> "seed=" + SEED + " world=" + w + " step=" + st + " " + d + " packet "
                                    + Span.text(v6, src) + " -> " + Span.text(v6, dst)
                                    + " proto " + proto + " " + sp + "->" + dp + ": expected " + expected
                                    + " got " + actual);
                    checked[v6 ? 1 : 0]++;
                    contested[v6 ? 1 : 0] += candidates.size() > 1 ? 1 : 0;
                }
            }
        }
        // The property is only worth something if the order decides often: packets that several policies match.
        for (int family = 0; family < 2; family++) {
            assertTrue(contested[family] >= 500, "seed=" + SEED + ": only " + contested[family] + " of "
                    + checked[family] + (family == 0 ? " IPv4" : " IPv6") + " packets matched more than one policy");
        }
    }
}

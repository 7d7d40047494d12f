package net.poolsa.esp.spd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * Builds a {@link PolicyIndex} from policies in SPD order (RFC 4301 §4.4.1): cuts the address space at the
 * boundaries of every policy's key pool into elementary intervals, lists the policies of each interval in SPD
 * order, stores identical lists once, indexes crowded lists again by source, and lays IPv4 boundaries out as
 * the 16-ary search tree the lookup walks. Runs on the SPD's writer, never per packet.
 */
final class PolicyIndexBuilder {
    /** An interval list longer than this gets a second index over the source address. */
    static final int SOURCE_INDEX_THRESHOLD = 8;

    private PolicyIndexBuilder() {
    }

    /**
     * Builds the index of {@code ordered} (policies in SPD order) for one family, keyed on the destination.
     * {@code dead} has one byte per policy of {@code ordered}, shared by the indexes of one snapshot.
     */
    static PolicyIndex build(List<InstalledPolicy> ordered, boolean v6, byte[] dead) {
        InstalledPolicy[] byRank = ordered.toArray(new InstalledPolicy[0]);
        Map<InstalledPolicy, Integer> rank = new IdentityHashMap<>();
        for (int i = 0; i < byRank.length; i++) {
            rank.put(byRank[i], i);
        }
        return build(ordered, v6, false, byRank, rank, dead);
    }

    private static PolicyIndex build(List<InstalledPolicy> ordered, boolean v6, boolean bySource, InstalledPolicy[] byRank,
                                     Map<InstalledPolicy, Integer> rank, byte[] dead) {
        long[][] bounds = boundaries(ordered, v6, bySource);
        long[] bh = bounds[0];
        long[] bl = bounds[1];
        int intervals = bl.length;

        // Count, then fill, the policies of each interval, in SPD order.
        int[] count = new int[intervals + 1];
        for (InstalledPolicy p : ordered) {
            forEachInterval(bh, bl, key(p, bySource), v6, (from, to) -> {
                for (int i = from; i <= to; i++) {
                    count[i]++;
                }
            });
        }
        int[] start = new int[intervals + 1];
        for (int i = 0; i < intervals; i++) {
            start[i + 1] = start[i] + count[i];
        }
        InstalledPolicy[] lists = new InstalledPolicy[start[intervals]];
        int[] fill = Arrays.copyOf(start, intervals);
        for (InstalledPolicy p : ordered) {
            forEachInterval(bh, bl, key(p, bySource), v6, (from, to) -> {
                for (int i = from; i <= to; i++) {
                    lists[fill[i]++] = p;
                }
            });
        }

        // Store identical lists once; index crowded lists again by source.
        Map<ListKey, Integer> ids = new HashMap<>();
        int[] intervalList = new int[intervals];
        List<Integer> offsets = new ArrayList<>();
        List<Integer> unconditional = new ArrayList<>();
        List<InstalledPolicy> flat = new ArrayList<>();
        List<PolicyIndex> subs = new ArrayList<>();
        boolean anySub = false;
        for (int i = 0; i < intervals; i++) {
            if (count[i] == 0) {
                intervalList[i] = -1;
                continue;
            }
            ListKey k = new ListKey(lists, start[i], start[i] + count[i]);
            Integer id = ids.get(k);
            if (id == null) {
                id = offsets.size();
                ids.put(k, id);
                offsets.add(flat.size());
                for (int j = k.from; j < k.to; j++) {
                    flat.add(lists[j]);
                }
                flat.add(null);
                InstalledPolicy first = lists[k.from];
                unconditional.add(matchesAll(first, v6, bySource) ? rank.get(first) : -1);
                PolicyIndex sub = null;
                if (!bySource && count[i] > SOURCE_INDEX_THRESHOLD) {
                    sub = build(Arrays.asList(Arrays.copyOfRange(lists, k.from, k.to)), v6, true, byRank, rank, dead);
                    anySub = true;
                }
                subs.add(sub);
            }
            intervalList[i] = id;
        }
        int[] leaf = null;
        int[][] upper = null;
        if (!v6) {
            leaf = new int[2 * intervals];
            for (int i = 0; i < intervals; i++) {
                leaf[2 * i] = (int) bl[i] ^ Integer.MIN_VALUE;
                leaf[2 * i + 1] = intervalList[i];
            }
            upper = upperLevels(leaf, intervals);
        }
        return new PolicyIndex(v6, leaf, upper, v6 ? bh : null, v6 ? bl : null, v6 ? intervalList : null,
                offsets.stream().mapToInt(Integer::intValue).toArray(),
                unconditional.stream().mapToInt(Integer::intValue).toArray(),
                flat.toArray(new InstalledPolicy[0]), anySub ? subs.toArray(new PolicyIndex[0]) : null, byRank, dead);
    }

    /** Every 16th boundary of the level below, until a level fits in 16 entries; coarsest first. */
    private static int[][] upperLevels(int[] leaf, int intervals) {
        List<int[]> levels = new ArrayList<>();
        int[] below = new int[intervals];
        for (int i = 0; i < intervals; i++) {
            below[i] = leaf[2 * i];
        }
        while (below.length > 16) {
            int[] up = new int[(below.length + 15) >>> 4];
            for (int i = 0; i < up.length; i++) {
                up[i] = below[i << 4];
            }
            levels.add(0, up);
            below = up;
        }
        return levels.toArray(new int[0][]);
    }

    /** True when the policy matches every packet whose key address lies in its pool. */
    private static boolean matchesAll(InstalledPolicy p, boolean v6, boolean bySource) {
        TrafficSelector ts = p.selector();
        if (ts.ipProtocol() != TrafficSelector.ANY_PROTOCOL || !ts.sourcePorts().equals(PortRange.ANY)
                || !ts.destinationPorts().equals(PortRange.ANY)) {
            return false;
        }
        return bySource || ts.source().covers(v6 ? AddressPool.ANY_V6 : AddressPool.ANY_V4);
    }

    private static long[][] boundaries(List<InstalledPolicy> ordered, boolean v6, boolean bySource) {
        // Every range's first address and the address after its last; 0 always, so every key has a floor.
        long[] hiList = new long[16];
        long[] loList = new long[16];
        int n = 1;
        for (InstalledPolicy p : ordered) {
            AddressPool pool = key(p, bySource);
            int rc = v6 ? pool.v6RangeCount() : pool.v4RangeCount();
            if (n + 2 * rc > loList.length) {
                int cap = Math.max(loList.length * 2, n + 2 * rc);
                hiList = Arrays.copyOf(hiList, cap);
                loList = Arrays.copyOf(loList, cap);
            }
            for (int r = 0; r < rc; r++) {
                if (v6) {
                    hiList[n] = pool.v6FirstHi(r);
                    loList[n++] = pool.v6FirstLo(r);
                    long lastHi = pool.v6LastHi(r);
                    long lastLo = pool.v6LastLo(r);
                    if (lastHi != -1L || lastLo != -1L) {
                        long nextLo = lastLo + 1;
                        hiList[n] = nextLo == 0 ? lastHi + 1 : lastHi;
                        loList[n++] = nextLo;
                    }
                } else {
                    loList[n++] = pool.v4First(r);
                    long last = pool.v4Last(r);
                    if (last != 0xffffffffL) {
                        loList[n++] = last + 1;
                    }
                }
            }
        }
        if (!v6) {
            long[] s = Arrays.copyOf(loList, n);
            Arrays.sort(s);
            int u = 0;
            for (int i = 0; i < n; i++) {
                if (u == 0 || s[i] != s[u - 1]) {
                    s[u++] = s[i];
                }
            }
            return new long[][] {null, Arrays.copyOf(s, u)};
        }
        long[][] pairs = new long[n][];
        for (int i = 0; i < n; i++) {
            pairs[i] = new long[] {hiList[i], loList[i]};
        }
        Arrays.sort(pairs, (a, b) -> {
            int c = Long.compareUnsigned(a[0], b[0]);
            return c != 0 ? c : Long.compareUnsigned(a[1], b[1]);
        });
        int u = 0;
        for (int i = 0; i < n; i++) {
            if (u == 0 || pairs[i][0] != pairs[u - 1][0] || pairs[i][1] != pairs[u - 1][1]) {
                pairs[u++] = pairs[i];
            }
        }
        long[] bh = new long[u];
        long[] bl = new long[u];
        for (int i = 0; i < u; i++) {
            bh[i] = pairs[i][0];
            bl[i] = pairs[i][1];
        }
        return new long[][] {bh, bl};
    }

    private static AddressPool key(InstalledPolicy p, boolean bySource) {
        return bySource ? p.selector().source() : p.selector().destination();
    }

    private interface IntervalSpan {
        void accept(int from, int to);
    }

    /** Calls {@code action} with the first and last interval of each range of the pool. */
    private static void forEachInterval(long[] bh, long[] bl, AddressPool pool, boolean v6, IntervalSpan action) {
        int rc = v6 ? pool.v6RangeCount() : pool.v4RangeCount();
        for (int r = 0; r < rc; r++) {
            if (v6) {
                action.accept(PolicyIndex.floorV6(bh, bl, pool.v6FirstHi(r), pool.v6FirstLo(r)),
                        PolicyIndex.floorV6(bh, bl, pool.v6LastHi(r), pool.v6LastLo(r)));
            } else {
                action.accept(floorSorted(bl, pool.v4First(r)), floorSorted(bl, pool.v4Last(r)));
            }
        }
    }

    private static int floorSorted(long[] b, long key) {
        int lo = 0;
        int hi = b.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (b[mid] <= key) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi;
    }

    /** A slice of the list array compared by the identity of its policies. */
    private static final class ListKey {
        final InstalledPolicy[] a;
        final int from;
        final int to;
        final int hash;

        ListKey(InstalledPolicy[] a, int from, int to) {
            this.a = a;
            this.from = from;
            this.to = to;
            int h = 1;
            for (int i = from; i < to; i++) {
                h = 31 * h + System.identityHashCode(a[i]);
            }
            this.hash = h;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof ListKey)) {
                return false;
            }
            ListKey k = (ListKey) o;
            if (k.to - k.from != to - from) {
                return false;
            }
            for (int i = 0; i < to - from; i++) {
                if (a[from + i] != k.a[k.from + i]) {
                    return false;
                }
            }
            return true;
        }
    }
}

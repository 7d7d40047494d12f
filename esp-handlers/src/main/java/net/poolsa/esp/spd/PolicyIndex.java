package net.poolsa.esp.spd;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * An immutable, decorrelated classification index over one address family.
 *
 * <p>The boundaries of every policy's destination ranges cut the address space into elementary intervals;
 * every address of one interval is covered by exactly the same policies, so each interval keeps the list of
 * those policies in SPD order. A lookup finds the destination's interval, then scans that short list for the
 * first policy whose source, protocol and ports match: the same answer as the ordered linear scan of
 * RFC 4301 section 4.4.1, without visiting the policies that cannot match. When an interval holds more than
 * {@link #SOURCE_INDEX_THRESHOLD} policies (many sources to one destination), its list gets a second index
 * of the same kind over the source address.
 *
 * <p>Laid out for large SPDs (100k policies of 16 ranges make 3.2M intervals): IPv4 boundaries are searched
 * 16 at a time through coarser copies of every 16th boundary (a static 16-ary search tree, a cache line
 * or two per level), and the leaf level stores each interval's list next to its boundary. When the first
 * policy of a list matches any source, protocol and port, the lookup returns it from a rank-indexed array
 * without reading the policy; a removed policy is flagged in a per-rank byte so that shortcut stays exact.
 * Identical lists are stored once. Lookups read arrays only: no lock, no allocation.
 */
final class PolicyIndex {
    static final int SOURCE_INDEX_THRESHOLD = 8;
    private static final VarHandle BYTES = MethodHandles.arrayElementVarHandle(byte[].class);

    private final boolean v6;
    // IPv4: leaf = (flipped boundary, list id) pairs; upper = every 16th boundary, recursively, coarsest first.
    private final int[] leaf;
    private final int[][] upper;
    // IPv6: boundaries as long pairs, list id per interval.
    private final long[] boundHi;
    private final long[] boundLo;
    private final int[] intervalList;
    // Lists: list id -> first index in flat; lists are null-terminated; unconditional first rank or -1.
    private final int[] listOffset;
    private final int[] listUnconditional;
    private final InstalledPolicy[] flat;
    private final PolicyIndex[] sourceIndex; // per list id; null when no list is long enough
    private final InstalledPolicy[] byRank;
    private final byte[] dead;

    private PolicyIndex(boolean v6, int[] leaf, int[][] upper, long[] boundHi, long[] boundLo, int[] intervalList,
                        int[] listOffset, int[] listUnconditional, InstalledPolicy[] flat, PolicyIndex[] sourceIndex,
                        InstalledPolicy[] byRank, byte[] dead) {
        this.v6 = v6;
        this.leaf = leaf;
        this.upper = upper;
        this.boundHi = boundHi;
        this.boundLo = boundLo;
        this.intervalList = intervalList;
        this.listOffset = listOffset;
        this.listUnconditional = listUnconditional;
        this.flat = flat;
        this.sourceIndex = sourceIndex;
        this.byRank = byRank;
        this.dead = dead;
    }

    InstalledPolicy lookupV4(int src, int dst, int proto, int srcPort, int dstPort) {
        int list = leaf[(floorV4(dst ^ Integer.MIN_VALUE) << 1) + 1];
        if (list < 0) {
            return null;
        }
        int r = listUnconditional[list];
        if (r >= 0 && (byte) BYTES.getAcquire(dead, r) == 0) {
            return byRank[r];
        }
        if (sourceIndex != null && sourceIndex[list] != null) {
            return sourceIndex[list].lookupSourceV4(src, proto, srcPort, dstPort);
        }
        InstalledPolicy[] f = flat;
        for (int k = listOffset[list]; ; k++) {
            InstalledPolicy p = f[k];
            if (p == null) {
                return null;
            }
            if (!p.removed && p.selector().source().containsV4(src) && p.selector().matchesTransport(proto, srcPort, dstPort)) {
                return p;
            }
        }
    }

    private InstalledPolicy lookupSourceV4(int src, int proto, int srcPort, int dstPort) {
        int list = leaf[(floorV4(src ^ Integer.MIN_VALUE) << 1) + 1];
        return list < 0 ? null : scanTransport(list, proto, srcPort, dstPort);
    }

    InstalledPolicy lookupV6(long srcHi, long srcLo, long dstHi, long dstLo, int proto, int srcPort, int dstPort) {
        int list = intervalList[floorV6(dstHi, dstLo)];
        if (list < 0) {
            return null;
        }
        int r = listUnconditional[list];
        if (r >= 0 && (byte) BYTES.getAcquire(dead, r) == 0) {
            return byRank[r];
        }
        if (sourceIndex != null && sourceIndex[list] != null) {
            PolicyIndex s = sourceIndex[list];
            int sl = s.intervalList[s.floorV6(srcHi, srcLo)];
            return sl < 0 ? null : s.scanTransport(sl, proto, srcPort, dstPort);
        }
        InstalledPolicy[] f = flat;
        for (int k = listOffset[list]; ; k++) {
            InstalledPolicy p = f[k];
            if (p == null) {
                return null;
            }
            if (!p.removed && p.selector().source().containsV6(srcHi, srcLo)
                    && p.selector().matchesTransport(proto, srcPort, dstPort)) {
                return p;
            }
        }
    }

    /** For a source sub-index, where the list already matches both addresses. */
    private InstalledPolicy scanTransport(int list, int proto, int srcPort, int dstPort) {
        int r = listUnconditional[list];
        if (r >= 0 && (byte) BYTES.getAcquire(dead, r) == 0) {
            return byRank[r];
        }
        InstalledPolicy[] f = flat;
        for (int k = listOffset[list]; ; k++) {
            InstalledPolicy p = f[k];
            if (p == null) {
                return null;
            }
            if (!p.removed && p.selector().matchesTransport(proto, srcPort, dstPort)) {
                return p;
            }
        }
    }

    /** Index of the interval holding {@code key} (sign-flipped address); boundary 0 is the minimum, so >= 0. */
    private int floorV4(int key) {
        int j = 0;
        for (int[] a : upper) {
            int k = j << 4;
            int to = Math.min(k + 16, a.length);
            while (k + 1 < to && a[k + 1] <= key) {
                k++;
            }
            j = k;
        }
        int[] lf = leaf;
        int k = j << 4;
        int to = Math.min(k + 16, lf.length >>> 1);
        while (k + 1 < to && lf[(k + 1) << 1] <= key) {
            k++;
        }
        return k;
    }

    private int floorV6(long keyHi, long keyLo) {
        long[] bh = boundHi;
        long[] bl = boundLo;
        int lo = 0;
        int hi = bl.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(bh[mid], keyHi);
            if (c < 0 || (c == 0 && Long.compareUnsigned(bl[mid], keyLo) <= 0)) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi;
    }

    /** Marks the policy of this rank removed, for the unconditional shortcut (writer only). */
    void markDead(int rank) {
        BYTES.setRelease(dead, rank, (byte) 1);
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
        PolicyIndex shape = new PolicyIndex(v6, null, null, bh, bl, null, null, null, null, null, null, null);

        // Count, then fill, the policies of each interval, in SPD order.
        int[] count = new int[intervals + 1];
        for (InstalledPolicy p : ordered) {
            forEachInterval(shape, key(p, bySource), v6, (from, to) -> {
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
            forEachInterval(shape, key(p, bySource), v6, (from, to) -> {
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
    private static void forEachInterval(PolicyIndex shape, AddressPool pool, boolean v6, IntervalSpan action) {
        int rc = v6 ? pool.v6RangeCount() : pool.v4RangeCount();
        for (int r = 0; r < rc; r++) {
            if (v6) {
                action.accept(shape.floorV6(pool.v6FirstHi(r), pool.v6FirstLo(r)),
                        shape.floorV6(pool.v6LastHi(r), pool.v6LastLo(r)));
            } else {
                action.accept(floorSorted(shape.boundLo, pool.v4First(r)), floorSorted(shape.boundLo, pool.v4Last(r)));
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

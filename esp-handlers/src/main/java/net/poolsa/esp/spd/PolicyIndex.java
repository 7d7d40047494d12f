package net.poolsa.esp.spd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.poolsa.esp.sa.AddressPool;

/**
 * An immutable, decorrelated classification index over one address family.
 *
 * <p>The boundaries of every policy's destination ranges cut the address space into elementary intervals;
 * every address of one interval is covered by exactly the same policies, so each interval keeps the list of
 * those policies in SPD order. A lookup is a binary search for the destination, then a scan of that short
 * list for the first policy whose source, protocol and ports match: the same answer as the ordered linear
 * scan of RFC 4301 section 4.4.1, without visiting the policies that cannot match. When an interval holds
 * more than {@link #SOURCE_INDEX_THRESHOLD} policies (many sources to one destination), its list gets a
 * second index of the same kind over the source address.
 *
 * <p>Identical lists are stored once. Lookups read final arrays only: no lock, no allocation.
 */
final class PolicyIndex {
    static final int SOURCE_INDEX_THRESHOLD = 8;

    private final boolean v6;
    private final boolean bySource;
    private final long[] boundHi; // IPv6 only
    private final long[] boundLo;
    private final int[] intervalList; // list id per interval, -1 when no policy covers it
    private final int[] listOffset; // list id -> first index in flat
    private final InstalledPolicy[] flat; // lists, each terminated by null
    private final PolicyIndex[] sourceIndex; // per list id, null when the list is short; null when none is

    private PolicyIndex(boolean v6, boolean bySource, long[] boundHi, long[] boundLo, int[] intervalList,
                        int[] listOffset, InstalledPolicy[] flat, PolicyIndex[] sourceIndex) {
        this.v6 = v6;
        this.bySource = bySource;
        this.boundHi = boundHi;
        this.boundLo = boundLo;
        this.intervalList = intervalList;
        this.listOffset = listOffset;
        this.flat = flat;
        this.sourceIndex = sourceIndex;
    }

    InstalledPolicy lookupV4(int src, int dst, int proto, int srcPort, int dstPort) {
        int list = intervalList[floorV4(dst & 0xffffffffL)];
        if (list < 0) {
            return null;
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
        int list = intervalList[floorV4(src & 0xffffffffL)];
        if (list < 0) {
            return null;
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

    InstalledPolicy lookupV6(long srcHi, long srcLo, long dstHi, long dstLo, int proto, int srcPort, int dstPort) {
        int list = intervalList[floorV6(dstHi, dstLo)];
        if (list < 0) {
            return null;
        }
        if (sourceIndex != null && sourceIndex[list] != null) {
            return sourceIndex[list].lookupSourceV6(srcHi, srcLo, proto, srcPort, dstPort);
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

    private InstalledPolicy lookupSourceV6(long srcHi, long srcLo, int proto, int srcPort, int dstPort) {
        int list = intervalList[floorV6(srcHi, srcLo)];
        if (list < 0) {
            return null;
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

    /** Index of the last boundary at or below {@code key}; boundary 0 is always 0, so never negative. */
    private int floorV4(long key) {
        long[] b = boundLo;
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

    int intervalCount() {
        return intervalList.length;
    }

    /**
     * Builds the index of {@code ordered} (policies in SPD order) for one family, keyed on the destination
     * ({@code bySource} false) or on the source.
     */
    static PolicyIndex build(List<InstalledPolicy> ordered, boolean v6, boolean bySource) {
        // 1. Boundaries: every range's first address and the address after its last.
        long[] hiList = new long[16];
        long[] loList = new long[16];
        int n = 0;
        hiList[n] = 0;
        loList[n++] = 0;
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
        long[] bh;
        long[] bl;
        if (v6) {
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
            bh = new long[u];
            bl = new long[u];
            for (int i = 0; i < u; i++) {
                bh[i] = pairs[i][0];
                bl[i] = pairs[i][1];
            }
        } else {
            long[] s = Arrays.copyOf(loList, n);
            Arrays.sort(s);
            int u = 0;
            for (int i = 0; i < n; i++) {
                if (u == 0 || s[i] != s[u - 1]) {
                    s[u++] = s[i];
                }
            }
            bh = null;
            bl = Arrays.copyOf(s, u);
        }
        int intervals = bl.length;
        PolicyIndex shape = new PolicyIndex(v6, bySource, bh, bl, null, null, null, null);

        // 2. Count, then fill, the policies of each interval, in SPD order.
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

        // 3. Store identical lists once; index crowded lists again by source.
        Map<ListKey, Integer> ids = new HashMap<>();
        int[] intervalList = new int[intervals];
        List<Integer> offsets = new ArrayList<>();
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
                PolicyIndex sub = null;
                if (!bySource && count[i] > SOURCE_INDEX_THRESHOLD) {
                    sub = build(Arrays.asList(Arrays.copyOfRange(lists, k.from, k.to)), v6, true);
                    anySub = true;
                }
                subs.add(sub);
            }
            intervalList[i] = id;
        }
        int[] listOffset = offsets.stream().mapToInt(Integer::intValue).toArray();
        return new PolicyIndex(v6, bySource, bh, bl, intervalList, listOffset, flat.toArray(new InstalledPolicy[0]),
                anySub ? subs.toArray(new PolicyIndex[0]) : null);
    }

    private static AddressPool key(InstalledPolicy p, boolean bySource) {
        return bySource ? p.selector().source() : p.selector().destination();
    }

    private interface IntervalSpan {
        void accept(int from, int to);
    }

    private static void forEachInterval(PolicyIndex shape, AddressPool pool, boolean v6, IntervalSpan action) {
        int rc = v6 ? pool.v6RangeCount() : pool.v4RangeCount();
        for (int r = 0; r < rc; r++) {
            int from;
            int to;
            if (v6) {
                from = shape.floorV6(pool.v6FirstHi(r), pool.v6FirstLo(r));
                to = shape.floorV6(pool.v6LastHi(r), pool.v6LastLo(r));
            } else {
                from = shape.floorV4(pool.v4First(r));
                to = shape.floorV4(pool.v4Last(r));
            }
            action.accept(from, to);
        }
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

package net.poolsa.esp.spd;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An immutable, decorrelated classification index over one address family.
 *
 * <p>The boundaries of every policy's destination ranges cut the address space into elementary intervals;
 * every address of one interval is covered by exactly the same policies, so each interval keeps the list of
 * those policies in SPD order. A lookup finds the destination's interval, then scans that short list for the
 * first policy whose source, protocol and ports match: the same answer as the ordered linear scan of
 * RFC 4301 section 4.4.1, without visiting the policies that cannot match. When an interval holds more than
 * {@link PolicyIndexBuilder#SOURCE_INDEX_THRESHOLD} policies (many sources to one destination), its list gets a second index
 * of the same kind over the source address.
 *
 * <p>Laid out for large SPDs (100k policies of 16 ranges make 3.2M intervals): IPv4 boundaries are searched
 * 16 at a time through coarser copies of every 16th boundary (a static 16-ary search tree, a cache line
 * or two per level), and the leaf level stores each interval's list next to its boundary. When the first
 * policy of a list matches any source, protocol and port, the lookup returns it from a rank-indexed array
 * without reading the policy; a removed policy is flagged in a per-rank byte so that shortcut stays exact.
 * Identical lists are stored once. Lookups read arrays only: no lock, no allocation.
 *
 * <p>This class is the lookup structure only; {@link PolicyIndexBuilder} makes it from the policies.
 */
final class PolicyIndex {
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

    PolicyIndex(boolean v6, int[] leaf, int[][] upper, long[] boundHi, long[] boundLo, int[] intervalList,
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
        return floorV6(boundHi, boundLo, keyHi, keyLo);
    }

    /** Index of the last of the sorted boundaries {@code bh}/{@code bl} (unsigned pairs) at or below the key. */
    static int floorV6(long[] bh, long[] bl, long keyHi, long keyLo) {
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
}

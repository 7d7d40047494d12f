package net.poolsa.esp.path;

import java.util.List;

import net.poolsa.esp.sa.OuterAddress;

/**
 * What the per-packet evidence path looks up, without allocating or locking: paths by their (local, remote) address
 * bits and reqid groups by reqid, each an open-addressing table with linear probing, at most half full. Rebuilt or
 * extended only on the event loop that also reads it (reloads, SA installs).
 */
final class PathIndex {
    private PathPair[] pairs = new PathPair[8];
    private ReqidGroup[] groups = new ReqidGroup[16];
    private int groupCount;

    /** Replaces the path table with {@code all}. */
    void pairs(List<PathPair> all) {
        int cap = 8;
        while (cap < all.size() * 2) {
            cap <<= 1;
        }
        PathPair[] t = new PathPair[cap];
        for (PathPair p : all) {
            OuterAddress l = p.local.address.address();
            OuterAddress r = p.remote;
            long h = l.v4() ? hashV4(l.v4Bits(), r.v4Bits()) : hashV6(l.v6Hi(), l.v6Lo(), r.v6Hi(), r.v6Lo());
            int i = (int) h & (cap - 1);
            while (t[i] != null) {
                i = (i + 1) & (cap - 1);
            }
            t[i] = p;
        }
        pairs = t;
    }

    PathPair findV4(int local, int remote) {
        PathPair[] t = pairs;
        int mask = t.length - 1;
        for (int i = (int) hashV4(local, remote) & mask; ; i = (i + 1) & mask) {
            PathPair p = t[i];
            if (p == null || p.matchesV4(local, remote)) {
                return p;
            }
        }
    }

    PathPair findV6(long lHi, long lLo, long rHi, long rLo) {
        PathPair[] t = pairs;
        int mask = t.length - 1;
        for (int i = (int) hashV6(lHi, lLo, rHi, rLo) & mask; ; i = (i + 1) & mask) {
            PathPair p = t[i];
            if (p == null || p.matchesV6(lHi, lLo, rHi, rLo)) {
                return p;
            }
        }
    }

    PathPair find(OuterAddress local, OuterAddress remote) {
        if (local.v4() != remote.v4()) {
            return null;
        }
        return local.v4() ? findV4(local.v4Bits(), remote.v4Bits()) : findV6(local.v6Hi(), local.v6Lo(), remote.v6Hi(), remote.v6Lo());
    }

    ReqidGroup group(int reqid) {
        ReqidGroup[] t = groups;
        int mask = t.length - 1;
        for (int i = mix32(reqid) & mask; ; i = (i + 1) & mask) {
            ReqidGroup g = t[i];
            if (g == null || g.reqid == reqid) {
                return g;
            }
        }
    }

    /** The group of {@code reqid}, created when missing. */
    ReqidGroup groupFor(int reqid) {
        ReqidGroup g = group(reqid);
        if (g != null) {
            return g;
        }
        if ((groupCount + 1) * 2 > groups.length) {
            ReqidGroup[] old = groups;
            groups = new ReqidGroup[old.length * 2];
            for (ReqidGroup o : old) {
                if (o != null) {
                    insert(groups, o);
                }
            }
        }
        g = new ReqidGroup(reqid);
        insert(groups, g);
        groupCount++;
        return g;
    }

    /** Removes an empty group (backward-shift deletion keeps the probe chains intact). */
    void removeGroup(ReqidGroup g) {
        ReqidGroup[] t = groups;
        int mask = t.length - 1;
        int i = mix32(g.reqid) & mask;
        while (t[i] != g) {
            if (t[i] == null) {
                return;
            }
            i = (i + 1) & mask;
        }
        t[i] = null;
        groupCount--;
        for (int j = (i + 1) & mask; t[j] != null; j = (j + 1) & mask) {
            ReqidGroup moved = t[j];
            t[j] = null;
            insert(t, moved);
        }
    }

    private static void insert(ReqidGroup[] t, ReqidGroup g) {
        int mask = t.length - 1;
        int i = mix32(g.reqid) & mask;
        while (t[i] != null) {
            i = (i + 1) & mask;
        }
        t[i] = g;
    }

    static long hashV4(int local, int remote) {
        return mix64(((long) local << 32) | (remote & 0xFFFF_FFFFL));
    }

    static long hashV6(long lHi, long lLo, long rHi, long rLo) {
        return mix64(lHi * 0x9E3779B97F4A7C15L ^ lLo * 0xC2B2AE3D27D4EB4FL ^ rHi * 0x165667B19E3779F9L ^ rLo);
    }

    /** MurmurHash3's 64-bit finalizer: every input bit reaches the low bits the table uses. */
    private static long mix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        return k ^ (k >>> 33);
    }

    private static int mix32(int k) {
        return (int) mix64(k);
    }
}

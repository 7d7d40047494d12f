package net.poolsa.esp.sad;

import net.poolsa.esp.sa.AddressPool;

/**
 * How an inbound SA's two outer pools are written into the cells of the {@link SpiTable}: the format bits of
 * the state word, the number of 16-byte cells, the cell image, and the ranges of a family kept out of line.
 * Writer side only (install, rehash); the reader in {@code SpiTable} decodes the same formats.
 *
 * <p>A cell is four ints. The first cell of an entry (its head) holds the SPI, the state word and two data
 * words; each further cell (a continuation) holds three data words and, where a head has its state word, a
 * marker whose low two bits say "continuation" (so that a probe that starts there moves on) and whose other
 * 30 bits hold five 6-bit shift fields. A prefix is checked as {@code ((address ^ network) >>> shift) == 0},
 * shift = 32 - length (IPv4) or 64 - length on the top 64 bits (IPv6 up to /64); a /0 is written as two /1s,
 * so a shift stays within 31 or 63.
 *
 * <p>One family is inline, in a fixed format whose check is straight-line code: at a million SAs every
 * lookup misses the cache, and the CPU overlaps the misses of consecutive packets only while their
 * instructions fit its reorder window, so a loop, a call or a branch on the loaded entry costs far more than
 * its own cycles (docs/benchmarks.md §1). A side of fewer prefixes than its group holds repeats its last one.
 * Group A is the local side, B the remote one, except in the mirrored formats 1+4, where A is remote.
 * <pre>
 * narrow   1 cell   [SPI | state(2 shifts) | local | remote]          IPv4 1+1, no IPv6 pair
 * v4 2+2   2 cells  [SPI | state | A0 | A1] [B0 | m | B1 | x]            up to 2 + up to 2
 * v4 4+1   2 cells  [SPI | state | A0 | A1] [A2 | m | A3 | B0]           3-4 + 1 (and 1 + 3-4 mirrored)
 * v4 4+4   3 cells  ... [B1 | n | B2 | B3]                               the rest up to 4 + 4
 * v6 1+1   2 cells  A 2,3  B 6,7  x 4                                 (int offsets of the top and low half
 * v6 2+2   3 cells  A0 2,3  A1 6,7  B0 10,11  B1 4,8                    of each prefix's top 64 bits)
 * v6 4+1   4 cells  A0 2,3  A1 6,7  A2 10,11  A3 14,15  B0 4,8  x 12     (and 1 + 3-4 mirrored)
 * v6 4+4   6 cells  A as 4+1, B0 18,19  B1 22,23  B2 4,8  B3 12,16  x 20
 * spill    1 cell   [SPI | state | IPv4 spill offset | IPv6 spill offset]
 * compact  1 cell   [A1 | state(hash bits, shift) | A0 | B]         v4 2/32+1, 1+2/32: IPv4 two /32s + one prefix
 * compact  2 cells  [A0 top | state(hash bits) | A0 low | A1 top]     v6 2+1, 1+2: IPv6 two prefixes up to /64
 *                   [A1 low | m | B top | B low]                      + one
 * </pre>
 * m and n are the markers at ints 5 and 9, holding the shift fields of A0-A3, B0 (m) and B1-B3 (n) in that
 * order (2+2 formats: A0, A1, B0, B1 in m). The other family, when the SA has it on both sides, is kept in the
 * table's spill area as ranges, its offset in the word marked x (ints 7, 8, 12 for v4 2+2, 4+1, 4+4 and 12
 * for v6 2+2, in one more cell where the format has no spare word). IPv4 goes inline before IPv6.
 *
 * <p>The compact cell is the paper's multihomed SA, two /32s on one side (A: local; remote in the mirrored
 * format "v4 1+2/32") and one prefix on the other (B), in one cell as a narrow SA takes, so that a table of
 * a million of them is as small as a table of narrow ones (docs/benchmarks.md §1, issue 11). It has no SPI
 * word: the home cell index is the top log2(capacity) bits of the SPI's Fibonacci hash, a bijection, so an
 * entry in its home cell is identified by the hash bits below those, kept in the top of its state word. Hence
 * it is written only at the entry's home cell (a displaced entry takes a wide format) in a table of at least
 * 2^{@value #MIN_COMPACT_BITS} cells (18 hash bits or fewer), and only for IPv4-only ESP or AH SAs. Its state
 * word, from bit 0: kind (2 bits), expired, narrow = 0, the format (4 bits: {@link #V4_21} or {@link #V4_12},
 * whose low bit says mirrored), the protocol (0 ESP, 1 AH), 32 - the length of B's prefix (5 bits), and from
 * bit log2(capacity) the hash bits; the bits between are 0.
 *
 * <p>The IPv6 multihomed SA, two prefixes up to /64 on one side and one on the other (IPv6 only), is compact the same
 * way in two cells where its wide format ("v6 2+2") takes three: its words hold the top 64 bits of the three prefixes,
 * two ints each, the marker m their shift fields (A0, A1, B from bit 2), and its state word the kind, expired, the format
 * ({@link #V6_21} or {@link #V6_12}), the protocol bit and from bit log2(capacity) the hash bits, as above.
 */
final class SlotLayout {
    static final int MAX_CELLS = 6;
    static final int MAX_PREFIXES = 4;

    // State word (int 1 of a head cell).
    static final int KIND_MASK = 3;
    static final int EMPTY = 0;
    static final int LIVE = 1;
    static final int TOMBSTONE = 2;
    static final int CONTINUATION = 3;
    static final int EXPIRED = 1 << 2;
    static final int NARROW = 1 << 3;
    static final int FORMAT_AT = 4; // 4 bits
    static final int SPILL_ONLY = 0;
    static final int V4_22 = 1;
    static final int V4_41 = 2;
    static final int V4_14 = 3;
    static final int V4_44 = 4;
    static final int V6_11 = 5;
    static final int V6_22 = 6;
    static final int V6_41 = 7;
    static final int V6_14 = 8;
    static final int V6_44 = 9;
    // The compact one-cell formats (see the class comment); format bits 5-7 = 101 tell them from the others.
    static final int V4_21 = 10;
    static final int V4_12 = 11;
    // The compact two-cell IPv6 formats; format bits 5-7 = 110.
    static final int V6_21 = 12;
    static final int V6_12 = 13;
    static final int PROTOCOL_SHIFT = 8;
    static final int V4_SPILL = 1 << 16;
    static final int V6_SPILL = 1 << 17;
    static final int CELLS_AT = 18;
    // Narrow: 32 - length of the local and of the remote prefix (the bits above are not used by a narrow entry).
    static final int LOCAL_SHIFT_AT = 16;
    static final int REMOTE_SHIFT_AT = 21;
    // Compact: the state bits that say "compact", and where its own fields are.
    static final int COMPACT_TAG_MASK = NARROW | 7 << (FORMAT_AT + 1);
    static final int COMPACT_TAG = V4_21 << FORMAT_AT;
    static final int COMPACT_V6_TAG = V6_21 << FORMAT_AT;
    static final int COMPACT_MIRRORED = 1 << FORMAT_AT;
    static final int COMPACT_PROTOCOL_AT = 8;
    static final int COMPACT_SHIFT_AT = 9;
    /** Compact cells only in tables of 2^this many cells or more: the fields below the hash bits take 14 bits. */
    static final int MIN_COMPACT_BITS = 14;
    static final int ESP = 50;

    /** Int offset from the head of the other family's spill offset, per format (spill: IPv4 2, IPv6 3). */
    static final int[] OTHER_SPILL = {-1, 7, 8, 8, 12, 4, 12, 12, 12, 20, -1, -1, -1, -1};
    private static final int[] CELLS = {1, 2, 2, 2, 3, 2, 3, 4, 4, 6, 1, 1, 2, 2};
    private static final String[] NAMES = {"spill", "v4 2+2", "v4 4+1", "v4 1+4", "v4 4+4", "v6 1+1", "v6 2+2",
        "v6 4+1", "v6 1+4", "v6 4+4", "v4 2/32+1", "v4 1+2/32", "v6 2+1", "v6 1+2"};
    // Where the writer puts the prefixes of groups A and B: IPv4 network words; IPv6 (top half, low half) pairs.
    private static final int[][][] V4_WORDS = {
        null, {{2, 3}, {4, 6}}, {{2, 3, 4, 6}, {7}}, {{2, 3, 4, 6}, {7}}, {{2, 3, 4, 6}, {7, 8, 10, 11}}};
    private static final int[][][] V6_WORDS = {
        null, null, null, null, null,
        {{2, 3}, {6, 7}}, {{2, 3, 6, 7}, {10, 11, 4, 8}}, {{2, 3, 6, 7, 10, 11, 14, 15}, {4, 8}},
        {{2, 3, 6, 7, 10, 11, 14, 15}, {4, 8}}, {{2, 3, 6, 7, 10, 11, 14, 15}, {18, 19, 22, 23, 4, 8, 12, 16}}};

    /** The state bits of the layout; kind, expired and protocol are the table's. */
    final int format;
    final int cells;
    /** {@code 4 * cells} ints; the head's SPI and state are left 0, spill offsets are the table's to fill. */
    final int[] image;
    /** IPv4 ranges out of line: {local count, remote count, local (first, last)..., remote ...}, sign-flipped. */
    final int[] spill4;
    /** IPv6 ranges out of line: {local count, remote count, local (firstHi, firstLo, lastHi, lastLo)..., remote ...}. */
    final long[] spill6;
    /** Int offsets from the head where the table writes the spill offsets, or -1. */
    final int spill4Word;
    final int spill6Word;

    private SlotLayout(int format, int[] image, int[] spill4, int spill4Word, long[] spill6, int spill6Word) {
        this.format = format;
        this.cells = image.length / 4;
        this.image = image;
        this.spill4 = spill4;
        this.spill6 = spill6;
        this.spill4Word = spill4Word;
        this.spill6Word = spill6Word;
    }

    static int cellsOf(int state) {
        int tag = state & COMPACT_TAG_MASK;
        if ((state & NARROW) != 0 || tag == COMPACT_TAG) {
            return 1;
        }
        return tag == COMPACT_V6_TAG ? 2 : ((state >>> CELLS_AT) & 7) + 1;
    }

    /** A compact entry: no SPI word, and its state bits from 9 up are not the other formats' flags. */
    static boolean isCompact(int state) {
        int tag = state & COMPACT_TAG_MASK;
        return tag == COMPACT_TAG || tag == COMPACT_V6_TAG;
    }

    /** The compact IPv6 entry (two cells). */
    static boolean isCompactV6(int state) {
        return (state & COMPACT_TAG_MASK) == COMPACT_V6_TAG;
    }

    /** The IP protocol number of a live entry. */
    static int protocolOf(int state) {
        return isCompact(state) ? ESP + ((state >>> COMPACT_PROTOCOL_AT) & 1) : (state >>> PROTOCOL_SHIFT) & 0xff;
    }

    static int formatOf(int state) {
        return (state >>> FORMAT_AT) & 15;
    }

    /** "narrow", or the inline format ("v4 2+2", "v4 1+4", ...) and the spilled families, and the cells. */
    static String describe(int state) {
        if ((state & NARROW) != 0) {
            return "narrow";
        }
        if (isCompact(state)) {
            return NAMES[formatOf(state)] + (isCompactV6(state) ? " (2 cells)" : " (1 cell)");
        }
        StringBuilder sb = new StringBuilder(formatOf(state) == SPILL_ONLY ? "" : NAMES[formatOf(state)]);
        for (String spilled : new String[] {(state & V4_SPILL) != 0 ? "v4" : null, (state & V6_SPILL) != 0 ? "v6" : null}) {
            if (spilled != null) {
                sb.append(sb.length() > 0 ? ", " : "").append(spilled).append(" spill");
            }
        }
        int cells = cellsOf(state);
        return (sb.length() > 0 ? sb.toString() : "nothing can match") + " (" + cells + (cells == 1 ? " cell)" : " cells)");
    }

    /** The layout that keeps a family inline when its prefixes allow. */
    static SlotLayout of(AddressPool local, AddressPool remote) {
        Family v4 = Family.v4(local, remote);
        Family v6 = Family.v6(local, remote);
        if (v4.inline()) {
            if (v4.local.count == 1 && v4.remote.count == 1 && v6.empty()) {
                return narrow(v4);
            }
            return inline(v4, v6);
        }
        if (v6.inline()) {
            return inline(v6, v4);
        }
        return spillOnly(v4, v6);
    }

    /** The one-cell layout: narrow when the pools allow it, else every family that can match out of line. */
    static SlotLayout outOfLine(AddressPool local, AddressPool remote) {
        Family v4 = Family.v4(local, remote);
        Family v6 = Family.v6(local, remote);
        if (v4.inline() && v4.local.count == 1 && v4.remote.count == 1 && v6.empty()) {
            return narrow(v4);
        }
        return spillOnly(v4, v6);
    }

    /**
     * The compact layout when the pools are IPv4 only, one side two /32s and the other one prefix, or IPv6 only, one
     * side two prefixes up to /64 and the other one; else null. The table adds the kind, the protocol bit and the
     * hash bits, and writes it only at the entry's home cell.
     */
    static SlotLayout compact(AddressPool local, AddressPool remote) {
        Family v4 = Family.v4(local, remote);
        Family v6 = Family.v6(local, remote);
        if (v4.empty() && v6.inline()) {
            return compactV6(v6);
        }
        if (!v4.inline() || !v6.empty()) {
            return null;
        }
        boolean mirrored = v4.remote.isTwoHosts();
        Side pair = mirrored ? v4.remote : v4.local;
        Side one = mirrored ? v4.local : v4.remote;
        if (!pair.isTwoHosts() || one.count != 1) {
            return null;
        }
        int format = (mirrored ? V4_12 : V4_21) << FORMAT_AT | (32 - one.lengths[0]) << COMPACT_SHIFT_AT;
        int[] image = {(int) pair.networks[1], 0, (int) pair.networks[0], (int) one.networks[0]};
        return new SlotLayout(format, image, null, -1, null, -1);
    }

    private static SlotLayout compactV6(Family v6) {
        boolean mirrored = v6.remote.count == 2;
        Side pair = mirrored ? v6.remote : v6.local;
        Side one = mirrored ? v6.local : v6.remote;
        if (pair.count != 2 || one.count != 1) {
            return null;
        }
        int m = CONTINUATION | (64 - pair.lengths[0]) << 2 | (64 - pair.lengths[1]) << 8 | (64 - one.lengths[0]) << 14;
        int[] image = {(int) (pair.networks[0] >>> 32), 0, (int) pair.networks[0], (int) (pair.networks[1] >>> 32),
            (int) pair.networks[1], m, (int) (one.networks[0] >>> 32), (int) one.networks[0]};
        return new SlotLayout((mirrored ? V6_12 : V6_21) << FORMAT_AT, image, null, -1, null, -1);
    }

    private static SlotLayout narrow(Family v4) {
        int format = NARROW | (32 - v4.local.lengths[0]) << LOCAL_SHIFT_AT | (32 - v4.remote.lengths[0]) << REMOTE_SHIFT_AT;
        int[] image = {0, 0, (int) v4.local.networks[0], (int) v4.remote.networks[0]};
        return new SlotLayout(format, image, null, -1, null, -1);
    }

    private static SlotLayout spillOnly(Family v4, Family v6) {
        int format = SPILL_ONLY << FORMAT_AT | (v4.empty() ? 0 : V4_SPILL) | (v6.empty() ? 0 : V6_SPILL);
        return new SlotLayout(format, new int[4], v4.empty() ? null : v4.spill4(), v4.empty() ? -1 : 2,
                v6.empty() ? null : v6.spill6(), v6.empty() ? -1 : 3);
    }

    /** {@code in} inline in its fixed format; {@code other} spilled beside it when it can match. */
    private static SlotLayout inline(Family in, Family other) {
        int kl = in.local.count;
        int kr = in.remote.count;
        int format;
        if (kl <= 2 && kr <= 2) {
            format = in.v6 ? (kl == 1 && kr == 1 ? V6_11 : V6_22) : V4_22;
        } else if (kr == 1) {
            format = in.v6 ? V6_41 : V4_41;
        } else if (kl == 1) {
            format = in.v6 ? V6_14 : V4_14;
        } else {
            format = in.v6 ? V6_44 : V4_44;
        }
        boolean mirrored = format == V4_14 || format == V6_14;
        Side[] groups = mirrored ? new Side[] {in.remote, in.local} : new Side[] {in.local, in.remote};
        boolean spillOther = !other.empty();
        int cells = spillOther ? Math.max(CELLS[format], OTHER_SPILL[format] / 4 + 1) : CELLS[format];
        int[] image = new int[4 * cells];
        for (int c = 1; c < cells; c++) {
            image[4 * c + 1] = CONTINUATION;
        }
        int[][] words = in.v6 ? V6_WORDS[format] : V4_WORDS[format];
        int f = 0;
        for (int g = 0; g < 2; g++) {
            Side s = groups[g];
            int per = in.v6 ? 2 : 1;
            for (int p = 0; p < words[g].length / per; p++, f++) {
                int j = Math.min(p, s.count - 1);
                int shift = in.v6 ? 64 - s.lengths[j] : 32 - s.lengths[j];
                image[f < 5 ? 5 : 9] |= shift << (2 + 6 * (f % 5));
                if (in.v6) {
                    image[words[g][2 * p]] = (int) (s.networks[j] >>> 32);
                    image[words[g][2 * p + 1]] = (int) s.networks[j];
                } else {
                    image[words[g][p]] = (int) s.networks[j];
                }
            }
        }
        int bits = format << FORMAT_AT | (cells - 1) << CELLS_AT;
        if (!spillOther) {
            return new SlotLayout(bits, image, null, -1, null, -1);
        }
        if (in.v6) {
            return new SlotLayout(bits | V4_SPILL, image, other.spill4(), OTHER_SPILL[format], null, -1);
        }
        return new SlotLayout(bits | V6_SPILL, image, null, -1, other.spill6(), OTHER_SPILL[format]);
    }

    /** One side (local or remote) of one family: its prefixes when at most four, else count = -1. */
    private static final class Side {
        final long[] networks = new long[MAX_PREFIXES];
        final int[] lengths = new int[MAX_PREFIXES];
        int count;

        boolean isTwoHosts() {
            return count == 2 && lengths[0] == 32 && lengths[1] == 32;
        }

        /**
         * Adds the prefixes of length 1..bits covering the unsigned range [first, last], largest first (a /0 is
         * two /1s); gives up (count = -1) past {@value #MAX_PREFIXES}.
         */
        void addRange(long first, long last, int bits) {
            long cur = first;
            while (count >= 0) {
                int k = Math.min(Long.numberOfTrailingZeros(cur), bits - 1);
                while (Long.compareUnsigned(cur + ((1L << k) - 1), last) > 0) {
                    k--;
                }
                if (count == MAX_PREFIXES) {
                    count = -1;
                    return;
                }
                networks[count] = cur;
                lengths[count++] = bits - k;
                long end = cur + ((1L << k) - 1);
                if (end == last) {
                    return;
                }
                cur = end + 1;
            }
        }
    }

    /** The local and remote side of one address family, and the pools for the out-of-line form. */
    private static final class Family {
        final Side local = new Side();
        final Side remote = new Side();
        final AddressPool localPool;
        final AddressPool remotePool;
        final boolean v6;
        final boolean isEmpty;

        private Family(AddressPool localPool, AddressPool remotePool, boolean v6, boolean isEmpty) {
            this.localPool = localPool;
            this.remotePool = remotePool;
            this.v6 = v6;
            this.isEmpty = isEmpty;
        }

        static Family v4(AddressPool local, AddressPool remote) {
            Family f = new Family(local, remote, false, local.v4RangeCount() == 0 || remote.v4RangeCount() == 0);
            f.addV4(local, f.local);
            f.addV4(remote, f.remote);
            return f;
        }

        static Family v6(AddressPool local, AddressPool remote) {
            Family f = new Family(local, remote, true, local.v6RangeCount() == 0 || remote.v6RangeCount() == 0);
            f.addV6(local, f.local);
            f.addV6(remote, f.remote);
            return f;
        }

        private void addV4(AddressPool pool, Side side) {
            for (int i = 0; i < pool.v4RangeCount() && side.count >= 0; i++) {
                side.addRange(pool.v4First(i), pool.v4Last(i), 32);
            }
        }

        private void addV6(AddressPool pool, Side side) {
            for (int i = 0; i < pool.v6RangeCount() && side.count >= 0; i++) {
                // Inline only prefixes of length <= 64: the range must cover whole /64s.
                if (pool.v6FirstLo(i) != 0 || pool.v6LastLo(i) != -1L) {
                    side.count = -1;
                } else {
                    side.addRange(pool.v6FirstHi(i), pool.v6LastHi(i), 64);
                }
            }
        }

        /** One side has no address of this family: no packet of it can match. */
        boolean empty() {
            return isEmpty;
        }

        boolean inline() {
            return !isEmpty && local.count > 0 && remote.count > 0;
        }

        int[] spill4() {
            int[] l = localPool.v4RangesFlipped();
            int[] r = remotePool.v4RangesFlipped();
            int[] s = new int[2 + l.length + r.length];
            s[0] = l.length / 2;
            s[1] = r.length / 2;
            System.arraycopy(l, 0, s, 2, l.length);
            System.arraycopy(r, 0, s, 2 + l.length, r.length);
            return s;
        }

        long[] spill6() {
            int nl = localPool.v6RangeCount();
            int nr = remotePool.v6RangeCount();
            long[] s = new long[2 + 4 * (nl + nr)];
            s[0] = nl;
            s[1] = nr;
            int o = 2;
            for (AddressPool p : new AddressPool[] {localPool, remotePool}) {
                for (int i = 0; i < p.v6RangeCount(); i++) {
                    s[o++] = p.v6FirstHi(i);
                    s[o++] = p.v6FirstLo(i);
                    s[o++] = p.v6LastHi(i);
                    s[o++] = p.v6LastLo(i);
                }
            }
            return s;
        }
    }
}

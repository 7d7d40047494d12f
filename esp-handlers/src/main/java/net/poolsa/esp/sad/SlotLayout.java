package net.poolsa.esp.sad;

import net.poolsa.esp.sa.AddressPool;

/**
 * How an inbound SA's two outer pools are written into the cells of the {@link SpiTable}: the format bits of
 * the state word, the number of 16-byte cells, the cell image, and the ranges of any pool kept out of line.
 * Writer side only (install, rehash); the reader decodes the same layout in {@code SpiTable}.
 *
 * <p>A cell is four ints. The first cell of an entry (its head) holds the SPI, the state word and two data
 * words; each further cell (a continuation) holds three data words and, at the place of a head's state word,
 * a marker whose low two bits say "continuation" (so that a probe that starts in it moves on) and whose
 * other 30 bits hold five 6-bit shift fields.
 * <pre>
 *   head:          [ SPI | state       | data 0 | data 1 ]
 *   continuation:  [ data | marker(5 x 6-bit shifts, kind 3) | data | data ]
 * </pre>
 * Formats:
 * <ul>
 * <li><b>narrow</b> (one cell): each pool's IPv4 part is one prefix of length 1-32 and there is no IPv6 pair;
 *     data 0/1 are the local/remote networks, the shifts (32 - length) sit in the state word.</li>
 * <li><b>general</b>: per address family the pair of pools is <i>inline</i> (1-4 prefixes a side, IPv6 only
 *     prefixes of length 1-64, compared on the address's top 64 bits), <i>out of line</i> (its ranges in the
 *     table's spill area, found through an offset in a data word) or <i>empty</i> (one side has no address
 *     of that family, so nothing of it can match). Data words in order: IPv4 spill offset, IPv6 spill offset
 *     (each if out of line), IPv4 networks (local, then remote), IPv6 networks as (top 32, next 32 bits);
 *     shift fields in the same order, IPv4 then IPv6. A /0 is written as two /1s, so a shift never exceeds
 *     31 (IPv4) or 63 (IPv6) and Java's shift, which uses the count's low 5 or 6 bits, stays exact.</li>
 * </ul>
 * An entry is at most {@value #MAX_CELLS} cells: IPv4 four and four prefixes take three, IPv6 one and one
 * two, IPv6 four and four six (two cache lines, three when it starts in the last cell of a line). If both
 * families inline do not fit, IPv6 goes out of line first.
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
    static final int V4_OUT = 1 << 4;
    static final int V6_OUT_SHIFT = 5;
    static final int V6_OUT = 1 << V6_OUT_SHIFT;
    static final int PROTOCOL_SHIFT = 8;
    // Narrow: 32 - prefix length of the local and remote network.
    static final int LOCAL_SHIFT_AT = 16;
    static final int REMOTE_SHIFT_AT = 21;
    // General: prefix counts per family and side (0-4), and the number of cells minus one.
    static final int KL4_AT = 16;
    static final int KR4_AT = 19;
    static final int KL6_AT = 22;
    static final int KR6_AT = 25;
    static final int CELLS_AT = 28;

    /** Int offset, from the head, of data word {@code p}: two in the head, then three per continuation. */
    static final int[] DATA = new int[2 + 3 * (MAX_CELLS - 1)];
    /** Int offset, from the head, of the marker holding shift field {@code f}, five per continuation. */
    static final int[] MARK = new int[5 * (MAX_CELLS - 1)];
    /** Bit position of shift field {@code f} in its marker. */
    static final int[] MARK_BIT = new int[MARK.length];

    static {
        DATA[0] = 2;
        DATA[1] = 3;
        for (int c = 1, p = 2; c < MAX_CELLS; c++) {
            DATA[p++] = 4 * c;
            DATA[p++] = 4 * c + 2;
            DATA[p++] = 4 * c + 3;
        }
        for (int f = 0; f < MARK.length; f++) {
            MARK[f] = 4 * (1 + f / 5) + 1;
            MARK_BIT[f] = 2 + 6 * (f % 5);
        }
    }

    /** The state bits of the layout; kind, expired and protocol are the table's. */
    final int format;
    final int cells;
    /** {@code 4 * cells} ints; the head's SPI and state are left 0, spill offsets are the table's to fill. */
    final int[] image;
    /** IPv4 ranges out of line: {local count, remote count, local (first, last)..., remote ...}, sign-flipped. */
    final int[] spill4;
    /** IPv6 ranges out of line: {local count, remote count, local (firstHi, firstLo, lastHi, lastLo)..., remote ...}. */
    final long[] spill6;

    private SlotLayout(int format, int cells, int[] image, int[] spill4, long[] spill6) {
        this.format = format;
        this.cells = cells;
        this.image = image;
        this.spill4 = spill4;
        this.spill6 = spill6;
    }

    static int cellsOf(int state) {
        return (state & NARROW) != 0 ? 1 : ((state >>> CELLS_AT) & 7) + 1;
    }

    /** Data word of the IPv6 spill offset (when {@link #V6_OUT}): after the IPv4 one, if any. */
    static int v6SpillWord(int state) {
        return DATA[(state & V4_OUT) != 0 ? 1 : 0];
    }

    /** The layout that keeps as much inline as {@value #MAX_CELLS} cells hold. */
    static SlotLayout of(AddressPool local, AddressPool remote) {
        Family v4 = Family.v4(local, remote);
        Family v6 = Family.v6(local, remote);
        if (v4.inline() && v4.local.count == 1 && v4.remote.count == 1 && v6.empty()) {
            return narrow(v4);
        }
        if (cells(v4.inline(), v4, v6.inline(), v6) <= MAX_CELLS) {
            return general(v4, v4.inline(), v6, v6.inline());
        }
        if (cells(v4.inline(), v4, false, v6) <= MAX_CELLS) {
            return general(v4, v4.inline(), v6, false);
        }
        return general(v4, false, v6, v6.inline());
    }

    /** The one-cell layout: narrow when the pools allow it, else every non-empty family out of line. */
    static SlotLayout outOfLine(AddressPool local, AddressPool remote) {
        Family v4 = Family.v4(local, remote);
        Family v6 = Family.v6(local, remote);
        if (v4.inline() && v4.local.count == 1 && v4.remote.count == 1 && v6.empty()) {
            return narrow(v4);
        }
        return general(v4, false, v6, false);
    }

    private static SlotLayout narrow(Family v4) {
        int format = NARROW | (32 - v4.local.lengths[0]) << LOCAL_SHIFT_AT | (32 - v4.remote.lengths[0]) << REMOTE_SHIFT_AT;
        int[] image = new int[4];
        image[2] = (int) v4.local.networks[0];
        image[3] = (int) v4.remote.networks[0];
        return new SlotLayout(format, 1, image, null, null);
    }

    private static int cells(boolean in4, Family v4, boolean in6, Family v6) {
        int words = 0;
        int fields = 0;
        if (!v4.empty()) {
            words += in4 ? v4.prefixes() : 1;
            fields += in4 ? v4.prefixes() : 0;
        }
        if (!v6.empty()) {
            words += in6 ? 2 * v6.prefixes() : 1;
            fields += in6 ? v6.prefixes() : 0;
        }
        if (fields == 0) {
            return 1; // at most the two spill offsets, which fit the head
        }
        return 1 + Math.max((Math.max(0, words - 2) + 2) / 3, (fields + 4) / 5);
    }

    private static SlotLayout general(Family v4, boolean in4, Family v6, boolean in6) {
        int cells = cells(in4, v4, in6, v6);
        int[] image = new int[4 * cells];
        for (int c = 1; c < cells; c++) {
            image[4 * c + 1] = CONTINUATION;
        }
        int format = (cells - 1) << CELLS_AT;
        int[] spill4 = null;
        long[] spill6 = null;
        int p = 0;
        if (!v4.empty() && !in4) {
            format |= V4_OUT;
            spill4 = v4.spill4();
            p++;
        }
        if (!v6.empty() && !in6) {
            format |= V6_OUT;
            spill6 = v6.spill6();
            p++;
        }
        int f = 0;
        if (!v4.empty() && in4) {
            format |= v4.local.count << KL4_AT | v4.remote.count << KR4_AT;
            for (Side s : new Side[] {v4.local, v4.remote}) {
                for (int j = 0; j < s.count; j++) {
                    image[DATA[p++]] = (int) s.networks[j];
                    setField(image, f++, 32 - s.lengths[j]);
                }
            }
        }
        if (!v6.empty() && in6) {
            format |= v6.local.count << KL6_AT | v6.remote.count << KR6_AT;
            for (Side s : new Side[] {v6.local, v6.remote}) {
                for (int j = 0; j < s.count; j++) {
                    image[DATA[p++]] = (int) (s.networks[j] >>> 32);
                    image[DATA[p++]] = (int) s.networks[j];
                    setField(image, f++, 64 - s.lengths[j]);
                }
            }
        }
        return new SlotLayout(format, cells, image, spill4, spill6);
    }

    private static void setField(int[] image, int f, int shift) {
        image[MARK[f]] |= shift << MARK_BIT[f];
    }

    /** One side (local or remote) of one family: its prefixes when at most four, else count = -1. */
    private static final class Side {
        final long[] networks = new long[MAX_PREFIXES];
        final int[] lengths = new int[MAX_PREFIXES];
        int count;

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
        final boolean isEmpty;

        private Family(AddressPool localPool, AddressPool remotePool, boolean isEmpty) {
            this.localPool = localPool;
            this.remotePool = remotePool;
            this.isEmpty = isEmpty;
        }

        static Family v4(AddressPool local, AddressPool remote) {
            Family f = new Family(local, remote, local.v4RangeCount() == 0 || remote.v4RangeCount() == 0);
            f.addV4(local, f.local);
            f.addV4(remote, f.remote);
            return f;
        }

        static Family v6(AddressPool local, AddressPool remote) {
            Family f = new Family(local, remote, local.v6RangeCount() == 0 || remote.v6RangeCount() == 0);
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

        boolean empty() {
            return isEmpty;
        }

        boolean inline() {
            return !isEmpty && local.count > 0 && remote.count > 0;
        }

        int prefixes() {
            return local.count + remote.count;
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

package net.poolsa.esp.sad;

import static net.poolsa.esp.sad.SlotLayout.COMPACT_MIRRORED;
import static net.poolsa.esp.sad.SlotLayout.COMPACT_PROTOCOL_AT;
import static net.poolsa.esp.sad.SlotLayout.COMPACT_SHIFT_AT;
import static net.poolsa.esp.sad.SlotLayout.COMPACT_TAG;
import static net.poolsa.esp.sad.SlotLayout.COMPACT_TAG_MASK;
import static net.poolsa.esp.sad.SlotLayout.COMPACT_V6_TAG;
import static net.poolsa.esp.sad.SlotLayout.EMPTY;
import static net.poolsa.esp.sad.SlotLayout.ESP;
import static net.poolsa.esp.sad.SlotLayout.EXPIRED;
import static net.poolsa.esp.sad.SlotLayout.KIND_MASK;
import static net.poolsa.esp.sad.SlotLayout.LIVE;
import static net.poolsa.esp.sad.SlotLayout.LOCAL_SHIFT_AT;
import static net.poolsa.esp.sad.SlotLayout.MIN_COMPACT_BITS;
import static net.poolsa.esp.sad.SlotLayout.NARROW;
import static net.poolsa.esp.sad.SlotLayout.OTHER_SPILL;
import static net.poolsa.esp.sad.SlotLayout.PROTOCOL_SHIFT;
import static net.poolsa.esp.sad.SlotLayout.REMOTE_SHIFT_AT;
import static net.poolsa.esp.sad.SlotLayout.SPILL_ONLY;
import static net.poolsa.esp.sad.SlotLayout.TOMBSTONE;
import static net.poolsa.esp.sad.SlotLayout.V4_14;
import static net.poolsa.esp.sad.SlotLayout.V4_22;
import static net.poolsa.esp.sad.SlotLayout.V4_41;
import static net.poolsa.esp.sad.SlotLayout.V4_44;
import static net.poolsa.esp.sad.SlotLayout.V4_SPILL;
import static net.poolsa.esp.sad.SlotLayout.V6_11;
import static net.poolsa.esp.sad.SlotLayout.V6_14;
import static net.poolsa.esp.sad.SlotLayout.V6_22;
import static net.poolsa.esp.sad.SlotLayout.V6_41;
import static net.poolsa.esp.sad.SlotLayout.V6_44;
import static net.poolsa.esp.sad.SlotLayout.V6_SPILL;
import static net.poolsa.esp.sad.SlotLayout.isCompact;
import static net.poolsa.esp.sad.SlotLayout.isCompactV6;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.function.Consumer;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Inbound SAs by SPI, laid out for the per-packet lookup: an open-addressing table of 16-byte cells in one
 * {@code int[]}, four to a cache line. An SA takes one cell when each of its pools is one IPv4 prefix (the
 * paper's [network, mask] pair): SPI, state word (live/tombstone, protocol, expired, prefix lengths) and the
 * two networks. An SA whose pools hold up to four prefixes a side, IPv4 or IPv6 up to /64, takes two to six
 * adjacent cells with the prefixes inline ({@link SlotLayout}), except the paper's multihomed SA (two /32s on
 * one side, one prefix on the other), which takes one compact cell at its home, and its IPv6 counterpart (two prefixes
 * up to /64 and one), which takes two compact cells there instead of three; larger pools, and the second family of a
 * dual-stack SA, keep their ranges in a spill area of the table, reached through an offset in the cells. A
 * lookup touches the SA's cells (one cache line or two) and the parallel reference array, never the SA
 * object or its pools.
 *
 * <p>Why 16 bytes: at a million SAs the table no longer fits the last-level cache, so a lookup costs what
 * its cache and TLB misses cost; the narrow cell and a load factor of at most 0.5 in cells (0.25-0.5 while
 * the table grows; it shrinks below 1/8) keep the cells, and most of the reference array, in reach
 * (docs/benchmarks.md §1). Wider entries sit at their home cell too: {@link #homeCellsFree} lets the SAD
 * choose SPIs whose home has room, and doubling the table keeps such an entry at home.
 *
 * <p>Concurrency: one writer at a time (the SAD's lock), readers without locks. A cell goes EMPTY -> LIVE
 * (or continuation) -> TOMBSTONE and is never reused before a rehash builds a fresh table, so a reader that
 * sees LIVE (an acquire read of the state word, written last with release) sees the cells and spill ranges
 * that belong to it: no torn entry. A rehash publishes the new table through a volatile field; readers on the
 * old one stay correct. A compact cell has no SPI word: it is identified by its index and the SPI's hash
 * bits in its state word, so it is written only at its SPI's home cell, found EMPTY, and matched only there (a
 * probe that started at another home passes it); its words are published with its state word like any
 * entry's, and only its EXPIRED bit changes in place. An SPI that shares the hash bits but has another home
 * reaches it only past its first probe, so it never matches it.
 */
final class SpiTable {
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int STRIDE_SHIFT = 2; // 4 ints per cell
    private static final int W_SPI = 0;
    private static final int W_STATE = 1;
    private static final int W_LOCAL_NET = 2;
    private static final int W_REMOTE_NET = 3;

    // A state word whose masked bits equal LIVE | protocol is a live, unexpired entry of that protocol.
    private static final int USABLE_MASK = KIND_MASK | EXPIRED | 0xff << PROTOCOL_SHIFT;

    private static final int MIN_CAPACITY = 16;
    private static final int FIBONACCI = 0x9E3779B9;

    /** One generation of the table; replaced whole on rehash. */
    private static final class Table {
        final int[] words;
        final SecurityAssociation[] refs;
        final int mask;
        final int shift;
        // log2(capacity): the SPI's hash shifted left by this is the compact cell's identity in its state word.
        final int bits;
        // The state bits a compact entry's lookup compares; 0 below MIN_COMPACT_BITS, where none is written.
        final int compactMask;
        // Ranges of pools too large to inline. Only the writer appends, before it publishes the entry that
        // points there; a reader that saw that entry LIVE sees this array, or a larger copy of it.
        int[] spill4 = new int[0];
        long[] spill6 = new long[0];
        int spill4Used;
        int spill6Used;
        int used; // cells not EMPTY: live, continuation, tombstone
        int liveCells;

        Table(int capacity) {
            words = new int[capacity << STRIDE_SHIFT];
            refs = new SecurityAssociation[capacity];
            mask = capacity - 1;
            shift = Integer.numberOfLeadingZeros(capacity) + 1; // 32 - log2(capacity)
            bits = 32 - shift;
            compactMask = bits < MIN_COMPACT_BITS ? 0
                    : -1 << bits | KIND_MASK | EXPIRED | COMPACT_TAG_MASK | 1 << COMPACT_PROTOCOL_AT;
        }

        int capacity() {
            return refs.length;
        }
    }

    private volatile Table table = new Table(MIN_CAPACITY);
    private int size;

    /**
     * The home cell of an SPI: the top bits of the SPI times 2^32/phi (Fibonacci hashing, Knuth 6.4), two
     * instructions. Multiplying by an odd constant is a bijection, so SPIs with distinct home cells keep
     * distinct home cells when the table doubles (cell h becomes 2h or 2h+1, and an entry on cells
     * [h, h+w) finds [2h, 2h+2w) free), and sequential or strided SPIs, as an operator may key by hand,
     * still spread.
     */
    static int home(Table t, int spi) {
        return (spi * FIBONACCI) >>> t.shift;
    }

    /**
     * Whether the compact cell of state {@code st} at the home cell of an SPI whose hash is {@code h} holds that
     * SPI: its hash bits below the home index are those in the state word. Only at that home cell.
     */
    private static boolean compactHolds(Table t, int st, int h) {
        return ((st ^ h << t.bits) >>> t.bits) == 0;
    }

    /**
     * The per-packet IPv4 lookup; see {@link SecurityAssociationDatabase#lookupInboundV4}. The common case, a
     * live SA in its home cell whose prefixes match, is one test of the state word and the SPI, then a
     * straight-line check of the prefixes: for a narrow entry both at once with the shifts from the state
     * word; for a wider one after one jump on its format; for a compact cell, once the narrow test failed, one
     * masked compare of the state word against the SPI's hash bits, then its three addresses. Everything else
     * (a probe chain, the spill area, a drop) takes the loop.
     */
    SecurityAssociation lookupV4(int spi, int ipProtocol, int src, int dst, DropListener listener) {
        Table t = table;
        int[] w = t.words;
        int h = spi * FIBONACCI;
        int i = h >>> t.shift;
        int b = i << STRIDE_SHIFT;
        int st = (int) INTS.getAcquire(w, b + W_STATE); // before the other fields of the cell
        if ((st & USABLE_MASK) == (LIVE | ipProtocol << PROTOCOL_SHIFT) && w[b + W_SPI] == spi
                && ((st & NARROW) != 0
                    ? (((src ^ w[b + W_REMOTE_NET]) >>> (st >>> REMOTE_SHIFT_AT))
                        | ((dst ^ w[b + W_LOCAL_NET]) >>> (st >>> LOCAL_SHIFT_AT))) == 0
                    : inlineV4(w, b, st, src, dst))) {
            return t.refs[i];
        }
        // A compact cell: live, unexpired, of this protocol (p is 0 for ESP, 1 for AH, else no compact cell's),
        // with this SPI's hash bits, in one compare; then its addresses. (A compact state word passes the test
        // above only by chance and with an address equal to the SPI, and inlineV4 then refuses its format.)
        int p = ipProtocol ^ ESP;
        if ((((st ^ h << t.bits) & t.compactMask) ^ (LIVE | COMPACT_TAG | p << COMPACT_PROTOCOL_AT) | p >>> 1) == 0
                && compactV4(w, b, st, src, dst)) {
            return t.refs[i];
        }
        return probeV4(t, i, h, spi, ipProtocol, src, dst, listener);
    }

    private static SecurityAssociation probeV4(Table t, int i, int h, int spi, int ipProtocol, int src, int dst,
                                               DropListener listener) {
        int[] w = t.words;
        int home = i;
        while (true) {
            int b = i << STRIDE_SHIFT;
            int st = (int) INTS.getAcquire(w, b + W_STATE);
            int kind = st & KIND_MASK;
            if (kind == EMPTY) {
                listener.dropped(DropReason.UNKNOWN_SPI, null);
                return null;
            }
            if (kind == LIVE && holds(t, w, b, st, i == home, h, spi)) {
                boolean match;
                if (isCompact(st)) {
                    match = !isCompactV6(st) && compactV4(w, b, st, src, dst);
                } else if ((st & NARROW) != 0) {
                    match = (((src ^ w[b + W_REMOTE_NET]) >>> (st >>> REMOTE_SHIFT_AT))
                            | ((dst ^ w[b + W_LOCAL_NET]) >>> (st >>> LOCAL_SHIFT_AT))) == 0;
                } else if ((st & V4_SPILL) != 0) { // after NARROW: a narrow state word holds shifts there
                    int o = w[b + (SlotLayout.formatOf(st) == SPILL_ONLY ? 2 : OTHER_SPILL[SlotLayout.formatOf(st)])];
                    int[] s = t.spill4;
                    match = inRanges(s, o + 2, s[o], dst) && inRanges(s, o + 2 + 2 * s[o], s[o + 1], src);
                } else {
                    match = inlineV4(w, b, st, src, dst);
                }
                return verdict(t.refs[i], st, ipProtocol, match, listener);
            }
            i = (i + 1) & t.mask;
        }
    }

    /** The per-packet IPv6 lookup; see {@link SecurityAssociationDatabase#lookupInboundV6}. */
    SecurityAssociation lookupV6(int spi, int ipProtocol, long srcHi, long srcLo, long dstHi, long dstLo,
                                 DropListener listener) {
        Table t = table;
        int[] w = t.words;
        int h = spi * FIBONACCI;
        int i = h >>> t.shift;
        int home = i;
        int b = i << STRIDE_SHIFT;
        int st = (int) INTS.getAcquire(w, b + W_STATE);
        if ((st & (USABLE_MASK | NARROW)) == (LIVE | ipProtocol << PROTOCOL_SHIFT) && w[b + W_SPI] == spi
                && inlineV6(w, b, st, srcHi, dstHi)) {
            return t.refs[i];
        }
        // A compact IPv6 entry, as the compact IPv4 cell in lookupV4.
        int p = ipProtocol ^ ESP;
        if ((((st ^ h << t.bits) & t.compactMask) ^ (LIVE | COMPACT_V6_TAG | p << COMPACT_PROTOCOL_AT) | p >>> 1) == 0
                && compactV6(w, b, st, srcHi, dstHi)) {
            return t.refs[i];
        }
        while (true) {
            b = i << STRIDE_SHIFT;
            st = (int) INTS.getAcquire(w, b + W_STATE);
            int kind = st & KIND_MASK;
            if (kind == EMPTY) {
                listener.dropped(DropReason.UNKNOWN_SPI, null);
                return null;
            }
            if (kind == LIVE && holds(t, w, b, st, i == home, h, spi)) {
                boolean match;
                if (isCompact(st)) {
                    match = isCompactV6(st) && compactV6(w, b, st, srcHi, dstHi);
                } else if ((st & NARROW) != 0) {
                    match = false; // a narrow entry has no IPv6 pair (and its state word holds shifts, not flags)
                } else if ((st & V6_SPILL) != 0) {
                    int o = w[b + (SlotLayout.formatOf(st) == SPILL_ONLY ? 3 : OTHER_SPILL[SlotLayout.formatOf(st)])];
                    long[] s = t.spill6;
                    int nl = (int) s[o];
                    match = inRanges(s, o + 2, nl, dstHi, dstLo) && inRanges(s, o + 2 + 4 * nl, (int) s[o + 1], srcHi, srcLo);
                } else {
                    match = inlineV6(w, b, st, srcHi, dstHi);
                }
                return verdict(t.refs[i], st, ipProtocol, match, listener);
            }
            i = (i + 1) & t.mask;
        }
    }

    /**
     * Whether the live entry at int {@code b} is the SPI's, whose hash is {@code h}: its SPI word, or for a
     * compact cell, which has none, its hash bits, and only at the SPI's home cell.
     */
    private static boolean holds(Table t, int[] w, int b, int st, boolean atHome, int h, int spi) {
        return isCompact(st) ? atHome && compactHolds(t, st, h) : w[b + W_SPI] == spi;
    }

    /** The checks after the SPI, in the order their drop reasons are reported. */
    private static SecurityAssociation verdict(SecurityAssociation sa, int st, int ipProtocol, boolean match,
                                               DropListener listener) {
        if (SlotLayout.protocolOf(st) != ipProtocol) {
            listener.dropped(DropReason.UNKNOWN_SPI, null);
            return null;
        }
        if (!match) {
            listener.dropped(DropReason.POOL_MISMATCH, sa);
            return null;
        }
        if ((st & EXPIRED) != 0) {
            listener.dropped(DropReason.SA_EXPIRED, sa);
            return null;
        }
        return sa;
    }

    /*
     * The inline checks are straight-line on purpose: at a million SAs each lookup misses the cache, and the
     * CPU overlaps the misses of consecutive packets only while their instructions fit its reorder window
     * and no branch on the loaded entry is mispredicted. d(...) is the distance of an address to a prefix,
     * zero when inside; "one of a group" is a product (IPv4 distances are below 2^32, so a product of two is
     * exact) or an unsigned minimum, never a branch.
     */

    /**
     * IPv4 check of a compact cell [A1 | state | A0 | B]: the packet's address on the side of the two /32s (the
     * destination, or the source when mirrored, chosen without a branch) is A0 or A1, the other is in B.
     */
    private static boolean compactV4(int[] w, int b, int st, int src, int dst) {
        int swap = (src ^ dst) & -((st & COMPACT_MIRRORED) >>> SlotLayout.FORMAT_AT);
        int pair = dst ^ swap;
        int one = src ^ swap;
        return (((pair ^ w[b + 2]) & 0xffffffffL) * ((pair ^ w[b]) & 0xffffffffL)
                | (one ^ w[b + 3]) >>> (st >>> COMPACT_SHIFT_AT)) == 0;
    }

    /**
     * IPv6 check of a compact entry [A0 top | state | A0 low | A1 top] [A1 low | m | B top | B low]: the top 64
     * bits of the address on the side of the two prefixes (the destination, or the source when mirrored) are in A0
     * or A1, those of the other in B.
     */
    private static boolean compactV6(int[] w, int b, int st, long srcHi, long dstHi) {
        long swap = (srcHi ^ dstHi) & -(long) ((st & COMPACT_MIRRORED) >>> SlotLayout.FORMAT_AT);
        long pair = dstHi ^ swap;
        long one = srcHi ^ swap;
        int m = w[b + 5];
        return (min(d(pair, w, b, b + 2, m >>> 2), d(pair, w, b + 3, b + 4, m >>> 8)) | d(one, w, b + 6, b + 7, m >>> 14)) == 0;
    }

    /** IPv4 inline check of a non-narrow entry; false when IPv4 is not its inline family. */
    private static boolean inlineV4(int[] w, int b, int st, int src, int dst) {
        int format = SlotLayout.formatOf(st);
        if (format < V4_22 || format > V4_44) {
            return false; // a one-cell spill entry may be the table's last cell: no word 5 to read
        }
        int m = w[b + 5];
        switch (format) {
            case V4_22:
                return (d(dst, w[b + 2], m >>> 2) * d(dst, w[b + 3], m >>> 8)
                        | d(src, w[b + 4], m >>> 14) * d(src, w[b + 6], m >>> 20)) == 0;
            case V4_41:
                return (any4(w, b, m, dst) | d(src, w[b + 7], m >>> 26)) == 0;
            case V4_14:
                return (any4(w, b, m, src) | d(dst, w[b + 7], m >>> 26)) == 0;
            case V4_44: {
                int n = w[b + 9];
                return (any4(w, b, m, dst) | Math.min(Math.min(d(src, w[b + 7], m >>> 26), d(src, w[b + 8], n >>> 2)),
                        Math.min(d(src, w[b + 10], n >>> 8), d(src, w[b + 11], n >>> 14)))) == 0;
            }
            default:
                return false;
        }
    }

    /** IPv6 inline check (top 64 bits) of a non-narrow entry; false when IPv6 is not its inline family. */
    private static boolean inlineV6(int[] w, int b, int st, long srcHi, long dstHi) {
        int format = SlotLayout.formatOf(st);
        if (format < V6_11 || format > V6_44) {
            return false; // as in inlineV4
        }
        int m = w[b + 5];
        switch (format) {
            case V6_11:
                return (d(dstHi, w, b + 2, b + 3, m >>> 2) | d(srcHi, w, b + 6, b + 7, m >>> 8)) == 0;
            case V6_22:
                return (min(d(dstHi, w, b + 2, b + 3, m >>> 2), d(dstHi, w, b + 6, b + 7, m >>> 8))
                        | min(d(srcHi, w, b + 10, b + 11, m >>> 14), d(srcHi, w, b + 4, b + 8, m >>> 20))) == 0;
            case V6_41:
                return (any4(w, b, m, dstHi) | d(srcHi, w, b + 4, b + 8, m >>> 26)) == 0;
            case V6_14:
                return (any4(w, b, m, srcHi) | d(dstHi, w, b + 4, b + 8, m >>> 26)) == 0;
            case V6_44: {
                int n = w[b + 9];
                return (any4(w, b, m, dstHi) | min(min(d(srcHi, w, b + 18, b + 19, m >>> 26), d(srcHi, w, b + 22, b + 23, n >>> 2)),
                        min(d(srcHi, w, b + 4, b + 8, n >>> 8), d(srcHi, w, b + 12, b + 16, n >>> 14)))) == 0;
            }
            default:
                return false;
        }
    }

    /**
     * IPv4 distance of {@code x} to a network under the 6-bit shift field in the low bits of {@code shift}: a
     * long shift uses exactly those 6 bits of its count, so the fields above need no mask.
     */
    private static long d(int x, int network, int shift) {
        return ((x ^ network) & 0xffffffffL) >>> shift;
    }

    /** IPv6 distance (top 64 bits) to the network whose halves are at ints {@code upper} and {@code lower}. */
    private static long d(long xHi, int[] w, int upper, int lower, int shift) {
        return (xHi ^ ((long) w[upper] << 32 | (w[lower] & 0xffffffffL))) >>> shift;
    }

    /** Zero when one of the four IPv4 prefixes at ints 2, 3, 4, 6 holds {@code x}. */
    private static long any4(int[] w, int b, int m, int x) {
        return Math.min(Math.min(d(x, w[b + 2], m >>> 2), d(x, w[b + 3], m >>> 8)),
                Math.min(d(x, w[b + 4], m >>> 14), d(x, w[b + 6], m >>> 20)));
    }

    /** Zero when one of the four IPv6 prefixes at ints (2,3), (6,7), (10,11), (14,15) holds {@code xHi}. */
    private static long any4(int[] w, int b, int m, long xHi) {
        return min(min(d(xHi, w, b + 2, b + 3, m >>> 2), d(xHi, w, b + 6, b + 7, m >>> 8)),
                min(d(xHi, w, b + 10, b + 11, m >>> 14), d(xHi, w, b + 14, b + 15, m >>> 20)));
    }

    /** Unsigned minimum, so that a distance of 2^63 or more still counts as "not zero". */
    private static long min(long a, long b) {
        return Math.min(a ^ Long.MIN_VALUE, b ^ Long.MIN_VALUE) ^ Long.MIN_VALUE;
    }

    /** Binary search of {@code n} sign-flipped (first, last) pairs from {@code from}. */
    private static boolean inRanges(int[] r, int from, int n, int address) {
        int k = address ^ Integer.MIN_VALUE;
        int lo = 0;
        int hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (r[from + (mid << 1)] <= k) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && k <= r[from + (hi << 1) + 1];
    }

    /** Binary search of {@code n} (firstHi, firstLo, lastHi, lastLo) ranges from {@code from}. */
    private static boolean inRanges(long[] r, int from, int n, long aHi, long aLo) {
        int lo = 0;
        int hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int base = from + (mid << 2);
            if (compare(r[base], r[base + 1], aHi, aLo) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && compare(aHi, aLo, r[from + (hi << 2) + 2], r[from + (hi << 2) + 3]) <= 0;
    }

    private static int compare(long aHi, long aLo, long bHi, long bLo) {
        int c = Long.compareUnsigned(aHi, bHi);
        return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }

    /** The live SA with this SPI; null when none. */
    SecurityAssociation get(int spi) {
        Table t = table;
        int i = find(t, spi);
        return i < 0 ? null : t.refs[i];
    }

    /**
     * Whether an SA with this SPI, installed now with an entry of {@code cells} cells, would sit in its
     * home cell ({@link #home}) with its entry inline.
     */
    boolean homeCellsFree(int spi, int cells) {
        Table t = table;
        int h = home(t, spi);
        return room(t, h, cells);
    }

    /** The cells an SA with these pools takes at its home cell of the table as it is now (compact: 1 IPv4, 2 IPv6). */
    int cellsAtHome(AddressPool local, AddressPool remote) {
        SlotLayout compact = table.compactMask != 0 ? SlotLayout.compact(local, remote) : null;
        return compact != null ? compact.cells : SlotLayout.of(local, remote).cells;
    }

    private static boolean room(Table t, int i, int cells) {
        if (i + cells > t.capacity()) {
            return false; // an entry never wraps around the end of the array
        }
        for (int c = 0; c < cells; c++) {
            if ((t.words[((i + c) << STRIDE_SHIFT) + W_STATE] & KIND_MASK) != EMPTY) {
                return false;
            }
        }
        return true;
    }

    /** How many live SAs sit past their home cell (tests, benchmarks). */
    int displaced() {
        Table t = table;
        int n = 0;
        for (int i = 0; i < t.capacity(); i++) {
            if ((t.words[(i << STRIDE_SHIFT) + W_STATE] & KIND_MASK) == LIVE && home(t, t.refs[i].spi()) != i) {
                n++;
            }
        }
        return n;
    }

    /** How the SA with this SPI is laid out ({@link SlotLayout#describe}), for tests; null when not installed. */
    String layoutOf(int spi) {
        Table t = table;
        int i = find(t, spi);
        return i < 0 ? null : SlotLayout.describe(t.words[(i << STRIDE_SHIFT) + W_STATE]);
    }

    int size() {
        return size;
    }

    /** Cells of the current table (tests: where an SPI's home is). */
    int capacity() {
        return table.capacity();
    }

    /** Writer only. Inserts an SA whose SPI is not in the table (the SAD checks duplicates). */
    void put(SecurityAssociation sa) {
        int cells = SlotLayout.of(sa.localOuter(), sa.remoteOuter()).cells; // at most: a compact entry takes 1
        if ((table.used + cells) * 2 > table.capacity()) {
            rehash(table.liveCells + cells);
        }
        place(table, sa, 0);
        size++;
    }

    /** Writer only. Tombstones the SA with this SPI; returns it or null. */
    SecurityAssociation remove(int spi) {
        Table t = table;
        int i = find(t, spi);
        if (i < 0) {
            return null;
        }
        int b = i << STRIDE_SHIFT;
        SecurityAssociation sa = t.refs[i];
        int st = t.words[b + W_STATE];
        // The reference and the continuation cells stay until the next rehash: a reader that saw LIVE may
        // still read them.
        INTS.setRelease(t.words, b + W_STATE, (st & ~KIND_MASK) | TOMBSTONE);
        t.liveCells -= SlotLayout.cellsOf(st);
        size--;
        if (t.liveCells * 8 < t.capacity() && t.capacity() > MIN_CAPACITY) {
            rehash(t.liveCells);
        }
        return sa;
    }

    /** Writer only. Makes lookups of this SA report SA_EXPIRED without touching the SA object. */
    void markExpired(SecurityAssociation sa) {
        Table t = table;
        int i = find(t, sa.spi());
        if (i >= 0 && t.refs[i] == sa) {
            int b = i << STRIDE_SHIFT;
            INTS.setRelease(t.words, b + W_STATE, t.words[b + W_STATE] | EXPIRED);
        }
    }

    void forEach(Consumer<SecurityAssociation> action) {
        Table t = table;
        for (int i = 0; i < t.capacity(); i++) {
            if ((t.words[(i << STRIDE_SHIFT) + W_STATE] & KIND_MASK) == LIVE) {
                action.accept(t.refs[i]);
            }
        }
    }

    /** The cell of the live entry with this SPI, or -1. Readers too (acquire reads of the state words). */
    private static int find(Table t, int spi) {
        int[] w = t.words;
        int h = spi * FIBONACCI;
        int home = h >>> t.shift;
        int i = home;
        while (true) {
            int b = i << STRIDE_SHIFT;
            int st = (int) INTS.getAcquire(w, b + W_STATE);
            int kind = st & KIND_MASK;
            if (kind == EMPTY) {
                return -1;
            }
            if (kind == LIVE && holds(t, w, b, st, i == home, h, spi)) {
                return i;
            }
            i = (i + 1) & t.mask;
        }
    }

    /**
     * Writes the entry at the first EMPTY cell from the SPI's home, laid out for where it lands: compact when
     * that is its home cell and its pools allow it, else in its wide format. When the cells after it are
     * taken, the entry is written in one cell with its pools out of line rather than further away, so lookups
     * never probe further for want of room.
     */
    private static void place(Table t, SecurityAssociation sa, int flags) {
        int h = sa.spi() * FIBONACCI;
        int home = h >>> t.shift;
        int i = home;
        while ((t.words[(i << STRIDE_SHIFT) + W_STATE] & KIND_MASK) != EMPTY) {
            i = (i + 1) & t.mask;
        }
        SlotLayout layout = i == home && t.compactMask != 0 ? SlotLayout.compact(sa.localOuter(), sa.remoteOuter()) : null;
        if (layout != null && layout.cells > 1 && !room(t, i, layout.cells)) {
            layout = null; // a compact entry is found only at its home: wide further on, or out of line
        }
        boolean compact = layout != null;
        if (!compact) {
            layout = SlotLayout.of(sa.localOuter(), sa.remoteOuter());
            if (layout.cells > 1 && !room(t, i, layout.cells)) {
                layout = SlotLayout.outOfLine(sa.localOuter(), sa.remoteOuter());
            }
        }
        int[] w = t.words;
        int b = i << STRIDE_SHIFT;
        int[] image = layout.image;
        // Continuations first, with plain writes: the release of the head's state word publishes them.
        for (int k = 4; k < image.length; k++) {
            w[b + k] = image[k];
        }
        w[b + W_SPI] = compact ? image[0] : sa.spi();
        w[b + 2] = image[2];
        w[b + 3] = image[3];
        if (layout.spill4 != null) {
            w[b + layout.spill4Word] = append4(t, layout.spill4);
        }
        if (layout.spill6 != null) {
            w[b + layout.spill6Word] = append6(t, layout.spill6);
        }
        t.refs[i] = sa;
        int protocol = sa.protocol().ipProtocol();
        int state = LIVE | flags | layout.format | (compact
                ? (protocol - ESP) << COMPACT_PROTOCOL_AT | h << t.bits // the SPI's identity at its home cell
                : protocol << PROTOCOL_SHIFT);
        INTS.setRelease(w, b + W_STATE, state); // publishes the fields above
        t.used += layout.cells;
        t.liveCells += layout.cells;
    }

    private static int append4(Table t, int[] ranges) {
        if (t.spill4Used + ranges.length > t.spill4.length) {
            // A larger copy; readers still on the old array find their entries' ranges there.
            t.spill4 = Arrays.copyOf(t.spill4, Math.max(64, 2 * (t.spill4Used + ranges.length)));
        }
        int o = t.spill4Used;
        System.arraycopy(ranges, 0, t.spill4, o, ranges.length);
        t.spill4Used += ranges.length;
        return o;
    }

    private static int append6(Table t, long[] ranges) {
        if (t.spill6Used + ranges.length > t.spill6.length) {
            t.spill6 = Arrays.copyOf(t.spill6, Math.max(64, 2 * (t.spill6Used + ranges.length)));
        }
        int o = t.spill6Used;
        System.arraycopy(ranges, 0, t.spill6, o, ranges.length);
        t.spill6Used += ranges.length;
        return o;
    }

    /**
     * Builds a fresh table for {@code expected} live cells and moves every live SA into it, laid out anew
     * (an entry that was out of line for want of room may now be inline; an entry that is no longer at its home
     * cell, or in a table below 2^{@value SlotLayout#MIN_COMPACT_BITS} cells, is wide again, and one that is now at
     * home may become compact). Entries at their home cell move first, so that they keep it; then the others.
     */
    private void rehash(int expected) {
        Table old = table;
        Table fresh;
        while (true) {
            // At most half full before a rehash (put), at most 3/8 after it, so churn near the limit cannot
            // rehash on every insert, and a million narrow SAs fit 2^21 cells (32 MB).
            int cap = MIN_CAPACITY;
            while ((long) cap * 3 < (long) expected * 8) {
                cap <<= 1;
            }
            fresh = new Table(cap);
            for (int pass = 0; pass < 2; pass++) {
                for (int j = 0; j < old.capacity(); j++) {
                    int st = old.words[(j << STRIDE_SHIFT) + W_STATE];
                    if ((st & KIND_MASK) == LIVE) {
                        SecurityAssociation sa = old.refs[j];
                        if ((home(old, sa.spi()) == j) == (pass == 0)) {
                            place(fresh, sa, st & EXPIRED);
                        }
                    }
                }
            }
            if (fresh.used * 2 <= cap) {
                break;
            }
            expected = fresh.used; // entries that got their inline cells back: size again
        }
        table = fresh;
    }
}

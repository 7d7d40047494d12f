package net.poolsa.esp.sad;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Inbound SAs by SPI, laid out for the per-packet lookup: an open-addressing table of 16-byte slots in one
 * {@code int[]}, four to a cache line, each holding the SPI, a state word (live/tombstone, protocol,
 * expired, prefix lengths) and the network of the SA's local and remote pools when each is one IPv4
 * prefix, the paper's [network, mask] pair. A lookup of such an SA touches one cache line of the table and
 * the parallel reference array, and never the SA object itself; an SA whose pools hold several ranges, a
 * range that is not a prefix, 0.0.0.0/0 or no IPv4 at all is checked through its ranges, kept beside the
 * slot so that the check reads neither the SA nor its pools.
 *
 * <p>Why 16 bytes: at a million SAs the table no longer fits the last-level cache, so a lookup costs what
 * its cache and TLB misses cost; half the bytes of the former 32-byte slot (which carried the bounds of
 * arbitrary ranges) and a load factor of at most 0.5 (0.25-0.5 while the table grows; it shrinks below
 * 1/8) keep the slot, and most of the reference array, in reach (docs/benchmarks.md §1).
 *
 * <p>Concurrency: one writer at a time (the SAD's lock), readers without locks. A slot goes EMPTY -> LIVE
 * -> TOMBSTONE and is never reused before a rehash builds a fresh table, so a reader that sees LIVE (an
 * acquire read of the state word, written last with release) sees the fields that belong to it: no torn
 * entry. A rehash publishes the new table through a volatile field; readers on the old one stay correct.
 */
final class SpiTable {
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int STRIDE_SHIFT = 2; // 4 ints per slot
    private static final int W_SPI = 0;
    private static final int W_STATE = 1;
    private static final int W_LOCAL_NET = 2;
    private static final int W_REMOTE_NET = 3;

    private static final int EMPTY = 0;
    private static final int LIVE = 1;
    private static final int TOMBSTONE = 2;
    private static final int KIND_MASK = 3;
    private static final int EXPIRED = 1 << 2;
    private static final int LOCAL_INLINE = 1 << 3;
    private static final int REMOTE_INLINE = 1 << 4;
    private static final int PROTOCOL_SHIFT = 8;
    // 32 - prefix length, 0..31: an address x is in the prefix when (x ^ network) >>> shift == 0. Java
    // shifts use the low five bits of the count, so the lookup shifts by the state word moved down.
    private static final int LOCAL_SHIFT_AT = 16;
    private static final int REMOTE_SHIFT_AT = 21;
    // A state word whose masked bits equal FAST_STATE | protocol is live, not expired, both pools inline.
    private static final int FAST_MASK = KIND_MASK | EXPIRED | LOCAL_INLINE | REMOTE_INLINE | 0xff << PROTOCOL_SHIFT;
    private static final int FAST_STATE = LIVE | LOCAL_INLINE | REMOTE_INLINE;

    private static final int MIN_CAPACITY = 16;

    /** One generation of the table; replaced whole on rehash. */
    private static final class Table {
        final int[] words;
        final SecurityAssociation[] refs;
        // IPv4 ranges of pools too large to inline, so that checking them reads neither the SA nor the pool.
        final int[][] localRanges;
        final int[][] remoteRanges;
        final int mask;
        final int shift;

        Table(int capacity) {
            words = new int[capacity << STRIDE_SHIFT];
            refs = new SecurityAssociation[capacity];
            localRanges = new int[capacity][];
            remoteRanges = new int[capacity][];
            mask = capacity - 1;
            shift = Integer.numberOfLeadingZeros(capacity) + 1; // 32 - log2(capacity)
        }
    }

    private volatile Table table = new Table(MIN_CAPACITY);
    private int size;
    private int used; // live plus tombstones

    /**
     * The home slot of an SPI: the top bits of the SPI times 2^32/phi (Fibonacci hashing, Knuth 6.4), two
     * instructions. Multiplying by an odd constant is a bijection, so SPIs with distinct home slots keep
     * distinct home slots when the table doubles (see homeSlotFree), and sequential or strided SPIs, as
     * an operator may key by hand, still spread.
     */
    static int home(Table t, int spi) {
        return (spi * 0x9E3779B9) >>> t.shift;
    }

    /**
     * The per-packet IPv4 lookup; see {@link SecurityAssociationDatabase#lookupInboundV4}. The common case,
     * a live SA in its home slot with single-prefix pools that match, is one test of the state word and
     * one of both prefixes; everything else (a probe chain, out-of-line pools, a drop) takes the loop.
     */
    SecurityAssociation lookupV4(int spi, int ipProtocol, int src, int dst, DropListener listener) {
        Table t = table;
        int[] w = t.words;
        int i = home(t, spi);
        int b = i << STRIDE_SHIFT;
        int st = (int) INTS.getAcquire(w, b + W_STATE); // before the other fields of the slot
        if ((st & FAST_MASK) == (FAST_STATE | ipProtocol << PROTOCOL_SHIFT) && w[b + W_SPI] == spi
                && (((src ^ w[b + W_REMOTE_NET]) >>> (st >>> REMOTE_SHIFT_AT))
                    | ((dst ^ w[b + W_LOCAL_NET]) >>> (st >>> LOCAL_SHIFT_AT))) == 0) {
            return t.refs[i];
        }
        return probeV4(t, i, spi, ipProtocol, src, dst, listener);
    }

    private static SecurityAssociation probeV4(Table t, int i, int spi, int ipProtocol, int src, int dst,
                                               DropListener listener) {
        int[] w = t.words;
        while (true) {
            int b = i << STRIDE_SHIFT;
            int st = (int) INTS.getAcquire(w, b + W_STATE);
            int kind = st & KIND_MASK;
            if (kind == EMPTY) {
                listener.dropped(DropReason.UNKNOWN_SPI, null);
                return null;
            }
            if (kind == LIVE && w[b + W_SPI] == spi) {
                SecurityAssociation sa = t.refs[i];
                if (((st >>> PROTOCOL_SHIFT) & 0xff) != ipProtocol) {
                    listener.dropped(DropReason.UNKNOWN_SPI, null);
                    return null;
                }
                boolean remoteOk = (st & REMOTE_INLINE) != 0
                        ? (src ^ w[b + W_REMOTE_NET]) >>> (st >>> REMOTE_SHIFT_AT) == 0
                        : AddressPool.containsV4(t.remoteRanges[i], src);
                boolean localOk = (st & LOCAL_INLINE) != 0
                        ? (dst ^ w[b + W_LOCAL_NET]) >>> (st >>> LOCAL_SHIFT_AT) == 0
                        : AddressPool.containsV4(t.localRanges[i], dst);
                if (!remoteOk || !localOk) {
                    listener.dropped(DropReason.POOL_MISMATCH, sa);
                    return null;
                }
                if ((st & EXPIRED) != 0) {
                    listener.dropped(DropReason.SA_EXPIRED, sa);
                    return null;
                }
                return sa;
            }
            i = (i + 1) & t.mask;
        }
    }

    /** The live SA with this SPI and the slot's expired flag folded into usable(); null when none. */
    SecurityAssociation get(int spi) {
        Table t = table;
        int[] w = t.words;
        int i = home(t, spi);
        while (true) {
            int b = i << STRIDE_SHIFT;
            int st = (int) INTS.getAcquire(w, b + W_STATE);
            int kind = st & KIND_MASK;
            if (kind == EMPTY) {
                return null;
            }
            if (kind == LIVE && w[b + W_SPI] == spi) {
                return t.refs[i];
            }
            i = (i + 1) & t.mask;
        }
    }

    /**
     * Whether an SA with this SPI, installed now, would sit in its home slot ({@link #home}).
     */
    boolean homeSlotFree(int spi) {
        Table t = table;
        return (t.words[(home(t, spi) << STRIDE_SHIFT) + W_STATE] & KIND_MASK) == EMPTY;
    }

    /** How many live SAs sit past their home slot (tests, benchmarks). */
    int displaced() {
        Table t = table;
        int n = 0;
        for (int i = 0; i < t.refs.length; i++) {
            if ((t.words[(i << STRIDE_SHIFT) + W_STATE] & KIND_MASK) == LIVE && home(t, t.refs[i].spi()) != i) {
                n++;
            }
        }
        return n;
    }

    int size() {
        return size;
    }

    /** Writer only. Inserts an SA whose SPI is not in the table (the SAD checks duplicates). */
    void put(SecurityAssociation sa) {
        if ((used + 1) * 2 > table.refs.length) {
            rehash(size + 1);
        }
        Table t = table;
        int i = home(t, sa.spi());
        while ((t.words[(i << STRIDE_SHIFT) + W_STATE] & KIND_MASK) != EMPTY) {
            i = (i + 1) & t.mask;
        }
        write(t, i, sa, stateOf(sa, 0));
        used++;
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
        // The reference stays until the next rehash: a reader that saw LIVE may still read it.
        INTS.setRelease(t.words, b + W_STATE, (t.words[b + W_STATE] & ~KIND_MASK) | TOMBSTONE);
        size--;
        if (size * 8 < t.refs.length && t.refs.length > MIN_CAPACITY) {
            rehash(size);
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
        for (int i = 0; i < t.refs.length; i++) {
            if ((t.words[(i << STRIDE_SHIFT) + W_STATE] & KIND_MASK) == LIVE) {
                action.accept(t.refs[i]);
            }
        }
    }

    private static int find(Table t, int spi) {
        int[] w = t.words;
        int i = home(t, spi);
        while (true) {
            int b = i << STRIDE_SHIFT;
            int kind = w[b + W_STATE] & KIND_MASK;
            if (kind == EMPTY) {
                return -1;
            }
            if (kind == LIVE && w[b + W_SPI] == spi) {
                return i;
            }
            i = (i + 1) & t.mask;
        }
    }

    private static int stateOf(SecurityAssociation sa, int flags) {
        int st = LIVE | flags | (sa.protocol().ipProtocol() << PROTOCOL_SHIFT);
        int local = prefixShift(sa.localOuter());
        if (local >= 0) {
            st |= LOCAL_INLINE | local << LOCAL_SHIFT_AT;
        }
        int remote = prefixShift(sa.remoteOuter());
        if (remote >= 0) {
            st |= REMOTE_INLINE | remote << REMOTE_SHIFT_AT;
        }
        return st;
    }

    /** 32 minus the prefix length when the pool's IPv4 part is one prefix of length 1..32, else -1. */
    static int prefixShift(AddressPool pool) {
        if (pool.v4RangeCount() != 1) {
            return -1;
        }
        long first = pool.v4First(0);
        long size = pool.v4Last(0) - first + 1;
        if (Long.bitCount(size) != 1 || (first & (size - 1)) != 0 || size > 1L << 31) {
            return -1;
        }
        return Long.numberOfTrailingZeros(size);
    }

    private static void write(Table t, int i, SecurityAssociation sa, int state) {
        int[] w = t.words;
        int b = i << STRIDE_SHIFT;
        w[b + W_SPI] = sa.spi();
        boolean localInline = (state & LOCAL_INLINE) != 0;
        boolean remoteInline = (state & REMOTE_INLINE) != 0;
        w[b + W_LOCAL_NET] = localInline ? (int) sa.localOuter().v4First(0) : 0;
        w[b + W_REMOTE_NET] = remoteInline ? (int) sa.remoteOuter().v4First(0) : 0;
        t.refs[i] = sa;
        t.localRanges[i] = localInline ? null : sa.localOuter().v4RangesFlipped();
        t.remoteRanges[i] = remoteInline ? null : sa.remoteOuter().v4RangesFlipped();
        INTS.setRelease(w, b + W_STATE, state); // publishes the fields above
    }

    private void rehash(int expected) {
        // At most half full before a rehash (put), at most 3/8 after it, so churn near the limit cannot
        // rehash on every insert, and a million SAs fit 2^21 slots (32 MB).
        int cap = MIN_CAPACITY;
        while ((long) cap * 3 < (long) expected * 8) {
            cap <<= 1;
        }
        Table old = table;
        Table fresh = new Table(cap);
        for (int j = 0; j < old.refs.length; j++) {
            int st = old.words[(j << STRIDE_SHIFT) + W_STATE];
            if ((st & KIND_MASK) == LIVE) {
                SecurityAssociation sa = old.refs[j];
                int i = home(fresh, sa.spi());
                while ((fresh.words[(i << STRIDE_SHIFT) + W_STATE] & KIND_MASK) != EMPTY) {
                    i = (i + 1) & fresh.mask;
                }
                write(fresh, i, sa, st);
            }
        }
        used = size;
        table = fresh;
    }
}

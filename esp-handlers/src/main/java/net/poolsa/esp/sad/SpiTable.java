package net.poolsa.esp.sad;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Inbound SAs by SPI, laid out for the per-packet lookup: an open-addressing table of 32-byte slots in one
 * {@code int[]}, each holding the SPI, a state word (live/tombstone, protocol, expired) and the bounds of
 * the SA's local and remote pools when each is a single IPv4 range. A lookup of such an SA touches one
 * cache line of the table and the parallel reference array, and never the SA object itself; an SA with
 * multi-range or IPv6 pools is checked through its {@link AddressPool}s.
 *
 * <p>Concurrency: one writer at a time (the SAD's lock), readers without locks. A slot goes EMPTY -> LIVE
 * -> TOMBSTONE and is never reused before a rehash builds a fresh table, so a reader that sees LIVE (an
 * acquire read of the state word, written last with release) sees the fields that belong to it: no torn
 * entry. A rehash publishes the new table through a volatile field; readers on the old one stay correct.
 */
final class SpiTable {
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int STRIDE_SHIFT = 3; // 8 ints per slot
    private static final int W_SPI = 0;
    private static final int W_STATE = 1;
    private static final int W_LOCAL_FIRST = 2;
    private static final int W_LOCAL_LAST = 3;
    private static final int W_REMOTE_FIRST = 4;
    private static final int W_REMOTE_LAST = 5;

    private static final int EMPTY = 0;
    private static final int LIVE = 1;
    private static final int TOMBSTONE = 2;
    private static final int KIND_MASK = 3;
    private static final int EXPIRED = 1 << 2;
    private static final int LOCAL_INLINE = 1 << 3;
    private static final int REMOTE_INLINE = 1 << 4;
    private static final int PROTOCOL_SHIFT = 8;

    private static final int MIN_CAPACITY = 16;

    /** One generation of the table; replaced whole on rehash. */
    private static final class Table {
        final int[] words;
        final SecurityAssociation[] refs;
        // The pools of SAs whose pools are not inline, so that checking them skips the SA object.
        final AddressPool[] localPools;
        final AddressPool[] remotePools;
        final int mask;

        Table(int capacity) {
            words = new int[capacity << STRIDE_SHIFT];
            refs = new SecurityAssociation[capacity];
            localPools = new AddressPool[capacity];
            remotePools = new AddressPool[capacity];
            mask = capacity - 1;
        }
    }

    private volatile Table table = new Table(MIN_CAPACITY);
    private int size;
    private int used; // live plus tombstones

    static int mix(int spi) {
        // SPIs are random, but a peer may choose sequential ones; spread them (murmur3 finalizer).
        int h = spi;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /** The per-packet IPv4 lookup; see {@link SecurityAssociationDatabase#lookupInboundV4}. */
    SecurityAssociation lookupV4(int spi, int ipProtocol, int src, int dst, DropListener listener) {
        Table t = table;
        int[] w = t.words;
        int mask = t.mask;
        int i = mix(spi) & mask;
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
                if ((st >>> PROTOCOL_SHIFT) != ipProtocol) {
                    listener.dropped(DropReason.UNKNOWN_SPI, null);
                    return null;
                }
                int s = src ^ Integer.MIN_VALUE;
                int d = dst ^ Integer.MIN_VALUE;
                boolean remoteOk = (st & REMOTE_INLINE) != 0
                        ? s >= w[b + W_REMOTE_FIRST] && s <= w[b + W_REMOTE_LAST]
                        : t.remotePools[i].containsV4(src);
                boolean localOk = (st & LOCAL_INLINE) != 0
                        ? d >= w[b + W_LOCAL_FIRST] && d <= w[b + W_LOCAL_LAST]
                        : t.localPools[i].containsV4(dst);
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
            i = (i + 1) & mask;
        }
    }

    /** The live SA with this SPI and the slot's expired flag folded into usable(); null when none. */
    SecurityAssociation get(int spi) {
        Table t = table;
        int[] w = t.words;
        int i = mix(spi) & t.mask;
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

    int size() {
        return size;
    }

    /** Writer only. Inserts an SA whose SPI is not in the table (the SAD checks duplicates). */
    void put(SecurityAssociation sa) {
        if ((used + 1) * 2 > table.refs.length) {
            rehash(size + 1);
        }
        Table t = table;
        int i = mix(sa.spi()) & t.mask;
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
        int i = mix(spi) & t.mask;
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
        if (sa.localOuter().v4RangeCount() <= 1) {
            st |= LOCAL_INLINE;
        }
        if (sa.remoteOuter().v4RangeCount() <= 1) {
            st |= REMOTE_INLINE;
        }
        return st;
    }

    private static void write(Table t, int i, SecurityAssociation sa, int state) {
        int[] w = t.words;
        int b = i << STRIDE_SHIFT;
        w[b + W_SPI] = sa.spi();
        inlineRange(w, b + W_LOCAL_FIRST, sa.localOuter());
        inlineRange(w, b + W_REMOTE_FIRST, sa.remoteOuter());
        t.refs[i] = sa;
        t.localPools[i] = sa.localOuter();
        t.remotePools[i] = sa.remoteOuter();
        INTS.setRelease(w, b + W_STATE, state); // publishes the fields above
    }

    private static void inlineRange(int[] w, int at, AddressPool pool) {
        if (pool.v4RangeCount() == 1) {
            w[at] = (int) pool.v4First(0) ^ Integer.MIN_VALUE;
            w[at + 1] = (int) pool.v4Last(0) ^ Integer.MIN_VALUE;
        } else {
            // No IPv4 range: an empty interval (first > last in the flipped order) that matches nothing.
            w[at] = Integer.MAX_VALUE;
            w[at + 1] = Integer.MIN_VALUE;
        }
    }

    private void rehash(int expected) {
        int cap = MIN_CAPACITY;
        while (cap < expected * 4) {
            cap <<= 1;
        }
        Table old = table;
        Table fresh = new Table(cap);
        for (int j = 0; j < old.refs.length; j++) {
            int st = old.words[(j << STRIDE_SHIFT) + W_STATE];
            if ((st & KIND_MASK) == LIVE) {
                SecurityAssociation sa = old.refs[j];
                int i = mix(sa.spi()) & fresh.mask;
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

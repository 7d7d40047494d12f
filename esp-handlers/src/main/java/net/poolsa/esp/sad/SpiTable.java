package net.poolsa.esp.sad;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Inbound SAs by SPI: an open-addressing hash table with linear probing, read without locks and without
 * allocation (no boxed keys), written by one control-plane writer at a time (callers synchronize).
 *
 * <p>Readers see either the old or the new slot content, never a torn SA: slots hold references to
 * immutable-identity SA objects published through {@link AtomicReferenceArray} volatile stores. A removal
 * leaves a tombstone so that probe chains stay intact; a resize builds a fresh array and publishes it
 * through a volatile field, so a reader holding the old array still finds every SA that was there.
 */
final class SpiTable {
    private static final Object TOMBSTONE = new Object();
    private static final int MIN_CAPACITY = 16;

    private volatile AtomicReferenceArray<Object> slots = new AtomicReferenceArray<>(MIN_CAPACITY);
    private int size;
    private int used; // live entries plus tombstones

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

    /** Lock-free read; null when no SA has this SPI. */
    SecurityAssociation get(int spi) {
        AtomicReferenceArray<Object> s = slots;
        int mask = s.length() - 1;
        int i = mix(spi) & mask;
        while (true) {
            Object o = s.get(i);
            if (o == null) {
                return null;
            }
            if (o != TOMBSTONE) {
                SecurityAssociation sa = (SecurityAssociation) o;
                if (sa.spi() == spi) {
                    return sa;
                }
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    /** Writer only. Inserts or replaces the SA with the same SPI; returns the replaced one or null. */
    SecurityAssociation put(SecurityAssociation sa) {
        if ((used + 1) * 2 > slots.length()) {
            rehash(size + 1);
        }
        AtomicReferenceArray<Object> s = slots;
        int mask = s.length() - 1;
        int i = mix(sa.spi()) & mask;
        int firstTomb = -1;
        while (true) {
            Object o = s.get(i);
            if (o == null) {
                if (firstTomb >= 0) {
                    s.set(firstTomb, sa);
                } else {
                    s.set(i, sa);
                    used++;
                }
                size++;
                return null;
            }
            if (o == TOMBSTONE) {
                if (firstTomb < 0) {
                    firstTomb = i;
                }
            } else if (((SecurityAssociation) o).spi() == sa.spi()) {
                s.set(i, sa);
                return (SecurityAssociation) o;
            }
            i = (i + 1) & mask;
        }
    }

    /** Writer only. Removes the SA with this SPI; returns it or null. */
    SecurityAssociation remove(int spi) {
        AtomicReferenceArray<Object> s = slots;
        int mask = s.length() - 1;
        int i = mix(spi) & mask;
        while (true) {
            Object o = s.get(i);
            if (o == null) {
                return null;
            }
            if (o != TOMBSTONE && ((SecurityAssociation) o).spi() == spi) {
                s.set(i, TOMBSTONE);
                size--;
                if (size * 8 < s.length() && s.length() > MIN_CAPACITY) {
                    rehash(size);
                }
                return (SecurityAssociation) o;
            }
            i = (i + 1) & mask;
        }
    }

    void forEach(Consumer<SecurityAssociation> action) {
        AtomicReferenceArray<Object> s = slots;
        for (int i = 0; i < s.length(); i++) {
            Object o = s.get(i);
            if (o != null && o != TOMBSTONE) {
                action.accept((SecurityAssociation) o);
            }
        }
    }

    private void rehash(int expected) {
        int cap = MIN_CAPACITY;
        while (cap < expected * 4) {
            cap <<= 1;
        }
        AtomicReferenceArray<Object> old = slots;
        AtomicReferenceArray<Object> fresh = new AtomicReferenceArray<>(cap);
        int mask = cap - 1;
        for (int j = 0; j < old.length(); j++) {
            Object o = old.get(j);
            if (o != null && o != TOMBSTONE) {
                int i = mix(((SecurityAssociation) o).spi()) & mask;
                while (fresh.get(i) != null) {
                    i = (i + 1) & mask;
                }
                fresh.set(i, o);
            }
        }
        used = size;
        slots = fresh;
    }
}

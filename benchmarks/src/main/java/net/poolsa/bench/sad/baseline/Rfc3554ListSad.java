package net.poolsa.bench.sad.baseline;

import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * Baseline (a): RFC 3554's SA holding a list of single addresses, stored as a linked list as the paper's
 * Fig. 5 describes. The SPI lookup is the same O(1) open-addressing table the pool SAD uses, so the
 * difference measured is the address check only.
 */
public final class Rfc3554ListSad {
    /** An SA with address lists instead of pools; the other SAD fields as in the pool SA. */
    public static final class ListSa {
        final int spi;
        final AddressNode local;
        final AddressNode remote;
        final TrafficSelector selector;
        final SaKeys keys;

        ListSa(int spi, AddressNode local, AddressNode remote, TrafficSelector selector, SaKeys keys) {
            this.spi = spi;
            this.local = local;
            this.remote = remote;
            this.selector = selector;
            this.keys = keys;
        }
    }

    private final ListSa[] table;
    private final int mask;

    public Rfc3554ListSad(int expected) {
        int cap = 16;
        while (cap < expected * 2) {
            cap <<= 1;
        }
        table = new ListSa[cap];
        mask = cap - 1;
    }

    /** @param local ranges (first, last pairs) of our addresses; @param remote likewise for the peer */
    public void add(int spi, long[] local, long[] remote, TrafficSelector selector, SaKeys keys) {
        int i = mix(spi) & mask;
        while (table[i] != null) {
            i = (i + 1) & mask;
        }
        table[i] = new ListSa(spi, AddressNode.of(local), AddressNode.of(remote), selector, keys);
    }

    public Object lookup(int spi, int src, int dst) {
        int i = mix(spi) & mask;
        ListSa sa;
        while ((sa = table[i]) != null) {
            if (sa.spi == spi) {
                return AddressNode.contains(sa.remote, src) && AddressNode.contains(sa.local, dst) ? sa : null;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}

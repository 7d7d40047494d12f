package net.poolsa.bench.sad.baseline;

import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * Baseline (b): one SA per address, hashed on (SPI, destination) the way Linux XFRM keys its states
 * ({@code xfrm_state_lookup(net, mark, daddr, spi, proto, family)}). A pool of n local addresses costs
 * n states, each with its own copy of the keys, as n kernel states would.
 */
public final class PerAddressSad {
    /** One kernel-style state: a single destination, a single source. */
    public static final class AddressState {
        final int spi;
        final int destination;
        final int source;
        final TrafficSelector selector;
        final SaKeys keys;

        AddressState(int spi, int destination, int source, TrafficSelector selector, SaKeys keys) {
            this.spi = spi;
            this.destination = destination;
            this.source = source;
            this.selector = selector;
            this.keys = keys;
        }
    }

    private final long[] keys;
    private final AddressState[] states;
    private final int mask;
    private int size;

    public PerAddressSad(long expectedStates) {
        int cap = 16;
        while (cap < expectedStates * 2) {
            cap <<= 1;
        }
        keys = new long[cap];
        states = new AddressState[cap];
        mask = cap - 1;
    }

    public int size() {
        return size;
    }

    /** Adds one state per (local address x remote address) of the ranges. */
    public void add(int spi, long[] local, long[] remote, TrafficSelector selector, SaKeys keys) {
        for (int r = 0; r < local.length; r += 2) {
            for (long d = local[r]; d <= local[r + 1]; d++) {
                for (int q = 0; q < remote.length; q += 2) {
                    for (long s = remote[q]; s <= remote[q + 1]; s++) {
                        put(new AddressState(spi, (int) d, (int) s, selector,
                                new SaKeys(keys.encryptionAlgorithm(), keys.encryptionKey(), keys.integrityAlgorithm(), keys.integrityKey())));
                    }
                }
            }
        }
    }

    private void put(AddressState st) {
        long key = ((long) st.spi << 32) | (st.destination & 0xffffffffL);
        int i = hash(key) & mask;
        while (states[i] != null) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        states[i] = st;
        size++;
    }

    public Object lookup(int spi, int src, int dst) {
        long key = ((long) spi << 32) | (dst & 0xffffffffL);
        int i = hash(key) & mask;
        AddressState st;
        while ((st = states[i]) != null) {
            if (keys[i] == key) {
                return st.source == src ? st : null;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    static int hash(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        return (int) k;
    }
}

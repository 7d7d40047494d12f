package net.poolsa.esp.path;

import net.poolsa.esp.sa.OuterAddress;

/**
 * One address of our local outer pool, the prefix length of its uplink's subnet and the interface that carries it
 * (whose link and address events path monitoring follows; null when unknown: no local events for it).
 */
public record LocalAddress(OuterAddress address, int prefixLength, String interfaceName) {
    public LocalAddress {
        int max = address.v4() ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not within 0-" + max);
        }
    }

    public LocalAddress(OuterAddress address, int prefixLength) {
        this(address, prefixLength, null);
    }

    /** True when {@code peer} lies in this address's subnet (reached directly over that uplink). */
    public boolean onLink(OuterAddress peer) {
        if (peer.v4() != address.v4()) {
            return false;
        }
        if (address.v4()) {
            int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
            return (peer.v4Bits() & mask) == (address.v4Bits() & mask);
        }
        long hiMask = prefixLength == 0 ? 0 : prefixLength >= 64 ? -1L : -1L << (64 - prefixLength);
        long loMask = prefixLength <= 64 ? 0 : prefixLength == 128 ? -1L : -1L << (128 - prefixLength);
        return (peer.v6Hi() & hiMask) == (address.v6Hi() & hiMask) && (peer.v6Lo() & loMask) == (address.v6Lo() & loMask);
    }
}

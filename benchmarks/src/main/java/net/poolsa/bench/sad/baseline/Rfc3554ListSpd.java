package net.poolsa.bench.sad.baseline;

/**
 * Outbound baseline (a): an ordered policy list whose destination selectors are linked lists of single
 * addresses (RFC 3554 style). RFC 3554 defines no index, so classification scans policies in order.
 */
public final class Rfc3554ListSpd {
    private final AddressNode[] destinations;
    private int size;

    public Rfc3554ListSpd(int expected) {
        destinations = new AddressNode[expected];
    }

    public void add(long[] destinationRanges) {
        destinations[size++] = AddressNode.of(destinationRanges);
    }

    /** Index of the first policy whose destination list holds {@code dst} (sources are "any"), or -1. */
    public int classify(int src, int dst) {
        for (int p = 0; p < size; p++) {
            if (AddressNode.contains(destinations[p], dst)) {
                return p;
            }
        }
        return -1;
    }
}

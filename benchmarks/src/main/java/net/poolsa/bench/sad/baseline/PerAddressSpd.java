package net.poolsa.bench.sad.baseline;

/**
 * Outbound baseline (b): one policy per destination address in a hash table, as XFRM's by-destination
 * hash holds fully specified (/32) selectors. O(1), but memory grows with every address covered.
 */
public final class PerAddressSpd {
    private final int[] keys;
    private final int[] policy;
    private final boolean[] used;
    private final int mask;

    public PerAddressSpd(long expectedAddresses) {
        int cap = 16;
        while (cap < expectedAddresses * 2) {
            cap <<= 1;
        }
        keys = new int[cap];
        policy = new int[cap];
        used = new boolean[cap];
        mask = cap - 1;
    }

    public void add(int policyIndex, long[] destinationRanges) {
        for (int r = 0; r < destinationRanges.length; r += 2) {
            for (long a = destinationRanges[r]; a <= destinationRanges[r + 1]; a++) {
                int i = Rfc3554ListSad.mix((int) a) & mask;
                while (used[i]) {
                    i = (i + 1) & mask;
                }
                used[i] = true;
                keys[i] = (int) a;
                policy[i] = policyIndex;
            }
        }
    }

    public int classify(int src, int dst) {
        int i = Rfc3554ListSad.mix(dst) & mask;
        while (used[i]) {
            if (keys[i] == dst) {
                return policy[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }
}

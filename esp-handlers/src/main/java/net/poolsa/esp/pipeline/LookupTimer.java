package net.poolsa.esp.pipeline;


import net.poolsa.esp.event.DataPathListener;
/**
 * Samples the lookup latency: {@code System.nanoTime()} twice per packet costs ~50 ns, more than the 2 %
 * budget of a lookup-bound packet, so only one packet in {@link #SAMPLE_EVERY} is timed.
 */
final class LookupTimer {
    static final int SAMPLE_EVERY = 64;
    private int n;

    /** The start time when this packet is sampled, else 0. */
    long start() {
        return (++n & (SAMPLE_EVERY - 1)) == 0 ? System.nanoTime() : 0;
    }

    /** Ends an inbound SAD lookup's sample. */
    void stop(long start, DataPathListener listener) {
        if (start != 0) {
            listener.lookupLatency(System.nanoTime() - start);
        }
    }

    /** Ends an outbound SPD lookup's sample. */
    void stopPolicy(long start, DataPathListener listener) {
        if (start != 0) {
            listener.policyLookupLatency(System.nanoTime() - start);
        }
    }
}

package net.poolsa.esp.replay;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The sender's sequence counter of one SA. It starts at 1 and never wraps: once the last value (2^32-1, or
 * 2^64-1 with ESN) is used, {@link #next()} answers {@link #EXHAUSTED} for ever and the SA must be rekeyed
 * (RFC 4303 §3.3.3). Lock-free; several threads may send on one SA.
 */
public final class OutboundSequence {
    /** {@link #next()} result once the counter is used up. 0 is never a valid first-use sequence number. */
    public static final long EXHAUSTED = 0;

    private final AtomicLong next;
    private final boolean esn;

    public OutboundSequence(boolean esn) {
        this(esn, 1);
    }

    /** Starts at {@code first} (tests and a take-over of a running SA). */
    public OutboundSequence(boolean esn, long first) {
        this.esn = esn;
        this.next = new AtomicLong(first);
    }

    /** The sequence number for the next packet, or {@link #EXHAUSTED}. */
    public long next() {
        while (true) {
            long cur = next.get();
            // With ESN the value after 2^64-1 is 0 (sticky); a 32-bit SA stops above 2^32-1 (also sticky).
            if (cur == 0 || (!esn && Long.compareUnsigned(cur, SequenceNumbers.MAX_32) > 0)) {
                return EXHAUSTED;
            }
            if (next.compareAndSet(cur, cur + 1)) {
                return cur;
            }
        }
    }

    /**
     * Moves the counter forward to {@code next} (taking over a running SA, or a test that needs to reach the end
     * of the space); never moves it back, so no sequence number (and no AEAD IV derived from it) repeats.
     */
    public void skipTo(long next) {
        while (true) {
            long cur = this.next.get();
            if (cur == 0 || Long.compareUnsigned(next, cur) <= 0 || this.next.compareAndSet(cur, next)) {
                return;
            }
        }
    }

    /** The value the next packet would get (diagnostics). */
    public long peek() {
        return next.get();
    }
}

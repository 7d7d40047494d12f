package net.poolsa.esp.replay;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The sender's sequence counter of one SA. It starts at 1 and never wraps: once the last value (2^32-1, or
 * 2^64-1 with ESN) is used, {@link #next()} answers {@link #EXHAUSTED} for ever and the SA must be rekeyed
 * (RFC 4303 §3.3.3). Lock-free; several threads may send on one SA.
 *
 * <p>A manually keyed SA cannot be rekeyed, and its counter must survive restarts (RFC 4303 §3.3.3: "the
 * sequence number counter at the sender MUST be correctly maintained across local reboots, etc., until the
 * key is replaced"). For it the control plane {@linkplain #reserveUpTo reserves} numbers ahead of use in a
 * durable store: {@link #next()} then hands out only numbers up to the reservation and answers
 * {@link #EXHAUSTED} beyond it (with {@link #exhausted()} false, so the caller can tell "late reservation"
 * from "used up") without waiting, locking or allocating. Unreserved counters (IKE SAs) have no such bound.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.3.3">RFC 4303 §3.3.3</a>
 */
public final class OutboundSequence {
    /** {@link #next()} result once the counter is used up, or past its reservation. 0 is never a valid sequence number. */
    public static final long EXHAUSTED = 0;
    /** {@link #limit()} of a counter that needs no reservation (unsigned maximum). */
    public static final long UNBOUNDED = -1L;

    private final AtomicLong next;
    private final AtomicLong starved = new AtomicLong();
    private final boolean esn;
    private volatile long limit = UNBOUNDED;

    public OutboundSequence(boolean esn) {
        this(esn, 1);
    }

    /** Starts at {@code first} (tests and a take-over of a running SA). */
    public OutboundSequence(boolean esn, long first) {
        this.esn = esn;
        this.next = new AtomicLong(first);
    }

    /** The sequence number for the next packet, or {@link #EXHAUSTED} (used up, or not reserved yet). */
    public long next() {
        while (true) {
            long cur = next.get();
            // With ESN the value after 2^64-1 is 0 (sticky); a 32-bit SA stops above 2^32-1 (also sticky).
            if (cur == 0 || (!esn && Long.compareUnsigned(cur, SequenceNumbers.MAX_32) > 0)) {
                return EXHAUSTED;
            }
            if (Long.compareUnsigned(cur, limit) > 0) {
                starved.incrementAndGet();
                return EXHAUSTED;
            }
            if (next.compareAndSet(cur, cur + 1)) {
                return cur;
            }
        }
    }

    /** True once the last sequence number of the space (2^32-1, or 2^64-1 with ESN) was handed out. */
    public boolean exhausted() {
        long cur = next.get();
        return cur == 0 || (!esn && Long.compareUnsigned(cur, SequenceNumbers.MAX_32) > 0);
    }

    /**
     * Allows numbers up to {@code last} (inclusive). The first call bounds a counter that was unbounded; later
     * calls only raise the bound. Call it only once {@code last} is durably recorded.
     */
    public void reserveUpTo(long last) {
        synchronized (starved) {
            long cur = limit;
            if (cur == UNBOUNDED || Long.compareUnsigned(last, cur) > 0) {
                limit = last;
            }
        }
    }

    /** The last number {@link #next()} may hand out, or {@link #UNBOUNDED}. */
    public long limit() {
        return limit;
    }

    /** How often {@link #next()} found no reserved number (the demand a late reservation did not meet). */
    public long starved() {
        return starved.get();
    }

    public boolean esn() {
        return esn;
    }

    /** The last number the space allows: 2^32-1, or 2^64-1 (unsigned) with ESN. */
    public long last() {
        return esn ? -1L : SequenceNumbers.MAX_32;
    }

    /**
     * Moves the counter forward to {@code next} (taking over a running SA, continuing a manually keyed one after a
     * restart, or a test that needs to reach the end of the space); never moves it back, so no sequence number
     * (and no AEAD IV derived from it) repeats. {@code next} = 0 means past 2^64-1: used up.
     */
    public void skipTo(long next) {
        while (true) {
            long cur = this.next.get();
            if (cur == 0 || (next != 0 && Long.compareUnsigned(next, cur) <= 0) || this.next.compareAndSet(cur, next)) {
                return;
            }
        }
    }

    /** The value the next packet would get (diagnostics; 0 once the ESN space is used up). */
    public long peek() {
        return next.get();
    }
}

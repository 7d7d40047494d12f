package net.poolsa.esp.replay;

/**
 * The receiver's anti-replay window of one SA: a sliding bitmap over 64-bit sequence numbers, kept as a ring
 * of 64-bit words so that sliding clears whole words instead of shifting bits (RFC 6479). A packet is
 * {@link #check checked} before its ICV is verified and {@link #update recorded} only after, as RFC 4303
 * §3.4.3 requires; {@code update} checks again, so two threads racing on one sequence number accept it once.
 *
 * <p>The methods synchronise on the window: uncontended in the intended use (one event loop per inbound SA),
 * and correct when the pipeline spreads one SA over several threads.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.4.3">RFC 4303 §3.4.3</a>
 */
public final class ReplayWindow {
    /** {@link #check} result: new sequence number. */
    public static final int OK = 0;
    /** {@link #check} result: already received. */
    public static final int REPLAYED = 1;
    /** {@link #check} result: left of the window. */
    public static final int TOO_OLD = 2;

    private final int size;
    private final long[] words;
    private final int wordMask;
    private long top;

    /** @param size window size in packets (RFC 4303 §3.4.3: at least 32; 64 recommended); rounded up to 64 */
    public ReplayWindow(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("replay window must hold at least one packet, got " + size);
        }
        this.size = size;
        // One spare word, so that the window's oldest packet never shares a word with a slot being cleared.
        int n = Integer.highestOneBit(((size + 63) >>> 6) + 1);
        if (n < ((size + 63) >>> 6) + 1) {
            n <<= 1;
        }
        this.words = new long[n];
        this.wordMask = n - 1;
    }

    public int size() {
        return size;
    }

    /** The highest sequence number accepted so far (0 before the first). */
    public synchronized long top() {
        return top;
    }

    /**
     * Continues a manually keyed SA's window after a restart (its "life" is the life of its key, RFC 4303
     * §3.3.3): moves the top to {@code top} if that is ahead, and counts every number in the window below it as
     * received, because which of them arrived before the restart is not known. Numbers above {@code top} are
     * accepted as usual.
     */
    public synchronized void restore(long top) {
        if (Long.compareUnsigned(top, this.top) <= 0) {
            return;
        }
        java.util.Arrays.fill(words, -1L);
        // Bits above the top in its own word stand for numbers not yet received.
        int bit = (int) (top & 63);
        words[(int) (top >>> 6) & wordMask] = bit == 63 ? -1L : (1L << (bit + 1)) - 1;
        this.top = top;
    }

    /** Checks {@code seq} without recording it. */
    public synchronized int check(long seq) {
        if (Long.compareUnsigned(seq, top) > 0) {
            return OK;
        }
        if (Long.compareUnsigned(top - seq, size) >= 0) {
            return TOO_OLD;
        }
        return (words[(int) (seq >>> 6) & wordMask] & (1L << (seq & 63))) != 0 ? REPLAYED : OK;
    }

    /** Records {@code seq} after its ICV verified; returns the same codes as {@link #check}, recording only on {@link #OK}. */
    public synchronized int update(long seq) {
        int r = check(seq);
        if (r != OK) {
            return r;
        }
        if (Long.compareUnsigned(seq, top) > 0) {
            long fromWord = top >>> 6;
            long toWord = seq >>> 6;
            long diff = toWord - fromWord;
            if (Long.compareUnsigned(diff, words.length) >= 0) {
                java.util.Arrays.fill(words, 0L);
            } else {
                for (long w = fromWord + 1; w <= toWord; w++) {
                    words[(int) w & wordMask] = 0L;
                }
            }
            top = seq;
        }
        words[(int) (seq >>> 6) & wordMask] |= 1L << (seq & 63);
        return OK;
    }
}

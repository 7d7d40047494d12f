package net.poolsa.esp.replay;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The receiver's anti-replay window of one SA: a sliding bitmap over 64-bit sequence numbers, kept as a ring of
 * words so that sliding never shifts bits (RFC 6479). A packet is {@link #check checked} before its ICV is
 * verified and {@link #update recorded} only after, as RFC 4303 §3.4.3 requires.
 *
 * <p><b>Lock-free.</b> Any number of threads may check and record at once (one SA served by several event loops)
 * without a lock: each ring slot is one {@code long} holding a 32-bit block of the bitmap and, in its upper half,
 * the low 32 bits of the block's index ({@code seq >>> 5}), so a slot says which block it holds and sliding needs
 * no clearing pass: a slot still holding an older block is simply taken over. {@link #update} first raises the
 * top (compare-and-set), then sets the bit (compare-and-set on the slot), reading the top again after the slot:
 * since a block is written only after the top covers it, a slot found holding a newer block always comes with a
 * top that puts the number left of the window, so a bit that was taken over is never read as "not received".
 * The ring holds at least {@code size + 31} numbers, so a block is taken over only once it has left the window.
 *
 * <p>Each number is accepted at most once, and every number that is inside the window when it is first recorded is
 * accepted (ReplayWindowConcurrencyTest). The tag is 32 bits of a 59-bit block index: a slot that no packet
 * touched while the top moved 2^37 numbers (only a sender that skips whole ranges, with ESN) may read as holding a
 * number of that old block; that drops a packet as replayed, never accepts one twice.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.4.3">RFC 4303 §3.4.3</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc6479">RFC 6479</a>
 */
public final class ReplayWindow {
    /** {@link #check} result: new sequence number. */
    public static final int OK = 0;
    /** {@link #check} result: already received. */
    public static final int REPLAYED = 1;
    /** {@link #check} result: left of the window. */
    public static final int TOO_OLD = 2;

    private static final VarHandle TOP;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Numbers per slot: the lower half of the slot's long. */
    private static final int BLOCK_BITS = 5;
    private static final long BLOCK_MASK = (1L << (1 << BLOCK_BITS)) - 1;

    static {
        try {
            TOP = MethodHandles.lookup().findVarHandle(ReplayWindow.class, "top", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int size;
    private final long[] slots;
    private final int slotMask;
    private volatile long top;

    /** @param size window size in packets (RFC 4303 §3.4.3: at least 32; 64 recommended) */
    public ReplayWindow(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("replay window must hold at least one packet, got " + size);
        }
        this.size = size;
        // Room for the window plus a block: a block is reused only after its last number left the window.
        int needed = (int) (((long) size + (1 << BLOCK_BITS) - 1 + (1 << BLOCK_BITS) - 1) >>> BLOCK_BITS);
        int n = Integer.highestOneBit(needed);
        if (n < needed) {
            n <<= 1;
        }
        this.slots = new long[n];
        this.slotMask = n - 1;
    }

    public int size() {
        return size;
    }

    /** The highest sequence number accepted so far (0 before the first). */
    public long top() {
        return top;
    }

    /**
     * Continues a manually keyed SA's window after a restart (its "life" is the life of its key, RFC 4303
     * §3.3.3): moves the top to {@code top} if that is ahead, and counts every number in the window below it as
     * received, because which of them arrived before the restart is not known. Numbers above {@code top} are
     * accepted as usual. Called before the SA is visible to the data path.
     */
    public void restore(long top) {
        if (Long.compareUnsigned(top, this.top) <= 0) {
            return;
        }
        long topBlock = top >>> BLOCK_BITS;
        for (int i = 0; i < slots.length && i <= topBlock; i++) {
            long block = topBlock - i;
            // Bits above the top in its own block stand for numbers not yet received.
            int last = i == 0 ? (int) (top & 31) : 31;
            long bits = last == 31 ? BLOCK_MASK : (1L << (last + 1)) - 1;
            SLOTS.setVolatile(slots, (int) block & slotMask, (block << 32) | bits);
        }
        this.top = top;
    }

    /** Checks {@code seq} without recording it (before the ICV: a cheap early drop, {@link #update} decides). */
    public int check(long seq) {
        long t = top;
        if (Long.compareUnsigned(seq, t) > 0) {
            return OK;
        }
        if (Long.compareUnsigned(t - seq, size) >= 0) {
            return TOO_OLD;
        }
        long block = seq >>> BLOCK_BITS;
        long v = (long) SLOTS.getVolatile(slots, (int) block & slotMask);
        return (int) (v >>> 32) == (int) block && (v & (1L << (seq & 31))) != 0 ? REPLAYED : OK;
    }

    /** Records {@code seq} after its ICV verified; returns the same codes as {@link #check}, recording only on {@link #OK}. */
    public int update(long seq) {
        // The top first: whoever later finds this block in its slot also finds a top that covers it.
        long t = top;
        while (Long.compareUnsigned(seq, t) > 0 && !TOP.weakCompareAndSet(this, t, seq)) {
            t = top;
        }
        long block = seq >>> BLOCK_BITS;
        int tag = (int) block;
        int i = (int) block & slotMask;
        long bit = 1L << (seq & 31);
        while (true) {
            long v = (long) SLOTS.getVolatile(slots, i);
            if (Long.compareUnsigned(top - seq, size) >= 0) {
                return TOO_OLD; // read after the slot: the window moved past seq, perhaps taking its block over
            }
            long updated;
            if ((int) (v >>> 32) == tag) {
                if ((v & bit) != 0) {
                    return REPLAYED;
                }
                updated = v | bit;
            } else {
                updated = ((long) tag << 32) | bit; // an older block that has left the window (class comment)
            }
            if (SLOTS.compareAndSet(slots, i, v, updated)) {
                return OK;
            }
        }
    }
}

package net.poolsa.esp.replay;

/**
 * Sequence-number arithmetic of RFC 4303: the 32-bit counter and the 64-bit extended sequence number (ESN),
 * of which only the low half travels in the packet.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-2.2.1">RFC 4303 §2.2.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#appendix-A.2.2">RFC 4303 Appendix A2.2</a>
 */
public final class SequenceNumbers {
    /** The last sequence number a 32-bit SA may send. */
    public static final long MAX_32 = 0xFFFF_FFFFL;

    private SequenceNumbers() {
    }

    /**
     * Infers the high half of a received ESN from the low half {@code seqLow} and the window's top {@code top}
     * and size {@code window} (RFC 4303 Appendix A2.2): a low half inside the window belongs to the top's epoch
     * (or the previous one when the window straddles a wrap), one above it to the next epoch.
     */
    public static long inferEsn(int seqLow, long top, int window) {
        long tl = top & MAX_32;
        long th = top >>> 32;
        long sl = seqLow & MAX_32;
        long w = window;
        long sh;
        if (tl >= w - 1) {
            sh = sl >= tl - w + 1 ? th : th + 1;
        } else {
            long bottom = (tl - w + 1) & MAX_32;
            sh = sl >= bottom ? th - 1 : th;
            if (th == 0 && sh == -1L) {
                // Before the first wrap nothing lies below zero: the low half belongs to epoch 0.
                sh = 0;
            }
        }
        return (sh << 32) | sl;
    }
}

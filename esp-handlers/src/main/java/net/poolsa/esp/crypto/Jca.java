package net.poolsa.esp.crypto;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.Mac;

/**
 * Feeds ByteBuf regions to JCA objects through byte arrays, SunJCE's fast path: a buffer's own array when it has
 * one, else a reused scratch array (JDK 17's GCM on direct ByteBuffers measured ~1.7 us for 1400 bytes against
 * ~0.95 us through arrays, copies included). One instance per cipher, not thread-safe.
 */
final class Jca {
    private byte[] scratch;

    Jca() {
        this(2048);
    }

    /** @param scratchBytes the scratch array's first size (0: made on first use, for objects that may never need it) */
    Jca(int scratchBytes) {
        scratch = new byte[scratchBytes];
    }

    /**
     * {@code cipher.doFinal} from {@code in[inOff, inOff+inLen)} to {@code out} at {@code outOff} with room for
     * {@code outRoom} bytes; in and out may be the same region (in-place).
     */
    int doFinal(Cipher cipher, ByteBuf in, int inOff, int inLen, ByteBuf out, int outOff, int outRoom)
            throws GeneralSecurityException {
        if (in.hasArray() && out.hasArray()) {
            byte[] a = out.array();
            int o = out.arrayOffset() + outOff;
            if (in.array() == a && in.arrayOffset() + inOff != o) {
                // Pooled heap buffers share one chunk array: SunJCE treats input and output in the same array
                // at different offsets as overlapping and copies far more than the packet (seen: 0.3 ms). Move the
                // input to the output position and run in place instead.
                out.setBytes(outOff, in, inOff, inLen);
                return cipher.doFinal(a, o, inLen, a, o);
            }
            return cipher.doFinal(in.array(), in.arrayOffset() + inOff, inLen, a, o);
        }
        int need = Math.max(inLen, outRoom);
        if (scratch.length < need) {
            scratch = new byte[Math.max(need, scratch.length * 2)];
        }
        in.getBytes(inOff, scratch, 0, inLen);
        int n = cipher.doFinal(scratch, 0, inLen, scratch, 0);
        out.setBytes(outOff, scratch, 0, n);
        return n;
    }

    /** Zeroes the scratch array (it held plaintext). */
    void wipe() {
        java.util.Arrays.fill(scratch, (byte) 0);
    }

    /**
     * {@code mac.update} over {@code in[off, off+len)}: a heap buffer's own array, a direct buffer through the scratch
     * array (what the JDK would do with a direct ByteBuffer anyway, but without a ByteBuffer object per call).
     */
    void update(Mac mac, ByteBuf in, int off, int len) {
        if (in.hasArray()) {
            mac.update(in.array(), in.arrayOffset() + off, len);
            return;
        }
        if (scratch.length < len) {
            scratch = new byte[Math.max(len, scratch.length * 2)];
        }
        in.getBytes(off, scratch, 0, len);
        mac.update(scratch, 0, len);
    }
}

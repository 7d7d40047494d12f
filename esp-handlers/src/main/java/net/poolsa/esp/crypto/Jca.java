package net.poolsa.esp.crypto;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.Mac;

/** Feeds ByteBuf regions to JCA objects: arrays when the buffer has one (SunJCE's fastest path), NIO views otherwise. */
final class Jca {
    private Jca() {
    }

    /**
     * {@code cipher.doFinal} from {@code in[inOff, inOff+inLen)} to {@code out} at {@code outOff} with room for
     * {@code outRoom} bytes; in and out may be the same region (in-place).
     */
    static int doFinal(Cipher cipher, ByteBuf in, int inOff, int inLen, ByteBuf out, int outOff, int outRoom)
            throws GeneralSecurityException {
        if (in.hasArray() && out.hasArray()) {
            return cipher.doFinal(in.array(), in.arrayOffset() + inOff, inLen, out.array(), out.arrayOffset() + outOff);
        }
        ByteBuffer src = in.nioBuffer(inOff, inLen);
        ByteBuffer dst = out.nioBuffer(outOff, outRoom);
        return cipher.doFinal(src, dst);
    }

    static void update(Mac mac, ByteBuf in, int off, int len) {
        if (in.hasArray()) {
            mac.update(in.array(), in.arrayOffset() + off, len);
        } else {
            mac.update(in.nioBuffer(off, len));
        }
    }
}

package net.poolsa.esp.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.security.SecureRandom;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/**
 * AES-CBC + HMAC sealing and opening do not copy the packet into a new array per call: SunJCE does that for a
 * cipher run in place (1.5 KB for a 1,400-byte packet, then garbage), so the cipher writes into an array apart from
 * its input. Measured with the JVM's per-thread allocation counter (bytes, not time: independent of the machine's
 * load), the least of several warm rounds, so a runtime allocation of its own in one round does not count.
 * What is left per packet is the JCA's small objects (the IV spec and its copies, the key's copy, the digests).
 */
class CbcAllocationTest {
    private static final int PACKETS = 2000;
    private static final int LENGTH = 1408; // a 1,400-byte inner packet padded to the block

    @Test
    void aSealAndAnOpenOfAFullSizedPacketAllocateLessThanTheSizeOfThePacket() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] key = new byte[16];
        byte[] macKey = new byte[32];
        for (int i = 0; i < macKey.length; i++) {
            macKey[i] = (byte) i;
        }
        CbcHmacCipher sealer = new CbcHmacCipher(EspAlgorithm.AES_CBC, key, IntegrityAlgorithm.HMAC_SHA2_256_128, macKey,
                RandomSource.SYSTEM.newGenerator());
        CbcHmacCipher opener = new CbcHmacCipher(EspAlgorithm.AES_CBC, key, IntegrityAlgorithm.HMAC_SHA2_256_128, macKey,
                new SecureRandom());
        int espLength = 8 + 16 + LENGTH + 16;
        // Wrapped, not allocated: the tests' paranoid leak detector records every access to an allocated buffer.
        ByteBuf esp = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048));
        ByteBuf inner = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048));
        byte[] plain = new byte[LENGTH];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i * 7);
        }
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 6; round++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int p = 0; p < PACKETS; p++) {
                esp.clear();
                esp.writeInt(0x1001).writeInt(p + 1).writeZero(16).writeBytes(plain).writeZero(16);
                sealer.seal(esp, 0, LENGTH, p + 1, false);
                inner.clear();
                if (!opener.open(esp, 0, espLength, 0, false, inner)) {
                    throw new AssertionError("packet " + p + " did not open");
                }
            }
            least = Math.min(least, (mx.getCurrentThreadAllocatedBytes() - before) / PACKETS);
        }
        assertArrayEquals(plain, ByteBufUtil.getBytes(inner), "the last packet opened to what was sealed");
        assertTrue(least < LENGTH, "a seal and an open allocate " + least + " bytes, not less than the "
                + LENGTH + "-byte packet: the cipher copies its input");
        esp.release();
        inner.release();
        sealer.destroy();
        opener.destroy();
    }
}

package net.poolsa.esp.crypto;

import java.nio.ByteBuffer;
import java.security.SecureRandom;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The cost of an AES-128-CBC + HMAC-SHA-256-128 seal of a 1,400-byte packet with its IV from a bare DRBG (a request per
 * IV, as before {@link BufferedRandom}) and from {@link RandomSource#SYSTEM} (the DRBG read in blocks), alternating
 * in one JVM, and of an open; prints each round's ns per packet and the ratio (docs/benchmarks.md §2):
 * <pre>java -cp esp-handlers/target/classes:esp-handlers/target/test-classes:CLASSPATH net.poolsa.esp.crypto.CbcSealCostMain [ROUNDS]</pre>
 */
public final class CbcSealCostMain {
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        byte[] key = new byte[16];
        byte[] macKey = new byte[32];
        CbcHmacCipher perRequest = new CbcHmacCipher(EspAlgorithm.AES_CBC, key, IntegrityAlgorithm.HMAC_SHA2_256_128,
                macKey, SecureRandom.getInstance("DRBG"));
        CbcHmacCipher buffered = new CbcHmacCipher(EspAlgorithm.AES_CBC, key, IntegrityAlgorithm.HMAC_SHA2_256_128,
                macKey, RandomSource.SYSTEM.newGenerator());
        ByteBuf esp = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048));
        ByteBuf inner = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048));
        int n = 100_000;
        int length = 1408;
        int espLength = 8 + 16 + length + 16;
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                esp.clear().writerIndex(espLength);
                perRequest.seal(esp, 0, length, i, false);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                esp.clear().writerIndex(espLength);
                buffered.seal(esp, 0, length, i, false);
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                inner.clear();
                if (!buffered.open(esp, 0, espLength, 0, false, inner)) {
                    throw new IllegalStateException("the sealed packet did not open");
                }
            }
            long t3 = System.nanoTime();
            System.out.printf("round %d: seal, IV per DRBG request %.0f ns, IV from RandomSource.SYSTEM %.0f ns (%.2f); open %.0f ns%n",
                    round, (t1 - t0) / (double) n, (t2 - t1) / (double) n, (t2 - t1) / (double) (t1 - t0), (t3 - t2) / (double) n);
        }
    }
}

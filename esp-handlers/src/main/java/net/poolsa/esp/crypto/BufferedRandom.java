package net.poolsa.esp.crypto;

import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.util.Arrays;

/**
 * A generator that reads its source in blocks of {@value #BLOCK} bytes and hands them out in order. The JDK's
 * DRBG (Hash_DRBG, SHA-256) costs about 340 ns per request for a 16-byte CBC IV and about 37 ns per 16 bytes when
 * asked for 4 KB at once: most of a request's cost is per request (its lock, the reseed check, the state update
 * Hash_DRBG does after every request), not per byte. An AES-CBC + HMAC-SHA-256 seal of 1,400 bytes went from
 * 2.78-2.90 us to 2.44-2.76 us in one JVM ({@code CbcSealCostMain}, docs/benchmarks.md §2). The bytes handed out are exactly the source's stream, in order;
 * each is zeroed in the block once handed out, so no value already used (a fragment identification secret, say)
 * stays behind in it. One instance belongs to one thread, as every {@link RandomSource} generator does.
 */
final class BufferedRandom extends SecureRandom {
    static final int BLOCK = 4096;

    final Spi spi;

    private BufferedRandom(Spi spi) {
        super(spi, null);
        this.spi = spi;
    }

    BufferedRandom(SecureRandom source) {
        this(new Spi(source));
    }

    static final class Spi extends SecureRandomSpi {
        private final SecureRandom source;
        final byte[] block = new byte[BLOCK];
        private int next = BLOCK; // nothing drawn yet

        Spi(SecureRandom source) {
            this.source = source;
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
            source.setSeed(seed);
            Arrays.fill(block, next, BLOCK, (byte) 0);
            next = BLOCK; // what is drawn after a seed depends on it
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            int off = 0;
            while (off < bytes.length) {
                if (next == BLOCK) {
                    source.nextBytes(block);
                    next = 0;
                }
                int n = Math.min(bytes.length - off, BLOCK - next);
                System.arraycopy(block, next, bytes, off, n);
                Arrays.fill(block, next, next + n, (byte) 0);
                next += n;
                off += n;
            }
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            return source.generateSeed(numBytes);
        }
    }
}

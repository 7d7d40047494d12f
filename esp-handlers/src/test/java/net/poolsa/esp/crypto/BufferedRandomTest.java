package net.poolsa.esp.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;

import org.junit.jupiter.api.Test;

/**
 * The data plane's generators read their DRBG in blocks and hand out exactly its stream: a per-packet CBC IV is a copy,
 * not a DRBG request, and no byte is skipped, repeated or left behind once used.
 */
class BufferedRandomTest {
    /** A source whose stream is 0, 1, 2, ... (mod 256) across calls, counting its requests. */
    static final class CountingSource extends SecureRandom {
        int requests;
        int produced;

        @Override
        public void nextBytes(byte[] bytes) {
            requests++;
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) produced++;
            }
        }

        @Override
        public void setSeed(byte[] seed) {
            // The stream goes on where it was: the test checks that the buffered block is dropped, not the source.
        }
    }

    @Test
    void theSystemSourceGivesBufferedGenerators() {
        assertInstanceOf(BufferedRandom.class, RandomSource.SYSTEM.newGenerator());
    }

    @Test
    void aThousandIvsCostFourRequestsOfTheSource() {
        CountingSource source = new CountingSource();
        SecureRandom r = new BufferedRandom(source);
        byte[] iv = new byte[16];
        for (int i = 0; i < 1000; i++) {
            r.nextBytes(iv);
        }
        assertEquals(4, source.requests, "16,000 bytes in blocks of " + BufferedRandom.BLOCK);
    }

    @Test
    void itHandsOutTheSourcesStreamInOrderAcrossBlocks() {
        CountingSource source = new CountingSource();
        SecureRandom r = new BufferedRandom(source);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int total = 0;
        for (int size : new int[] {16, 4, 8, 4093, 1, 5000, 16, 12_000, 3}) {
            byte[] b = new byte[size];
            r.nextBytes(b);
            got.writeBytes(b);
            total += size;
        }
        byte[] expected = new byte[total];
        for (int i = 0; i < total; i++) {
            expected[i] = (byte) i;
        }
        assertArrayEquals(expected, got.toByteArray());
        assertEquals((total + BufferedRandom.BLOCK - 1) / BufferedRandom.BLOCK, source.requests);
    }

    @Test
    void whatWasHandedOutIsZeroedInTheBlock() {
        CountingSource source = new CountingSource();
        BufferedRandom r = new BufferedRandom(source);
        byte[] secret = new byte[100];
        r.nextBytes(secret);
        byte[] block = r.spi.block;
        for (int i = 0; i < 100; i++) {
            assertEquals(0, block[i], "byte " + i + " was handed out");
        }
        assertEquals((byte) 100, block[100], "the rest is still to be handed out");
    }

    @Test
    void aSeedDropsTheBufferedBytes() {
        CountingSource source = new CountingSource();
        BufferedRandom r = new BufferedRandom(source);
        r.nextBytes(new byte[16]);
        r.setSeed(new byte[] {1});
        byte[] b = new byte[1];
        r.nextBytes(b);
        assertEquals(2, source.requests, "the bytes after a seed are drawn after it");
        assertEquals((byte) BufferedRandom.BLOCK, b[0], "the first byte of the source's second block");
    }
}

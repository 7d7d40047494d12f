package net.poolsa.esp.crypto;

import java.security.SecureRandom;
import java.security.SecureRandomSpi;

/**
 * A {@link RandomSource} for tests that replay known bytes: every generator it makes hands out {@code stream} from
 * its start, in order, and fails once the test drew more than the stream holds.
 */
public final class ReplayingRandom {
    private ReplayingRandom() {
    }

    public static RandomSource of(byte[] stream) {
        return () -> new SecureRandom(new SecureRandomSpi() {
            private int at;

            @Override
            protected void engineSetSeed(byte[] seed) {
                // a replay ignores seeds
            }

            @Override
            protected void engineNextBytes(byte[] bytes) {
                if (at + bytes.length > stream.length) {
                    throw new IllegalStateException("the replayed random bytes are used up");
                }
                System.arraycopy(stream, at, bytes, 0, bytes.length);
                at += bytes.length;
            }

            @Override
            protected byte[] engineGenerateSeed(int numBytes) {
                throw new IllegalStateException("a replay has no seed to give");
            }
        }, null) {
        };
    }
}

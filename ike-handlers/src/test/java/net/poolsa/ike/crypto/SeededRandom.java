package net.poolsa.ike.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** A deterministic {@link IkeRandom} for tests: SHA-256(seed | counter) blocks, so a run can be replayed. */
final class SeededRandom implements IkeRandom {
    private final byte[] seed;
    private long counter;

    SeededRandom(String seed) {
        this.seed = seed.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void nextBytes(byte[] out) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (int off = 0; off < out.length; off += 32) {
                md.update(seed);
                md.update(Long.toString(counter++).getBytes(StandardCharsets.US_ASCII));
                byte[] block = md.digest();
                System.arraycopy(block, 0, out, off, Math.min(32, out.length - off));
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package net.poolsa.esp.crypto;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A raw secret key whose bytes this code owns and can zero. JDK 17's {@code SecretKeySpec} cannot be
 * destroyed ({@code destroy()} throws), so SA keys are wrapped here instead. The JCA provider still copies
 * the bytes into its own key schedule when a cipher is initialised: {@link EspCipher#destroy()} overwrites
 * that by re-initialising with a zero key, on which SunJCE zeroes the schedule and key copies it replaces (GCM's
 * remembered last key only on an init for encryption). The appliance's CipherWipeHeapDumpTest checks every
 * algorithm in a heap dump; another provider may keep copies this cannot reach.
 */
public final class WipeableKey implements SecretKey {
    private static final long serialVersionUID = 1L;
    private final String algorithm;
    private final byte[] key;
    private volatile boolean destroyed;

    public WipeableKey(String algorithm, byte[] source, int offset, int length) {
        this.algorithm = algorithm;
        this.key = Arrays.copyOfRange(source, offset, offset + length);
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** A copy, as the {@link java.security.Key} contract wants; providers copy it into their key schedule. */
    @Override
    public byte[] getEncoded() {
        if (destroyed) {
            throw new IllegalStateException("key destroyed");
        }
        return key.clone();
    }

    public int length() {
        return key.length;
    }

    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    /** Never prints key bytes. */
    @Override
    public String toString() {
        return algorithm + "/" + key.length * 8;
    }
}

package net.poolsa.appliance.config;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Key material read from a secret file. Two secrets are equal when their SHA-256 fingerprints are, so a
 * reload can tell whether a key changed without keeping a second copy, also after {@link #destroy()} wiped the
 * bytes (which the appliance does as soon as the SAs hold their own copies); {@link #toString()} never shows
 * the bytes.
 */
public final class Secret {
    private final byte[] bytes;
    private final byte[] fingerprint;
    private volatile boolean destroyed;

    public Secret(byte[] bytes) {
        this.bytes = bytes.clone();
        try {
            this.fingerprint = MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /**
     * A copy of the key bytes: the caller (an SA's SaKeys) owns and zeroes it.
     *
     * @throws IllegalStateException after {@link #destroy()}
     */
    public byte[] copy() {
        if (destroyed) {
            throw new IllegalStateException("the key was wiped once its SAs had their copies; reload the configuration to read it again");
        }
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    /** Zeroes the bytes held here (after the SAs have taken their own copies); equality still works. */
    public void destroy() {
        destroyed = true;
        Arrays.fill(bytes, (byte) 0);
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && MessageDigest.isEqual(fingerprint, s.fingerprint);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(fingerprint);
    }

    @Override
    public String toString() {
        return "Secret[" + bytes.length + " bytes]";
    }
}

package net.poolsa.esp.sa;

import java.util.Arrays;

import net.poolsa.esp.crypto.EspAlgorithm;

/**
 * Algorithms and key material of one SA. The SA model treats them as opaque: the transform layer
 * interprets the algorithm names. Keys are copied in, never printed, and zeroed by {@link #destroy()}.
 */
public final class SaKeys {
    private final String encryptionAlgorithm;
    private final byte[] encryptionKey;
    private final String integrityAlgorithm;
    private final byte[] integrityKey;
    private volatile boolean destroyed;

    /**
     * @param encryptionAlgorithm e.g. "aes-gcm-16", "aes-cbc", "null"; "none" for AH
     * @param encryptionKey       key (for AEAD, key then salt, as RFC 4106 keying material)
     * @param integrityAlgorithm  e.g. "hmac-sha2-256-128"; "none" with an AEAD or for encryption only
     * @param integrityKey        key, empty when there is no integrity algorithm
     */
    public SaKeys(String encryptionAlgorithm, byte[] encryptionKey, String integrityAlgorithm, byte[] integrityKey) {
        if (encryptionAlgorithm == null || encryptionAlgorithm.isBlank()) {
            throw new IllegalArgumentException("encryption algorithm must be named (\"none\" for AH)");
        }
        if (integrityAlgorithm == null || integrityAlgorithm.isBlank()) {
            throw new IllegalArgumentException("integrity algorithm must be named (\"none\" when there is none)");
        }
        this.encryptionAlgorithm = encryptionAlgorithm;
        this.encryptionKey = encryptionKey == null ? new byte[0] : encryptionKey.clone();
        this.integrityAlgorithm = integrityAlgorithm;
        this.integrityKey = integrityKey == null ? new byte[0] : integrityKey.clone();
    }

    public String encryptionAlgorithm() {
        return encryptionAlgorithm;
    }

    public String integrityAlgorithm() {
        return integrityAlgorithm;
    }

    /** The live encryption key array (not a copy), for building cipher contexts; do not keep or log it. */
    public byte[] encryptionKey() {
        checkAlive();
        return encryptionKey;
    }

    /** The live integrity key array (not a copy); do not keep or log it. */
    public byte[] integrityKey() {
        checkAlive();
        return integrityKey;
    }

    private void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("key material of this SA was destroyed");
        }
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    /** Zeroes the key material; later reads of the keys fail. */
    public void destroy() {
        destroyed = true;
        Arrays.fill(encryptionKey, (byte) 0);
        Arrays.fill(integrityKey, (byte) 0);
    }

    /**
     * Names the algorithms and key sizes only: key bytes never reach a log. The size is the cipher key's, without
     * an AEAD's salt ({@code aes-gcm-16/128}, not /160: the salt is part of the nonce, RFC 4106 §8.1).
     */
    @Override
    public String toString() {
        EspAlgorithm a = EspAlgorithm.of(encryptionAlgorithm);
        int bits = a == null ? encryptionKey.length * 8 : a.keyBits(encryptionKey.length);
        return encryptionAlgorithm + "/" + bits + " " + integrityAlgorithm + "/" + (integrityKey.length * 8);
    }
}

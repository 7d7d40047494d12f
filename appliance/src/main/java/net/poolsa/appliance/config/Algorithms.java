package net.poolsa.appliance.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The ESP/AH algorithm names the transform layer understands ({@code SaKeys} names), with their key sizes
 * in bytes. AEAD keys include the 4-byte salt (RFC 4106 §8.1, RFC 7634 §2).
 */
public final class Algorithms {
    /** Encryption algorithm name to allowed key lengths in bytes. */
    public static final Map<String, Set<Integer>> ENCRYPTION = new LinkedHashMap<>();
    /** Integrity algorithm name to its key length in bytes (RFC 2404, RFC 4868 §2.1.1). */
    public static final Map<String, Integer> INTEGRITY = new LinkedHashMap<>();
    /** AEAD algorithms: integrity must be "none" with them (RFC 4303 §3.2.3). */
    public static final Set<String> AEAD = Set.of("aes-gcm-16", "chacha20-poly1305");

    static {
        ENCRYPTION.put("aes-gcm-16", Set.of(20, 28, 36));
        ENCRYPTION.put("chacha20-poly1305", Set.of(36));
        ENCRYPTION.put("aes-cbc", Set.of(16, 24, 32));
        ENCRYPTION.put("3des-cbc", Set.of(24));
        ENCRYPTION.put("null", Set.of(0));
        INTEGRITY.put("hmac-sha1-96", 20);
        INTEGRITY.put("hmac-sha2-256-128", 32);
        INTEGRITY.put("hmac-sha2-384-192", 48);
        INTEGRITY.put("hmac-sha2-512-256", 64);
        INTEGRITY.put("none", 0);
    }

    private Algorithms() {
    }
}

package net.poolsa.esp.crypto;

import java.util.Locale;

/**
 * ESP/AH integrity algorithms, by the names {@link net.poolsa.esp.sa.SaKeys} carries (case-insensitive):
 * <ul>
 *   <li>{@code "hmac-sha1-96"}: 20-byte key, 12-byte ICV (<a href="https://www.rfc-editor.org/rfc/rfc2404">RFC 2404</a>);</li>
 *   <li>{@code "hmac-sha2-256-128"}, {@code "hmac-sha2-384-192"}, {@code "hmac-sha2-512-256"}: keys of 32/48/64
 *       bytes, ICVs of 16/24/32 bytes (<a href="https://www.rfc-editor.org/rfc/rfc4868#section-2.1">RFC 4868 §2.1</a>);</li>
 *   <li>{@code "none"}: no separate integrity (AEAD, or confidentiality-only ESP).</li>
 * </ul>
 */
public enum IntegrityAlgorithm {
    HMAC_SHA1_96("hmac-sha1-96", "HmacSHA1", 20, 12),
    HMAC_SHA2_256_128("hmac-sha2-256-128", "HmacSHA256", 32, 16),
    HMAC_SHA2_384_192("hmac-sha2-384-192", "HmacSHA384", 48, 24),
    HMAC_SHA2_512_256("hmac-sha2-512-256", "HmacSHA512", 64, 32),
    NONE("none", null, 0, 0);

    private final String ikeName;
    private final String jcaName;
    private final int keyLength;
    private final int icvLength;

    IntegrityAlgorithm(String ikeName, String jcaName, int keyLength, int icvLength) {
        this.ikeName = ikeName;
        this.jcaName = jcaName;
        this.keyLength = keyLength;
        this.icvLength = icvLength;
    }

    /** The algorithm for a name of {@link net.poolsa.esp.sa.SaKeys}, or null when unknown. */
    public static IntegrityAlgorithm of(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (IntegrityAlgorithm a : values()) {
            if (a.ikeName.equals(n)) {
                return a;
            }
        }
        return null;
    }

    public String ikeName() {
        return ikeName;
    }

    public String jcaName() {
        return jcaName;
    }

    /** The key length the RFC prescribes (RFC 4868 §2.1.1: key length equals the hash output length). */
    public int keyLength() {
        return keyLength;
    }

    /** Truncated ICV length on the wire. */
    public int icvLength() {
        return icvLength;
    }
}

package net.poolsa.esp.crypto;

import java.util.Locale;

/**
 * ESP/AH integrity algorithms: the other half of poolsa's algorithm table (with {@link EspAlgorithm}; the
 * decisions are in {@link IpsecAlgorithms}). Canonical names are those {@link net.poolsa.esp.sa.SaKeys} carries
 * (case-insensitive); setkey(8) files use the alias in parentheses:
 * <ul>
 *   <li>{@code "hmac-sha1-96"} ({@code hmac-sha1}): 20-byte key, 12-byte ICV
 *       (<a href="https://www.rfc-editor.org/rfc/rfc2404">RFC 2404</a>);</li>
 *   <li>{@code "hmac-sha2-256-128"}, {@code "hmac-sha2-384-192"}, {@code "hmac-sha2-512-256"} ({@code hmac-sha256},
 *       {@code hmac-sha384}, {@code hmac-sha512}): keys of 32/48/64 bytes, ICVs of 16/24/32 bytes
 *       (<a href="https://www.rfc-editor.org/rfc/rfc4868#section-2.1">RFC 4868 §2.1</a>);</li>
 *   <li>{@code "none"}: no separate integrity (AEAD, or confidentiality-only ESP).</li>
 * </ul>
 */
public enum IntegrityAlgorithm {
    HMAC_SHA1_96("hmac-sha1-96", "hmac-sha1", "HmacSHA1", 20, 12),
    HMAC_SHA2_256_128("hmac-sha2-256-128", "hmac-sha256", "HmacSHA256", 32, 16),
    HMAC_SHA2_384_192("hmac-sha2-384-192", "hmac-sha384", "HmacSHA384", 48, 24),
    HMAC_SHA2_512_256("hmac-sha2-512-256", "hmac-sha512", "HmacSHA512", 64, 32),
    NONE("none", null, null, 0, 0);

    private final String ikeName;
    private final String setkeyName;
    private final String jcaName;
    private final int keyLength;
    private final int icvLength;

    IntegrityAlgorithm(String ikeName, String setkeyName, String jcaName, int keyLength, int icvLength) {
        this.ikeName = ikeName;
        this.setkeyName = setkeyName;
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

    /**
     * The algorithm for a setkey(8) {@code -A} name: its setkey name ({@code hmac-sha256}) or the canonical one;
     * null when unknown ("none" is not an {@code -A} algorithm).
     */
    public static IntegrityAlgorithm ofSetkey(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (IntegrityAlgorithm a : values()) {
            if (n.equals(a.setkeyName)) {
                return a;
            }
        }
        IntegrityAlgorithm a = of(n);
        return a == NONE ? null : a;
    }

    public String ikeName() {
        return ikeName;
    }

    /** The name setkey(8) uses, null for "none". */
    public String setkeyName() {
        return setkeyName;
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

package net.poolsa.ike.crypto;

/**
 * The phase-1 Encryption Algorithm attribute values this code offers. RFC 4109 makes 3DES-CBC a MUST and
 * AES-128-CBC a SHOULD; AES takes its key size from the Key Length attribute (RFC 3602 §5.3: 128, 192 or
 * 256 bits), 3DES always has 192 bits (of which 168 are key bits).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-A">RFC 2409 Appendix A</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4109">RFC 4109 (algorithms for IKEv1)</a>
 */
public enum IkeCipher {
    TRIPLE_DES_CBC(5, "DESede/CBC/NoPadding", "DESede", 8, 192),
    AES_CBC(7, "AES/CBC/NoPadding", "AES", 16, 128, 192, 256);

    private final int code;
    private final String transformation;
    private final String keyAlgorithm;
    private final int blockSize;
    private final int[] keyBits;

    IkeCipher(int code, String transformation, String keyAlgorithm, int blockSize, int... keyBits) {
        this.code = code;
        this.transformation = transformation;
        this.keyAlgorithm = keyAlgorithm;
        this.blockSize = blockSize;
        this.keyBits = keyBits;
    }

    /** The cipher for an Encryption Algorithm attribute value, or null when this code does not offer it. */
    public static IkeCipher ofCode(int code) {
        for (IkeCipher c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    public int code() {
        return code;
    }

    /** Also the length of every phase-1 and phase-2 IV (RFC 2409 Appendix B). */
    public int blockSize() {
        return blockSize;
    }

    /** True when {@code bits} is a key size of this cipher. */
    public boolean allowsKeyBits(int bits) {
        for (int k : keyBits) {
            if (k == bits) {
                return true;
            }
        }
        return false;
    }

    /**
     * The key size when the proposal carries no Key Length attribute: 192 bits for 3DES, none for AES, whose
     * Key Length attribute is mandatory (RFC 3602 §5.3), so this returns 0 for it.
     */
    public int defaultKeyBits() {
        return keyBits.length == 1 ? keyBits[0] : 0;
    }

    String transformation() {
        return transformation;
    }

    String keyAlgorithm() {
        return keyAlgorithm;
    }
}

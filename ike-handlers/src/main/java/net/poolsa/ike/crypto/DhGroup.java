package net.poolsa.ike.crypto;

/**
 * The Diffie-Hellman groups this code offers in phase 1 and for Quick Mode PFS, by their IKEv1 Group
 * Description attribute value (the IANA registry IKEv2 shares): RFC 4109 makes group 2 a MUST and group 14
 * a SHOULD; 15 is the next MODP size, 19 and 20 are the NIST curves of RFC 5903, 31 is Curve25519 (RFC 8031).
 *
 * <p>Wire formats: a MODP public value is g^x mod p as an unsigned big-endian number left-padded with zeros
 * to the length of p (RFC 2409 §5: the KE value "MUST be the length of the negotiated Diffie-Hellman group");
 * the shared secret likewise. An ECP public value is x | y, each coordinate padded to the field size, with no
 * 0x04 point-format octet (RFC 5903 §7), and the shared secret is the x coordinate of the shared point (RFC
 * 5903 §9). A Curve25519 public value and shared secret are 32 bytes in X25519's little-endian encoding (RFC
 * 8031 §2, RFC 7748 §5).
 *
 * <p>Private values come from the {@link IkeRandom} given to {@link #generate}, so that a test can replay an
 * exchange. Peer values are validated (MODP 1 &lt; y &lt; p-1; ECP on the curve; X25519 shared secret not all
 * zero): a bad one is an {@link IkeCryptoException} with INVALID-KEY-INFORMATION.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-6.2">RFC 2409 §6.2 (group 2)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3526">RFC 3526 (groups 14 and 15)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5903">RFC 5903 (groups 19 and 20)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8031">RFC 8031 (group 31)</a>
 */
public enum DhGroup {
    MODP_1024(2, 128, 128),
    MODP_2048(14, 256, 256),
    MODP_3072(15, 384, 384),
    ECP_256(19, 64, 32),
    ECP_384(20, 96, 48),
    CURVE25519(31, 32, 32);

    private final int code;
    private final int publicValueLength;
    private final int sharedSecretLength;

    DhGroup(int code, int publicValueLength, int sharedSecretLength) {
        this.code = code;
        this.publicValueLength = publicValueLength;
        this.sharedSecretLength = sharedSecretLength;
    }

    /** The group for a Group Description attribute value, or null when this code does not offer it. */
    public static DhGroup ofCode(int code) {
        for (DhGroup g : values()) {
            if (g.code == code) {
                return g;
            }
        }
        return null;
    }

    public int code() {
        return code;
    }

    /** Bytes of the KE payload's data. */
    public int publicValueLength() {
        return publicValueLength;
    }

    /** Bytes of g^xy as it enters SKEYID and KEYMAT. */
    public int sharedSecretLength() {
        return sharedSecretLength;
    }

    /** A fresh key pair whose private value is drawn from {@code random}. */
    public DhKeyPair generate(IkeRandom random) {
        switch (this) {
            case MODP_1024:
            case MODP_2048:
            case MODP_3072:
                return ModpKeyPair.generate(this, random);
            case ECP_256:
            case ECP_384:
                return EcpKeyPair.generate(this, random);
            case CURVE25519:
                return X25519KeyPair.generate(random);
            default:
                throw new IllegalStateException("no key pair for " + this);
        }
    }

    /**
     * The key pair of a known private value (big-endian exponent or scalar for MODP and ECP, X25519's 32-byte
     * little-endian scalar): for known-answer tests. The bytes are copied.
     */
    DhKeyPair fromPrivateValue(byte[] privateValue) {
        switch (this) {
            case MODP_1024:
            case MODP_2048:
            case MODP_3072:
                return new ModpKeyPair(this, privateValue);
            case ECP_256:
            case ECP_384:
                return new EcpKeyPair(this, privateValue);
            case CURVE25519:
                return new X25519KeyPair(privateValue);
            default:
                throw new IllegalStateException("no key pair for " + this);
        }
    }
}

package net.poolsa.ike.message;

/**
 * Values of the IKE phase-1 SA attributes (the attributes of a KEY_IKE transform): the numbers the Main
 * Mode code offers and accepts. Names for log lines are in {@link AttributeType}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-A">RFC 2409 Appendix A</a>
 * @see <a href="https://www.iana.org/assignments/ipsec-registry/ipsec-registry.xhtml">IANA IPsec registry</a>
 */
public final class IkeAttributeValues {
    // Encryption Algorithm
    public static final int ENCR_DES_CBC = 1;
    public static final int ENCR_3DES_CBC = 5;
    /** RFC 3602 with IKE: key length in the Key Length attribute (128, 192, 256). */
    public static final int ENCR_AES_CBC = 7;

    // Hash Algorithm
    public static final int HASH_MD5 = 1;
    public static final int HASH_SHA1 = 2;
    /** RFC 4868 section 2.7 (SHA2 in IKEv1 phase 1). */
    public static final int HASH_SHA2_256 = 4;
    public static final int HASH_SHA2_384 = 5;
    public static final int HASH_SHA2_512 = 6;

    // Authentication Method
    public static final int AUTH_PRE_SHARED_KEY = 1;
    public static final int AUTH_DSS_SIGNATURES = 2;
    public static final int AUTH_RSA_SIGNATURES = 3;
    public static final int AUTH_RSA_ENCRYPTION = 4;
    public static final int AUTH_RSA_REVISED_ENCRYPTION = 5;
    /** RFC 4754 section 3. */
    public static final int AUTH_ECDSA_SHA256_P256 = 9;
    public static final int AUTH_ECDSA_SHA384_P384 = 10;
    public static final int AUTH_ECDSA_SHA512_P521 = 11;

    // Group Description (the IANA Diffie-Hellman group numbers)
    public static final int GROUP_MODP_768 = 1;
    public static final int GROUP_MODP_1024 = 2;
    public static final int GROUP_MODP_1536 = 5;
    public static final int GROUP_MODP_2048 = 14;
    public static final int GROUP_MODP_3072 = 15;
    public static final int GROUP_MODP_4096 = 16;
    public static final int GROUP_MODP_6144 = 17;
    public static final int GROUP_MODP_8192 = 18;
    public static final int GROUP_ECP_256 = 19;
    public static final int GROUP_ECP_384 = 20;
    public static final int GROUP_ECP_521 = 21;
    /** RFC 8031. */
    public static final int GROUP_CURVE25519 = 31;

    // Life Type (the same numbers as the IPsec SA Life Type)
    public static final int LIFE_SECONDS = 1;
    public static final int LIFE_KILOBYTES = 2;

    private IkeAttributeValues() {
    }
}

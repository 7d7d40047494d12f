package net.poolsa.ike.message;

/**
 * Values of the IPsec DOI phase-2 SA attributes (the attributes of an AH, ESP or IPCOMP transform in
 * Quick Mode). Names for log lines are in {@link AttributeType}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.5">RFC 2407 section 4.5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-5.1">RFC 3947 section 5.1 (UDP encapsulation)</a>
 */
public final class IpsecAttributeValues {
    // SA Life Type
    public static final int LIFE_SECONDS = 1;
    public static final int LIFE_KILOBYTES = 2;

    // Encapsulation Mode
    public static final int ENCAPSULATION_TUNNEL = 1;
    public static final int ENCAPSULATION_TRANSPORT = 2;
    /** RFC 3947 section 5.1. */
    public static final int ENCAPSULATION_UDP_TUNNEL = 3;
    public static final int ENCAPSULATION_UDP_TRANSPORT = 4;
    /** draft-ietf-ipsec-nat-t-ike-00 to -03, still sent by strongSwan to a peer that announced only a draft. */
    public static final int ENCAPSULATION_UDP_TUNNEL_DRAFT = 61443;
    public static final int ENCAPSULATION_UDP_TRANSPORT_DRAFT = 61444;

    // Authentication Algorithm
    public static final int AUTH_HMAC_MD5 = 1;
    public static final int AUTH_HMAC_SHA1 = 2;
    public static final int AUTH_DES_MAC = 3;
    public static final int AUTH_KPDK = 4;
    /** RFC 4868 section 2.4. */
    public static final int AUTH_HMAC_SHA2_256 = 5;
    public static final int AUTH_HMAC_SHA2_384 = 6;
    public static final int AUTH_HMAC_SHA2_512 = 7;
    public static final int AUTH_HMAC_RIPEMD = 8;
    public static final int AUTH_AES_XCBC_MAC = 9;
    public static final int AUTH_SIG_RSA = 10;
    public static final int AUTH_AES_128_GMAC = 11;
    public static final int AUTH_AES_192_GMAC = 12;
    public static final int AUTH_AES_256_GMAC = 13;

    /** Extended (64-bit) Sequence Number, RFC 4304 section 2: the one value of the ESN attribute. */
    public static final int ESN_64_BIT = 1;

    private IpsecAttributeValues() {
    }
}

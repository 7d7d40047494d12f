package net.poolsa.ike.message;

import static java.util.Map.entry;

import java.util.Map;

/**
 * The type of an SA data attribute, an open registry in two spaces: the attributes of an IKE phase-1
 * transform (RFC 2409 Appendix A) and those of an IPsec DOI phase-2 transform (RFC 2407 section 4.5)
 * share numbers with different meanings, so a value carries its {@link Space} and two values are equal
 * only in the same space. Each known type also says whether the RFC lists it as Basic (always sent in
 * the 2-byte TV form) or Variable, and names its known values for log lines.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-A">RFC 2409 Appendix A</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.5">RFC 2407 section 4.5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-5.1">RFC 3947 section 5.1</a>
 */
public final class AttributeType extends RegistryValue {
    /** Which transform the attribute belongs to. */
    public enum Space {
        /** A KEY_IKE transform of a phase-1 (protocol ISAKMP) proposal. */
        IKE,
        /** An AH, ESP or IPCOMP transform of a Quick Mode proposal. */
        IPSEC;

        /** The space of the attributes of a proposal for {@code protocol}. */
        public static Space of(ProtocolId protocol) {
            return protocol.equals(ProtocolId.ISAKMP) ? IKE : IPSEC;
        }
    }

    /** The encoding RFC 2409 Appendix A and RFC 2407 section 4.5 assign to a type. */
    public enum Form {
        /** "B": MUST be sent as TV (RFC 2409 Appendix A: "MUST NOT be encoded as variable"). */
        BASIC,
        /** "V": TLV, or TV if the value fits two bytes. */
        VARIABLE
    }

    private static final Table<AttributeType> IKE_TYPES = new Table<>();
    private static final Table<AttributeType> IPSEC_TYPES = new Table<>();

    private static final Map<Integer, String> LIFE_TYPES = Map.of(1, "seconds", 2, "kilobytes");
    private static final Map<Integer, String> GROUPS = Map.ofEntries(entry(1, "MODP-768"), entry(2, "MODP-1024"),
            entry(5, "MODP-1536"), entry(14, "MODP-2048"), entry(15, "MODP-3072"), entry(16, "MODP-4096"),
            entry(17, "MODP-6144"), entry(18, "MODP-8192"), entry(19, "ECP-256"), entry(20, "ECP-384"),
            entry(21, "ECP-521"), entry(31, "Curve25519"));

    public static final AttributeType IKE_ENCRYPTION_ALGORITHM = ike(1, "Encryption-Algorithm", Form.BASIC,
            Map.of(IkeAttributeValues.ENCR_DES_CBC, "DES-CBC", IkeAttributeValues.ENCR_3DES_CBC, "3DES-CBC",
                    IkeAttributeValues.ENCR_AES_CBC, "AES-CBC"));
    public static final AttributeType IKE_HASH_ALGORITHM = ike(2, "Hash-Algorithm", Form.BASIC,
            Map.of(IkeAttributeValues.HASH_MD5, "MD5", IkeAttributeValues.HASH_SHA1, "SHA", IkeAttributeValues.HASH_SHA2_256,
                    "SHA2-256", IkeAttributeValues.HASH_SHA2_384, "SHA2-384", IkeAttributeValues.HASH_SHA2_512, "SHA2-512"));
    public static final AttributeType IKE_AUTHENTICATION_METHOD = ike(3, "Authentication-Method", Form.BASIC,
            Map.of(IkeAttributeValues.AUTH_PRE_SHARED_KEY, "pre-shared key", IkeAttributeValues.AUTH_DSS_SIGNATURES,
                    "DSS signatures", IkeAttributeValues.AUTH_RSA_SIGNATURES, "RSA signatures",
                    IkeAttributeValues.AUTH_RSA_ENCRYPTION, "RSA encryption", IkeAttributeValues.AUTH_RSA_REVISED_ENCRYPTION,
                    "revised RSA encryption", IkeAttributeValues.AUTH_ECDSA_SHA256_P256, "ECDSA SHA-256 P-256",
                    IkeAttributeValues.AUTH_ECDSA_SHA384_P384, "ECDSA SHA-384 P-384",
                    IkeAttributeValues.AUTH_ECDSA_SHA512_P521, "ECDSA SHA-512 P-521"));
    public static final AttributeType IKE_GROUP_DESCRIPTION = ike(4, "Group-Description", Form.BASIC, GROUPS);
    public static final AttributeType IKE_GROUP_TYPE = ike(5, "Group-Type", Form.BASIC,
            Map.of(1, "MODP", 2, "ECP", 3, "EC2N"));
    public static final AttributeType IKE_GROUP_PRIME = ike(6, "Group-Prime", Form.VARIABLE, Map.of());
    public static final AttributeType IKE_GROUP_GENERATOR_ONE = ike(7, "Group-Generator-One", Form.VARIABLE, Map.of());
    public static final AttributeType IKE_GROUP_GENERATOR_TWO = ike(8, "Group-Generator-Two", Form.VARIABLE, Map.of());
    public static final AttributeType IKE_GROUP_CURVE_A = ike(9, "Group-Curve-A", Form.VARIABLE, Map.of());
    public static final AttributeType IKE_GROUP_CURVE_B = ike(10, "Group-Curve-B", Form.VARIABLE, Map.of());
    public static final AttributeType IKE_LIFE_TYPE = ike(11, "Life-Type", Form.BASIC, LIFE_TYPES);
    public static final AttributeType IKE_LIFE_DURATION = ike(12, "Life-Duration", Form.VARIABLE, Map.of());
    public static final AttributeType IKE_PRF = ike(13, "PRF", Form.BASIC, Map.of());
    public static final AttributeType IKE_KEY_LENGTH = ike(14, "Key-Length", Form.BASIC, Map.of());
    public static final AttributeType IKE_FIELD_SIZE = ike(15, "Field-Size", Form.BASIC, Map.of());
    public static final AttributeType IKE_GROUP_ORDER = ike(16, "Group-Order", Form.VARIABLE, Map.of());

    public static final AttributeType IPSEC_SA_LIFE_TYPE = ipsec(1, "SA-Life-Type", Form.BASIC, LIFE_TYPES);
    public static final AttributeType IPSEC_SA_LIFE_DURATION = ipsec(2, "SA-Life-Duration", Form.VARIABLE, Map.of());
    public static final AttributeType IPSEC_GROUP_DESCRIPTION = ipsec(3, "Group-Description", Form.BASIC, GROUPS);
    public static final AttributeType IPSEC_ENCAPSULATION_MODE = ipsec(4, "Encapsulation-Mode", Form.BASIC,
            Map.of(IpsecAttributeValues.ENCAPSULATION_TUNNEL, "Tunnel", IpsecAttributeValues.ENCAPSULATION_TRANSPORT,
                    "Transport", IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL, "UDP-Encapsulated-Tunnel",
                    IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT, "UDP-Encapsulated-Transport",
                    IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL_DRAFT, "UDP-Encapsulated-Tunnel (draft)",
                    IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT_DRAFT, "UDP-Encapsulated-Transport (draft)"));
    public static final AttributeType IPSEC_AUTHENTICATION_ALGORITHM = ipsec(5, "Authentication-Algorithm", Form.BASIC,
            Map.ofEntries(entry(IpsecAttributeValues.AUTH_HMAC_MD5, "HMAC-MD5"),
                    entry(IpsecAttributeValues.AUTH_HMAC_SHA1, "HMAC-SHA"),
                    entry(IpsecAttributeValues.AUTH_DES_MAC, "DES-MAC"), entry(IpsecAttributeValues.AUTH_KPDK, "KPDK"),
                    entry(IpsecAttributeValues.AUTH_HMAC_SHA2_256, "HMAC-SHA2-256"),
                    entry(IpsecAttributeValues.AUTH_HMAC_SHA2_384, "HMAC-SHA2-384"),
                    entry(IpsecAttributeValues.AUTH_HMAC_SHA2_512, "HMAC-SHA2-512"),
                    entry(IpsecAttributeValues.AUTH_HMAC_RIPEMD, "HMAC-RIPEMD"),
                    entry(IpsecAttributeValues.AUTH_AES_XCBC_MAC, "AES-XCBC-MAC"),
                    entry(IpsecAttributeValues.AUTH_SIG_RSA, "SIG-RSA"),
                    entry(IpsecAttributeValues.AUTH_AES_128_GMAC, "AES-128-GMAC"),
                    entry(IpsecAttributeValues.AUTH_AES_192_GMAC, "AES-192-GMAC"),
                    entry(IpsecAttributeValues.AUTH_AES_256_GMAC, "AES-256-GMAC")));
    public static final AttributeType IPSEC_KEY_LENGTH = ipsec(6, "Key-Length", Form.BASIC, Map.of());
    public static final AttributeType IPSEC_KEY_ROUNDS = ipsec(7, "Key-Rounds", Form.BASIC, Map.of());
    public static final AttributeType IPSEC_COMPRESS_DICTIONARY_SIZE = ipsec(8, "Compress-Dictionary-Size", Form.BASIC,
            Map.of());
    public static final AttributeType IPSEC_COMPRESS_PRIVATE_ALGORITHM = ipsec(9, "Compress-Private-Algorithm",
            Form.VARIABLE, Map.of());
    /** RFC 3168 section 9.2. */
    public static final AttributeType IPSEC_ECN_TUNNEL = ipsec(10, "ECN-Tunnel", Form.BASIC,
            Map.of(1, "allowed", 2, "forbidden"));
    /** RFC 4304 section 2. */
    public static final AttributeType IPSEC_EXTENDED_SEQUENCE_NUMBER = ipsec(11, "Extended-Sequence-Number", Form.BASIC,
            Map.of(IpsecAttributeValues.ESN_64_BIT, "64-bit"));

    private final Space space;
    private final Form form;
    private final Map<Integer, String> valueNames;

    private AttributeType(Space space, int code, String name, boolean known, Form form, Map<Integer, String> valueNames) {
        super(code, name, known);
        this.space = space;
        this.form = form;
        this.valueNames = valueNames;
    }

    private static AttributeType ike(int code, String name, Form form, Map<Integer, String> values) {
        return IKE_TYPES.add(new AttributeType(Space.IKE, code, name, true, form, values));
    }

    private static AttributeType ipsec(int code, String name, Form form, Map<Integer, String> values) {
        return IPSEC_TYPES.add(new AttributeType(Space.IPSEC, code, name, true, form, values));
    }

    /** The named type {@code code} of {@code space}, or an {@code ATTRIBUTE(n)} value; code must fit 15 bits. */
    public static AttributeType of(Space space, int code) {
        Wire.checkField("attribute type", code, 15);
        return (space == Space.IKE ? IKE_TYPES : IPSEC_TYPES).of(code,
                c -> new AttributeType(space, c, unknownName("ATTRIBUTE", c), false, Form.VARIABLE, Map.of()));
    }

    public Space space() {
        return space;
    }

    /** How the RFC says this type is encoded; an unknown type is taken as Variable (either form accepted). */
    public Form form() {
        return form;
    }

    /** E.g. "AES-CBC" for Encryption-Algorithm 7; null if this code names no value of this type. */
    public String valueName(long value) {
        return value >= 0 && value <= 0xffff ? valueNames.get((int) value) : null;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && ((AttributeType) o).space == space;
    }

    @Override
    public int hashCode() {
        return super.hashCode() * 31 + space.hashCode();
    }
}

package net.poolsa.ike.message;

import java.util.Objects;

/**
 * An IPsec DOI Identification Type, an open IANA registry: codes this class does not name survive a
 * decode/encode round trip as {@code UNKNOWN(n)} so that the Quick Mode code, not the codec, decides to refuse them.
 *
 * <p>IKEv1 only: IKEv2 (RFC 7296 section 3.5) has its own ID type registry with different meanings for
 * the same numbers and no subnet or range types.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.6.2.1">RFC 2407 section 4.6.2.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-3">RFC 3554 section 3 (ID_LIST)</a>
 */
public final class IdType {
    public static final IdType ID_IPV4_ADDR = new IdType(1, "ID_IPV4_ADDR");
    public static final IdType ID_FQDN = new IdType(2, "ID_FQDN");
    public static final IdType ID_USER_FQDN = new IdType(3, "ID_USER_FQDN");
    public static final IdType ID_IPV4_ADDR_SUBNET = new IdType(4, "ID_IPV4_ADDR_SUBNET");
    public static final IdType ID_IPV6_ADDR = new IdType(5, "ID_IPV6_ADDR");
    public static final IdType ID_IPV6_ADDR_SUBNET = new IdType(6, "ID_IPV6_ADDR_SUBNET");
    public static final IdType ID_IPV4_ADDR_RANGE = new IdType(7, "ID_IPV4_ADDR_RANGE");
    public static final IdType ID_IPV6_ADDR_RANGE = new IdType(8, "ID_IPV6_ADDR_RANGE");
    public static final IdType ID_DER_ASN1_DN = new IdType(9, "ID_DER_ASN1_DN");
    public static final IdType ID_DER_ASN1_GN = new IdType(10, "ID_DER_ASN1_GN");
    public static final IdType ID_KEY_ID = new IdType(11, "ID_KEY_ID");
    public static final IdType ID_LIST = new IdType(12, "ID_LIST");

    private static final IdType[] KNOWN = {
        null, ID_IPV4_ADDR, ID_FQDN, ID_USER_FQDN, ID_IPV4_ADDR_SUBNET, ID_IPV6_ADDR, ID_IPV6_ADDR_SUBNET,
        ID_IPV4_ADDR_RANGE, ID_IPV6_ADDR_RANGE, ID_DER_ASN1_DN, ID_DER_ASN1_GN, ID_KEY_ID, ID_LIST,
    };

    private final int code;
    private final String name;

    private IdType(int code, String name) {
        this.code = code;
        this.name = name;
    }

    /** The named constant for {@code code}, or a new {@code UNKNOWN(code)} value; code must fit the 1-byte field. */
    public static IdType of(int code) {
        if (code < 0 || code > 255) {
            throw new IllegalArgumentException("ID type " + code + " does not fit in one byte");
        }
        if (code < KNOWN.length && KNOWN[code] != null) {
            return KNOWN[code];
        }
        return new IdType(code, "UNKNOWN(" + code + ")");
    }

    public int code() {
        return code;
    }

    /** True for the registry values this class names (1-12). */
    public boolean isKnown() {
        return code >= 1 && code < KNOWN.length;
    }

    /** True for the six types that carry IPv4 or IPv6 addresses, singly, as a subnet or as a range. */
    public boolean isAddress() {
        return code == 1 || (code >= 4 && code <= 8);
    }

    /** True for ID_IPV6_ADDR, ID_IPV6_ADDR_SUBNET and ID_IPV6_ADDR_RANGE. */
    public boolean isV6() {
        return code == 5 || code == 6 || code == 8;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdType && ((IdType) o).code == code;
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(code);
    }

    @Override
    public String toString() {
        return name;
    }
}

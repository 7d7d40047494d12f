package net.poolsa.ike.message;

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
public final class IdType extends RegistryValue {
    private static final Table<IdType> KNOWN = new Table<>();

    public static final IdType ID_IPV4_ADDR = known(1, "ID_IPV4_ADDR");
    public static final IdType ID_FQDN = known(2, "ID_FQDN");
    public static final IdType ID_USER_FQDN = known(3, "ID_USER_FQDN");
    public static final IdType ID_IPV4_ADDR_SUBNET = known(4, "ID_IPV4_ADDR_SUBNET");
    public static final IdType ID_IPV6_ADDR = known(5, "ID_IPV6_ADDR");
    public static final IdType ID_IPV6_ADDR_SUBNET = known(6, "ID_IPV6_ADDR_SUBNET");
    public static final IdType ID_IPV4_ADDR_RANGE = known(7, "ID_IPV4_ADDR_RANGE");
    public static final IdType ID_IPV6_ADDR_RANGE = known(8, "ID_IPV6_ADDR_RANGE");
    public static final IdType ID_DER_ASN1_DN = known(9, "ID_DER_ASN1_DN");
    public static final IdType ID_DER_ASN1_GN = known(10, "ID_DER_ASN1_GN");
    public static final IdType ID_KEY_ID = known(11, "ID_KEY_ID");
    public static final IdType ID_LIST = known(12, "ID_LIST");

    private IdType(int code, String name, boolean known) {
        super(code, name, known);
    }

    private static IdType known(int code, String name) {
        return KNOWN.add(new IdType(code, name, true));
    }

    /** The named constant for {@code code}, or a new {@code UNKNOWN(code)} value; code must fit the 1-byte field. */
    public static IdType of(int code) {
        return KNOWN.of(Wire.checkField("ID type", code, 8), c -> new IdType(c, unknownName("UNKNOWN", c), false));
    }

    /** True for the six types that carry IPv4 or IPv6 addresses, singly, as a subnet or as a range. */
    public boolean isAddress() {
        int code = code();
        return code == 1 || (code >= 4 && code <= 8);
    }

    /** True for ID_IPV6_ADDR, ID_IPV6_ADDR_SUBNET and ID_IPV6_ADDR_RANGE. */
    public boolean isV6() {
        int code = code();
        return code == 5 || code == 6 || code == 8;
    }

    /** True for ID_FQDN and ID_USER_FQDN, whose data is a name without terminators. */
    public boolean isName() {
        return code() == 2 || code() == 3;
    }
}

package net.poolsa.ike.message;

/**
 * An IPsec DOI Security Protocol Identifier (Proposal, Notification and Delete payloads), an open registry.
 * 0 is reserved; some notifications carry it when they concern no protocol in particular.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.4.1">RFC 2407 section 4.4.1</a>
 */
public final class ProtocolId extends RegistryValue {
    private static final Table<ProtocolId> KNOWN = new Table<>();

    public static final ProtocolId RESERVED = known(0, "RESERVED");
    public static final ProtocolId ISAKMP = known(1, "PROTO_ISAKMP");
    public static final ProtocolId IPSEC_AH = known(2, "PROTO_IPSEC_AH");
    public static final ProtocolId IPSEC_ESP = known(3, "PROTO_IPSEC_ESP");
    public static final ProtocolId IPCOMP = known(4, "PROTO_IPCOMP");

    private ProtocolId(int code, String name, boolean known) {
        super(code, name, known);
    }

    private static ProtocolId known(int code, String name) {
        return KNOWN.add(new ProtocolId(code, name, true));
    }

    /** The named constant for {@code code}, or a {@code PROTO(n)} value; code must fit one byte. */
    public static ProtocolId of(int code) {
        return KNOWN.of(Wire.checkField("protocol ID", code, 8), c -> new ProtocolId(c, unknownName("PROTO", c), false));
    }
}

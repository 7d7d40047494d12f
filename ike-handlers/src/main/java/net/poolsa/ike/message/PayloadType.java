package net.poolsa.ike.message;

/**
 * An ISAKMP payload type (the Next Payload field), an open registry. 0-127 are assigned by IANA,
 * 128-255 are private use: NAT-D and NAT-OA of the NAT-T drafts (130, 131), which strongSwan still uses
 * with peers that announce only a draft, live there.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 section 3.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-3.2">RFC 3947 sections 3.2 and 5.2</a>
 */
public final class PayloadType extends RegistryValue {
    private static final Table<PayloadType> KNOWN = new Table<>();

    /** Ends a payload chain. */
    public static final PayloadType NONE = known(0, "NONE");
    public static final PayloadType SECURITY_ASSOCIATION = known(1, "SA");
    /** A substructure of SA; never a payload of its own in a message. */
    public static final PayloadType PROPOSAL = known(2, "P");
    /** A substructure of a Proposal; never a payload of its own in a message. */
    public static final PayloadType TRANSFORM = known(3, "T");
    public static final PayloadType KEY_EXCHANGE = known(4, "KE");
    public static final PayloadType IDENTIFICATION = known(5, "ID");
    public static final PayloadType CERTIFICATE = known(6, "CERT");
    public static final PayloadType CERTIFICATE_REQUEST = known(7, "CR");
    public static final PayloadType HASH = known(8, "HASH");
    public static final PayloadType SIGNATURE = known(9, "SIG");
    public static final PayloadType NONCE = known(10, "NONCE");
    public static final PayloadType NOTIFICATION = known(11, "N");
    public static final PayloadType DELETE = known(12, "D");
    public static final PayloadType VENDOR_ID = known(13, "VID");
    /** NAT Discovery, RFC 3947 section 3.2. */
    public static final PayloadType NAT_D = known(20, "NAT-D");
    /** NAT Original Address, RFC 3947 section 5.2. */
    public static final PayloadType NAT_OA = known(21, "NAT-OA");
    /** NAT-D as numbered by draft-ietf-ipsec-nat-t-ike-02/03. */
    public static final PayloadType NAT_D_DRAFT = known(130, "NAT-D(draft)");
    /** NAT-OA as numbered by draft-ietf-ipsec-nat-t-ike-02/03. */
    public static final PayloadType NAT_OA_DRAFT = known(131, "NAT-OA(draft)");

    /** First private-use payload type. */
    public static final int FIRST_PRIVATE_USE = 128;

    private PayloadType(int code, String name, boolean known) {
        super(code, name, known);
    }

    private static PayloadType known(int code, String name) {
        return KNOWN.add(new PayloadType(code, name, true));
    }

    /** The named constant for {@code code}, or an {@code UNKNOWN(code)} value; code must fit one byte. */
    public static PayloadType of(int code) {
        return KNOWN.of(Wire.checkField("payload type", code, 8), c -> new PayloadType(c, unknownName("UNKNOWN", c), false));
    }

    /** True for 128-255, numbers IANA leaves to private agreements between peers. */
    public boolean isPrivateUse() {
        return code() >= FIRST_PRIVATE_USE;
    }
}

package net.poolsa.ike.message;

/**
 * Vendor IDs poolsa announces or looks for. The NAT-T ones are the MD5 hashes of the RFC or draft names
 * (RFC 3947 section 3.1); DPD's is fixed by RFC 3706 section 7 (version 1.0 in the last two bytes).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-3.1">RFC 3947 section 3.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706#section-7">RFC 3706 section 7</a>
 */
public final class VendorIds {
    /** MD5("RFC 3947"). */
    public static final Octets NAT_T_RFC_3947 = Octets.fromHex("4a131c81070358455c5728f20e95452f");
    /** MD5("draft-ietf-ipsec-nat-t-ike-02"). */
    public static final Octets NAT_T_DRAFT_02 = Octets.fromHex("cd60464335df21f87cfdb2fc68b6a448");
    /** MD5("draft-ietf-ipsec-nat-t-ike-02\n"): the misprint that implementations sent and still accept. */
    public static final Octets NAT_T_DRAFT_02_N = Octets.fromHex("90cb80913ebb696e086381b5ec427b1f");
    /** MD5("draft-ietf-ipsec-nat-t-ike-03"). */
    public static final Octets NAT_T_DRAFT_03 = Octets.fromHex("7d9419a65310ca6f2c179d9215529d56");
    /** Dead Peer Detection version 1.0. */
    public static final Octets DPD = Octets.fromHex("afcad71368a1f1c96b8696fc77570100");

    private VendorIds() {
    }

    /** True for any of the NAT-T draft IDs (the peer will use NAT-D/NAT-OA 130/131 and the draft encapsulation modes). */
    public static boolean isNatTraversalDraft(Octets vid) {
        return vid.equals(NAT_T_DRAFT_02) || vid.equals(NAT_T_DRAFT_02_N) || vid.equals(NAT_T_DRAFT_03);
    }
}

package net.poolsa.ike.proposal;

import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.message.IpsecAttributeValues;

/**
 * The Encapsulation-Mode attribute of a Quick Mode transform: tunnel or transport, plain or UDP-encapsulated
 * (RFC 3947 §5.1: 3 and 4), the latter in the draft numbering (61443, 61444) towards a peer that announced only
 * a NAT-T draft.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-5.1">RFC 3947 §5.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.5">RFC 2407 §4.5</a>
 */
public enum Encapsulation {
    /** ESP or AH directly over IP. */
    NONE,
    /** ESP in UDP, RFC 3947 numbers. */
    UDP_RFC,
    /** ESP in UDP, numbers of draft-ietf-ipsec-nat-t-ike-02/03. */
    UDP_DRAFT;

    /** The attribute value for {@code mode}. */
    public int attributeValue(SaMode mode) {
        boolean tunnel = mode == SaMode.TUNNEL;
        switch (this) {
            case NONE:
                return tunnel ? IpsecAttributeValues.ENCAPSULATION_TUNNEL : IpsecAttributeValues.ENCAPSULATION_TRANSPORT;
            case UDP_RFC:
                return tunnel ? IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL
                        : IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT;
            default:
                return tunnel ? IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL_DRAFT
                        : IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT_DRAFT;
        }
    }

    /** Whether ESP goes inside UDP. */
    public boolean udp() {
        return this != NONE;
    }

    /** The mode an attribute value names, or null for a value not defined. */
    static SaMode modeOf(long value) {
        if (value == IpsecAttributeValues.ENCAPSULATION_TUNNEL || value == IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL
                || value == IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL_DRAFT) {
            return SaMode.TUNNEL;
        }
        if (value == IpsecAttributeValues.ENCAPSULATION_TRANSPORT || value == IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT
                || value == IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT_DRAFT) {
            return SaMode.TRANSPORT;
        }
        return null;
    }

    /** The encapsulation an attribute value names, or null for a value not defined. */
    static Encapsulation of(long value) {
        if (value == IpsecAttributeValues.ENCAPSULATION_TUNNEL || value == IpsecAttributeValues.ENCAPSULATION_TRANSPORT) {
            return NONE;
        }
        if (value == IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL || value == IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT) {
            return UDP_RFC;
        }
        if (value == IpsecAttributeValues.ENCAPSULATION_UDP_TUNNEL_DRAFT
                || value == IpsecAttributeValues.ENCAPSULATION_UDP_TRANSPORT_DRAFT) {
            return UDP_DRAFT;
        }
        return null;
    }
}

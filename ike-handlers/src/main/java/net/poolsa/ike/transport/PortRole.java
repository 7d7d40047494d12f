package net.poolsa.ike.transport;

/**
 * What an IKE socket is for. On the NAT-T port, IKE shares the port with ESP-in-UDP and is told apart by a
 * four-byte zero non-ESP marker in front of the ISAKMP header; on the IKE port there is no marker.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2 (non-ESP marker)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-4">RFC 3947 §4 (changing to port 4500)</a>
 */
public enum PortRole {
    /** UDP/500: plain ISAKMP. */
    IKE(500, "ike"),
    /** UDP/4500: ISAKMP behind the non-ESP marker, NAT keepalives, and ESP-in-UDP for the data plane. */
    NAT_T(4500, "nat_t");

    /** Length of the non-ESP marker: the place of an ESP SPI, which is never zero (RFC 4303 §2.1). */
    public static final int NON_ESP_MARKER_LENGTH = 4;

    private final int standardPort;
    private final String label;

    PortRole(int standardPort, String label) {
        this.standardPort = standardPort;
        this.label = label;
    }

    /** The IANA port: 500 (isakmp) or 4500 (ipsec-nat-t). */
    public int standardPort() {
        return standardPort;
    }

    /** Whether IKE messages on this socket carry the non-ESP marker. */
    public boolean hasNonEspMarker() {
        return this == NAT_T;
    }

    /** A short name for metric tags and log lines. */
    public String label() {
        return label;
    }
}

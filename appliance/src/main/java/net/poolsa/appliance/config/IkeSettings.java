package net.poolsa.appliance.config;

/**
 * The settings of the IKE daemon as a whole (the top-level {@code ike:} mapping), as opposed to a connection's.
 *
 * @param natKeepaliveMillis {@code ike.nat-keepalive}: how often an IKE SA that found itself behind a NAT sends a
 *                           NAT-keepalive (RFC 3948 §2.3) to its peer; 0 sends none. One value for every IKE SA, as
 *                           strongSwan's {@code charon.keep_alive}: an IKE SA serves every connection to its peer.
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.3">RFC 3948 §2.3</a>
 */
public record IkeSettings(long natKeepaliveMillis) {
    /** The engine's default, strongSwan's {@code charon.keep_alive}: 20 s. */
    public static final long DEFAULT_NAT_KEEPALIVE_MILLIS = net.poolsa.ike.exchange.IkeCore.DEFAULT_NAT_KEEPALIVE_MILLIS;
    public static final IkeSettings DEFAULT = new IkeSettings(DEFAULT_NAT_KEEPALIVE_MILLIS);

    public IkeSettings {
        if (natKeepaliveMillis < 0) {
            throw new IllegalArgumentException("nat-keepalive " + natKeepaliveMillis + " ms < 0");
        }
    }
}

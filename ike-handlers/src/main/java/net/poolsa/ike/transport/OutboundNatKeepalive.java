package net.poolsa.ike.transport;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A NAT-keepalive to send (RFC 3948 §2.3): one octet 0xFF in UDP from our NAT-T socket bound to {@code local} to
 * {@code remote}, with no non-ESP marker in front, so that a NAT in front of us keeps the mapping that ESP-in-UDP and
 * IKE share. It is not an IKE message, so it is a type of its own and never goes through {@link IkeDatagramEncoder}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.3">RFC 3948 §2.3</a>
 */
public record OutboundNatKeepalive(InetSocketAddress local, InetSocketAddress remote) {
    public OutboundNatKeepalive {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
    }
}

package net.poolsa.ike.transport;

/**
 * What the IKE transport reports, for the appliance to bind to its metrics (this module knows no metrics
 * library). Called on the transport's event loop for every datagram; implementations must be cheap and
 * must not block.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2, §2.3</a>
 */
public interface TransportEvents {
    TransportEvents NONE = new TransportEvents() {
    };

    /** A datagram was read from a socket of this role (before any check). */
    default void read(PortRole role) {
    }

    /** A datagram was dropped, inbound or outbound. */
    default void dropped(PortRole role, TransportDropReason reason) {
    }

    /** A NAT-keepalive (one 0xFF byte, RFC 3948 §2.3) arrived; it carries nothing and is discarded. */
    default void keepalive() {
    }

    /** A NAT-keepalive we send (RFC 3948 §2.3) was handed to the kernel; not counted by {@link #sent}. */
    default void keepaliveSent() {
    }

    /** An IKE datagram was handed to the kernel. */
    default void sent(PortRole role) {
    }
}

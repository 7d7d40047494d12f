package net.poolsa.ike.transport;

/**
 * Why the IKE transport dropped a datagram before any IKE processing. The metric label is
 * {@link #label()}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2 (what may arrive on port 4500)</a>
 */
public enum TransportDropReason {
    /** No bytes, or only the non-ESP marker. */
    EMPTY("empty"),
    /** Larger than the configured cap (IKE messages are bounded; a larger datagram is not read further). */
    OVERSIZED("oversized"),
    /**
     * Shorter than the fixed ISAKMP header (RFC 2408 §3.1, 28 bytes) after the marker, or on the NAT-T port
     * one to three bytes that are no keepalive.
     */
    TRUNCATED("truncated"),
    /**
     * ESP-in-UDP (non-zero first four bytes) on the NAT-T port: the data plane's, captured with libpcap. Reaches
     * the socket only when the kernel socket filter is not attached.
     */
    ESP_IN_UDP("esp_in_udp"),
    /** The exchange layer threw while handling a datagram: a bug of ours, counted so that it is seen. */
    RECEIVER_FAILED("receiver_failed"),
    /** The socket reported an error while reading (the kernel's, not a datagram's). */
    SOCKET_ERROR("socket_error"),
    /** An outbound datagram could not be sent (no socket for its local address, or the kernel refused it). */
    SEND_FAILED("send_failed"),
    /**
     * An answer to a source that has not proved its address (Main Mode message 2, a notification in the clear) while
     * other datagrams waited for room in the socket's send buffer ({@link SendBacklog}): it would only delay them.
     */
    SEND_BACKLOGGED("send_backlogged"),
    /** {@link SendBacklog#MAX_BYTES} already waited for room in the socket's send buffer. */
    SEND_QUEUE_FULL("send_queue_full");

    private final String label;

    TransportDropReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}

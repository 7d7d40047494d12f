package net.poolsa.ike.exchange;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import net.poolsa.ike.transport.OutboundIkeDatagram;
import net.poolsa.ike.transport.OutboundNatKeepalive;
import net.poolsa.ike.transport.PortRole;

/**
 * Where the exchanges send and which sockets they may send from: the {@link net.poolsa.ike.transport.IkeTransport}
 * in production, an in-process wire between two engines in tests.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-4">RFC 3947 §4 (ports 500 and 4500)</a>
 */
public interface IkeNetwork {
    /** Sends from the socket bound to {@code datagram.local()}; takes ownership of the content. */
    void send(OutboundIkeDatagram datagram);

    /**
     * Sends an answer to a source that has not proved its address (Main Mode message 2, a notification in the
     * clear): a network may drop it rather than let it delay other datagrams (a peer retransmits).
     */
    default void sendExpendable(OutboundIkeDatagram datagram) {
        send(datagram);
    }

    /**
     * Sends a NAT-keepalive (RFC 3948 §2.3: one octet 0xFF, no non-ESP marker) from the NAT-T socket bound to
     * {@code keepalive.local()}.
     *
     * @throws IllegalArgumentException when no NAT-T socket is bound there
     */
    void sendNatKeepalive(OutboundNatKeepalive keepalive);

    /** The socket bound on {@code address} for {@code role}, or null when this host has none there. */
    InetSocketAddress local(InetAddress address, PortRole role);

    /** Every socket bound for {@code role}, in the order the sockets were opened. */
    List<InetSocketAddress> locals(PortRole role);

    /** The port a peer listens on for {@code role} (500 and 4500 in production). */
    int peerPort(PortRole role);
}

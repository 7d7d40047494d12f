package net.poolsa.ike.transport;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;

/**
 * Where the IKE sockets listen: one UDP/500 and one UDP/4500 socket per local address (the addresses of the
 * local outer pool that the host has).
 *
 * @param localAddresses   addresses to bind, no wildcard (a socket bound to a wildcard could not tell which
 *                         address a datagram came to)
 * @param ikePort          normally 500; 0 picks a free port (tests)
 * @param natTPort         normally 4500; 0 picks a free port (tests)
 * @param maxDatagramBytes the largest UDP payload read, non-ESP marker included; longer ones are dropped
 * @param kernelFilter     attach {@link NonEspMarkerFilter} to the NAT-T sockets; false only to measure
 *                         what the filter saves
 * @param socketMark       firewall mark (SO_MARK, needs CAP_NET_ADMIN) of every datagram the sockets send, 0 for
 *                         none: the appliance sets the data plane's mark, so that policy routing that diverts
 *                         unmarked traffic into the userspace data path lets IKE through (the host case, where the
 *                         peer's IKE address lies in a remote protected pool)
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-4">RFC 3947 §4 (ports 500 and 4500)</a>
 */
public record IkeTransportConfig(List<InetAddress> localAddresses, int ikePort, int natTPort, int maxDatagramBytes,
                                 boolean kernelFilter, int socketMark) {
    /**
     * strongSwan's default {@code charon.max_packet}: IKEv1 has no fragmentation of its own here, and
     * messages with certificate chains stay well below it.
     */
    public static final int DEFAULT_MAX_DATAGRAM_BYTES = 10000;

    public IkeTransportConfig {
        localAddresses = List.copyOf(localAddresses);
        if (localAddresses.isEmpty()) {
            throw new IllegalArgumentException("no local address to bind IKE to");
        }
        if (new HashSet<>(localAddresses).size() != localAddresses.size()) {
            throw new IllegalArgumentException("duplicate local address in " + localAddresses);
        }
        for (InetAddress a : localAddresses) {
            if (a.isAnyLocalAddress()) {
                throw new IllegalArgumentException("IKE binds to the outer pool's addresses, not the wildcard " + a.getHostAddress());
            }
        }
        checkPort(ikePort);
        checkPort(natTPort);
        if (ikePort == natTPort && ikePort != 0) {
            throw new IllegalArgumentException("IKE and NAT-T port are both " + ikePort);
        }
        if (maxDatagramBytes < PortRole.NON_ESP_MARKER_LENGTH + IkeDatagramDecoder.ISAKMP_HEADER_LENGTH || maxDatagramBytes > 65507) {
            throw new IllegalArgumentException("datagram cap " + maxDatagramBytes + " outside "
                    + (PortRole.NON_ESP_MARKER_LENGTH + IkeDatagramDecoder.ISAKMP_HEADER_LENGTH) + "..65507");
        }
    }

    /** Without a socket mark. */
    public IkeTransportConfig(List<InetAddress> localAddresses, int ikePort, int natTPort, int maxDatagramBytes,
                              boolean kernelFilter) {
        this(localAddresses, ikePort, natTPort, maxDatagramBytes, kernelFilter, 0);
    }

    /** The same sockets, their datagrams marked with {@code mark} (SO_MARK). */
    public IkeTransportConfig withSocketMark(int mark) {
        return new IkeTransportConfig(localAddresses, ikePort, natTPort, maxDatagramBytes, kernelFilter, mark);
    }

    /** Ports 500 and 4500, the default cap, the filter attached, no mark. */
    public static IkeTransportConfig standard(List<InetAddress> localAddresses) {
        return new IkeTransportConfig(localAddresses, PortRole.IKE.standardPort(), PortRole.NAT_T.standardPort(),
                DEFAULT_MAX_DATAGRAM_BYTES, true);
    }

    public int port(PortRole role) {
        return role == PortRole.IKE ? ikePort : natTPort;
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port " + port + " outside 0..65535");
        }
    }
}

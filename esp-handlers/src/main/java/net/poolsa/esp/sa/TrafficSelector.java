package net.poolsa.esp.sa;

/**
 * The traffic an SA or policy applies to, as in the paper's Fig. 9: a source pool, a destination pool,
 * an IP protocol (0 for any) and port ranges. Ports are checked only for TCP, UDP, SCTP and UDP-Lite; for
 * other protocols a selector with port ranges other than "any" matches nothing (RFC 4301 section 4.4.1.1
 * treats them as OPAQUE).
 */
public record TrafficSelector(AddressPool source, AddressPool destination, int ipProtocol,
                              PortRange sourcePorts, PortRange destinationPorts) {
    public static final int ANY_PROTOCOL = 0;

    public TrafficSelector {
        if (source == null || destination == null || sourcePorts == null || destinationPorts == null) {
            throw new IllegalArgumentException("traffic selector fields must not be null");
        }
        if (source.isEmpty() || destination.isEmpty()) {
            throw new IllegalArgumentException("traffic selector has an empty pool: " + source + " -> " + destination);
        }
        if (ipProtocol < 0 || ipProtocol > 255) {
            throw new IllegalArgumentException("IP protocol " + ipProtocol + " is not within 0-255");
        }
    }

    public static TrafficSelector between(AddressPool source, AddressPool destination) {
        return new TrafficSelector(source, destination, ANY_PROTOCOL, PortRange.ANY, PortRange.ANY);
    }

    public static boolean hasPorts(int ipProtocol) {
        return ipProtocol == 6 || ipProtocol == 17 || ipProtocol == 132 || ipProtocol == 136;
    }

    /** True when the selector's protocol and ports admit a packet of protocol {@code proto}. */
    public boolean matchesTransport(int proto, int srcPort, int dstPort) {
        if (ipProtocol != ANY_PROTOCOL && ipProtocol != proto) {
            return false;
        }
        if (sourcePorts.isAny() && destinationPorts.isAny()) {
            return true;
        }
        return hasPorts(proto) && sourcePorts.contains(srcPort) && destinationPorts.contains(dstPort);
    }

    public boolean matchesV4(int src, int dst, int proto, int srcPort, int dstPort) {
        return destination.containsV4(dst) && source.containsV4(src) && matchesTransport(proto, srcPort, dstPort);
    }

    public boolean matchesV6(long srcHi, long srcLo, long dstHi, long dstLo, int proto, int srcPort, int dstPort) {
        return destination.containsV6(dstHi, dstLo) && source.containsV6(srcHi, srcLo)
                && matchesTransport(proto, srcPort, dstPort);
    }

    /** The same selector seen from the other end (source and destination swapped). */
    public TrafficSelector reverse() {
        return new TrafficSelector(destination, source, ipProtocol, destinationPorts, sourcePorts);
    }

    @Override
    public String toString() {
        return source + " -> " + destination + (ipProtocol == 0 ? "" : " proto " + ipProtocol)
                + (sourcePorts.isAny() ? "" : " sport " + sourcePorts)
                + (destinationPorts.isAny() ? "" : " dport " + destinationPorts);
    }
}

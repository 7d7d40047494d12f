package net.poolsa.esp.ip;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * The data plane's one IP parser: a reusable, allocation-free view of one IPv4 or IPv6 packet. {@link #decode}
 * validates the header and walks the IPv6 extension headers to the transport header, so that every later step
 * (SPD/SAD lookups, the ESP/AH transforms, the selector check, forwarding, ICMP errors) reads protocol,
 * addresses, ports, SPI and header layout as plain fields instead of parsing again. A packet is decoded once where
 * it enters (capture, decapsulation) and the view travels with it. {@link #decode} overwrites every field.
 *
 * <p><b>Checks, in this order, and the drop reason of each</b> (the first that fails decides; MalformedIpTest
 * holds one row per check and proves every entry point gives the same reason):
 * <table>
 * <caption>decode checks</caption>
 * <tr><th>check</th><th>reason</th></tr>
 * <tr><td>no byte at all</td><td>{@link DropReason#TRUNCATED}</td></tr>
 * <tr><td>version is not 4 or 6</td><td>{@link DropReason#MALFORMED_IP}</td></tr>
 * <tr><td>IPv4: fewer than 20 bytes</td><td>{@link DropReason#TRUNCATED}</td></tr>
 * <tr><td>IPv4: IHL below 5</td><td>{@link DropReason#MALFORMED_IP}</td></tr>
 * <tr><td>IPv4: total length below the header length</td><td>{@link DropReason#BAD_LENGTH}</td></tr>
 * <tr><td>IPv4: total length beyond the bytes present</td><td>{@link DropReason#TRUNCATED}</td></tr>
 * <tr><td>IPv4: header checksum wrong (RFC 1812 §5.2.2)</td><td>{@link DropReason#MALFORMED_IP}</td></tr>
 * <tr><td>IPv4: the reserved flag set (RFC 791 §3.1: must be zero)</td><td>{@link DropReason#MALFORMED_IP}</td></tr>
 * <tr><td>IPv6: fewer than 40 bytes</td><td>{@link DropReason#TRUNCATED}</td></tr>
 * <tr><td>IPv6: payload length 0 with Hop-by-Hop next: a jumbogram (RFC 2675)</td><td>{@link DropReason#UNSUPPORTED}</td></tr>
 * <tr><td>IPv6: payload length beyond the bytes present</td><td>{@link DropReason#TRUNCATED}</td></tr>
 * <tr><td>IPv6: more than {@link #MAX_EXTENSION_HEADERS} extension headers</td><td>{@link DropReason#UNSUPPORTED}</td></tr>
 * <tr><td>IPv6: Hop-by-Hop not right after the fixed header (RFC 8200 §4.3)</td><td>{@link DropReason#MALFORMED_IP}</td></tr>
 * <tr><td>IPv6: an extension header's first 8 bytes, or its stated length, beyond the payload</td><td>{@link DropReason#TRUNCATED}</td></tr>
 * <tr><td>IPv6: a second Fragment header</td><td>{@link DropReason#MALFORMED_IP}</td></tr>
 * </table>
 * Not checked here, because they are not the IP layer's: a transport header shorter than its ports (ports then
 * read as absent, -1), and ESP/AH/UDP framing (the transform checks those). Trailing bytes after the IP total length
 * (Ethernet padding) are tolerated: callers use {@link #totalLength()}. The walk stops at the first header that is
 * not Hop-by-Hop, Routing, Fragment or Destination Options (so AH and ESP are next-layer protocols, as the SPD
 * sees them, RFC 4301 §4.4.1.1), and after a non-first fragment's Fragment header.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc791#section-3.1">RFC 791 §3.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8200#section-4">RFC 8200 §4</a>
 */
public final class IpPacketView {
    public static final int PROTO_HOPOPT = 0;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_IPV4 = 4;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_IPV6 = 41;
    public static final int PROTO_ROUTING = 43;
    public static final int PROTO_FRAGMENT = 44;
    public static final int PROTO_ESP = 50;
    public static final int PROTO_AH = 51;
    public static final int PROTO_ICMPV6 = 58;
    public static final int PROTO_NONE = 59;
    public static final int PROTO_DSTOPTS = 60;
    public static final int PROTO_SCTP = 132;
    public static final int PROTO_UDPLITE = 136;
    /** The RFC 3948 port of UDP-encapsulated ESP. */
    public static final int NAT_T_PORT = 4500;
    /** Extension headers walked before giving up: bounds the work an attacker can cause per packet. */
    public static final int MAX_EXTENSION_HEADERS = 8;
    /** {@link #sourcePort()} and {@link #destinationPort()} when the packet carries none to read. */
    public static final int NO_PORT = -1;

    private int offset;
    private int version;
    private int trafficClass;
    private int baseLength;
    private int headerLength;
    private int totalLength;
    private int protocol;
    private int protocolField;
    private int transportOffset;
    private int unprotectedLength;
    private int unprotectedField;
    private int v4Src;
    private int v4Dst;
    private long srcHi;
    private long srcLo;
    private long dstHi;
    private long dstLo;
    private int srcPort;
    private int dstPort;
    private int spi;
    private boolean fragment;
    private boolean firstFragment;
    private int fragmentOffset;
    private boolean moreFragments;
    private boolean dontFragment;
    private int identification;
    private int fragmentHeaderOffset;
    private int fragmentNextHeaderField;
    private int ttl;

    /**
     * Decodes the packet starting at {@code buf.readerIndex()}, of which {@code buf.readableBytes()} are present.
     *
     * @return null when the packet is valid, otherwise why it must be dropped (class comment)
     */
    public DropReason decode(ByteBuf buf) {
        reset(buf.readerIndex());
        int readable = buf.readableBytes();
        if (readable < 1) {
            return DropReason.TRUNCATED;
        }
        version = buf.getUnsignedByte(offset) >>> 4;
        if (version == 4) {
            return decodeV4(buf, readable);
        }
        if (version == 6) {
            return decodeV6(buf, readable);
        }
        return DropReason.MALFORMED_IP;
    }

    private void reset(int at) {
        offset = at;
        version = 0;
        trafficClass = 0;
        baseLength = 0;
        headerLength = 0;
        totalLength = 0;
        protocol = 0;
        protocolField = -1;
        transportOffset = 0;
        unprotectedLength = 0;
        unprotectedField = -1;
        v4Src = v4Dst = 0;
        srcHi = srcLo = dstHi = dstLo = 0;
        srcPort = dstPort = NO_PORT;
        spi = 0;
        fragment = false;
        firstFragment = false;
        fragmentOffset = 0;
        moreFragments = false;
        dontFragment = false;
        identification = 0;
        fragmentHeaderOffset = -1;
        fragmentNextHeaderField = -1;
        ttl = 0;
    }

    private DropReason decodeV4(ByteBuf buf, int readable) {
        if (readable < 20) {
            return DropReason.TRUNCATED;
        }
        headerLength = (buf.getUnsignedByte(offset) & 0x0f) * 4;
        if (headerLength < 20) {
            return DropReason.MALFORMED_IP;
        }
        totalLength = buf.getUnsignedShort(offset + 2);
        if (totalLength < headerLength) {
            return DropReason.BAD_LENGTH;
        }
        if (totalLength > readable) {
            return DropReason.TRUNCATED;
        }
        if (Checksums.checksum(buf, offset, headerLength) != 0) {
            return DropReason.MALFORMED_IP;
        }
        int flagsOffset = buf.getUnsignedShort(offset + 6);
        if ((flagsOffset & 0x8000) != 0) {
            return DropReason.MALFORMED_IP; // the reserved flag must be zero (RFC 791)
        }
        trafficClass = buf.getUnsignedByte(offset + 1);
        identification = buf.getUnsignedShort(offset + 4);
        dontFragment = (flagsOffset & 0x4000) != 0;
        moreFragments = (flagsOffset & 0x2000) != 0;
        fragmentOffset = (flagsOffset & 0x1fff) * 8;
        fragment = moreFragments || fragmentOffset != 0;
        firstFragment = fragment && fragmentOffset == 0;
        ttl = buf.getUnsignedByte(offset + 8);
        protocol = buf.getUnsignedByte(offset + 9);
        protocolField = offset + 9;
        v4Src = buf.getInt(offset + 12);
        v4Dst = buf.getInt(offset + 16);
        baseLength = headerLength;
        unprotectedLength = headerLength;
        unprotectedField = protocolField;
        transportOffset = offset + headerLength;
        if (fragmentOffset == 0) {
            readTransport(buf);
        }
        return null;
    }

    private DropReason decodeV6(ByteBuf buf, int readable) {
        if (readable < 40) {
            return DropReason.TRUNCATED;
        }
        int payload = buf.getUnsignedShort(offset + 4);
        int next = buf.getUnsignedByte(offset + 6);
        if (payload == 0 && next == PROTO_HOPOPT) {
            return DropReason.UNSUPPORTED; // a jumbogram (RFC 2675): never on our links
        }
        totalLength = 40 + payload;
        if (totalLength > readable) {
            return DropReason.TRUNCATED;
        }
        trafficClass = (buf.getUnsignedShort(offset) >>> 4) & 0xff;
        ttl = buf.getUnsignedByte(offset + 7);
        srcHi = buf.getLong(offset + 8);
        srcLo = buf.getLong(offset + 16);
        dstHi = buf.getLong(offset + 24);
        dstLo = buf.getLong(offset + 32);
        baseLength = 40;
        int nextField = offset + 6;
        int at = offset + 40;
        int end = offset + totalLength;
        unprotectedLength = 40;
        unprotectedField = nextField;
        boolean unprotected = true;
        for (int n = 0; ; n++) {
            if (next != PROTO_HOPOPT && next != PROTO_ROUTING && next != PROTO_FRAGMENT && next != PROTO_DSTOPTS) {
                break;
            }
            if (n == MAX_EXTENSION_HEADERS) {
                return DropReason.UNSUPPORTED;
            }
            if (next == PROTO_HOPOPT && n != 0) {
                return DropReason.MALFORMED_IP; // RFC 8200 §4.3: Hop-by-Hop only right after the IPv6 header
            }
            if (at + 8 > end) {
                return DropReason.TRUNCATED;
            }
            int following = buf.getUnsignedByte(at);
            int len;
            if (next == PROTO_FRAGMENT) {
                if (fragmentHeaderOffset >= 0) {
                    return DropReason.MALFORMED_IP;
                }
                len = 8;
                fragmentHeaderOffset = at;
                fragmentNextHeaderField = nextField;
                int offFlags = buf.getUnsignedShort(at + 2);
                fragmentOffset = (offFlags & 0xfff8);
                moreFragments = (offFlags & 1) != 0;
                identification = buf.getInt(at + 4);
                fragment = true;
                firstFragment = fragmentOffset == 0;
            } else {
                len = (buf.getUnsignedByte(at + 1) + 1) * 8;
            }
            if (at + len > end) {
                return DropReason.TRUNCATED;
            }
            // RFC 4303 §3.1.1 / RFC 4302 §3.1.1: in transport mode ESP and AH go after Hop-by-Hop, Routing, and a
            // Destination Options header that precedes Routing; what follows is protected.
            unprotected &= next == PROTO_HOPOPT || next == PROTO_ROUTING || (next == PROTO_DSTOPTS && following == PROTO_ROUTING);
            if (unprotected) {
                unprotectedLength = at + len - offset;
                unprotectedField = at;
            }
            nextField = at;
            next = following;
            at += len;
            if (fragment && fragmentOffset != 0) {
                break; // headers after a non-first fragment header are payload of the fragment
            }
        }
        headerLength = at - offset;
        protocol = next;
        protocolField = nextField;
        transportOffset = at;
        if (fragmentOffset == 0) {
            readTransport(buf);
        }
        return null;
    }

    private void readTransport(ByteBuf buf) {
        int end = offset + totalLength;
        int at = transportOffset;
        switch (protocol) {
            case PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_UDPLITE -> {
                if (at + 4 <= end) {
                    srcPort = buf.getUnsignedShort(at);
                    dstPort = buf.getUnsignedShort(at + 2);
                }
                // RFC 3948 §2.2: UDP/4500 carries ESP unless the first four bytes are the zero non-ESP marker.
                if (protocol == PROTO_UDP && at + 12 <= end && (dstPort == NAT_T_PORT || srcPort == NAT_T_PORT)) {
                    spi = buf.getInt(at + 8);
                }
            }
            case PROTO_ESP -> {
                if (at + 4 <= end) {
                    spi = buf.getInt(at);
                }
            }
            case PROTO_AH -> {
                if (at + 8 <= end) {
                    spi = buf.getInt(at + 4);
                }
            }
            case PROTO_ICMP, PROTO_ICMPV6 -> {
                // RFC 4301 §4.4.1.1: ICMP type and code take the place of the ports in selectors.
                if (at + 2 <= end) {
                    srcPort = buf.getUnsignedByte(at);
                    dstPort = buf.getUnsignedByte(at + 1);
                }
            }
            default -> {
            }
        }
    }

    /**
     * Whether the packet falls within {@code ts} (RFC 4301 §4.4.1.1): addresses, protocol and ports. A packet without
     * ports to read (a non-first fragment, a short transport header) matches only port selectors of "any".
     */
    public boolean within(TrafficSelector ts) {
        return version == 4 ? ts.matchesV4(v4Src, v4Dst, protocol, srcPort, dstPort)
                : ts.matchesV6(srcHi, srcLo, dstHi, dstLo, protocol, srcPort, dstPort);
    }

    /** True for UDP-encapsulated ESP (RFC 3948): UDP to or from 4500 whose first four payload bytes are not zero. */
    public boolean isUdpEncapsulatedEsp() {
        return protocol == PROTO_UDP && spi != 0 && (dstPort == NAT_T_PORT || srcPort == NAT_T_PORT);
    }

    /** Absolute index of the first IP header byte. */
    public int offset() {
        return offset;
    }

    public int version() {
        return version;
    }

    public boolean isV4() {
        return version == 4;
    }

    /** IPv4 TOS byte or IPv6 traffic class: DSCP and the ECN field (RFC 3168 §5). */
    public int trafficClass() {
        return trafficClass;
    }

    /** The fixed header: IPv4 with its options (IHL * 4), or IPv6's 40 bytes. */
    public int baseLength() {
        return baseLength;
    }

    /** IPv4 header length, or the IPv6 header plus the extension headers walked. */
    public int headerLength() {
        return headerLength;
    }

    /** Length of the whole packet as its header states. */
    public int totalLength() {
        return totalLength;
    }

    /** The transport protocol (IPv6: the last next-header value after the extension headers). */
    public int protocol() {
        return protocol;
    }

    /** Absolute index of the byte that names {@link #protocol()} (IPv4 protocol, or the last next-header field). */
    public int protocolField() {
        return protocolField;
    }

    public int transportOffset() {
        return transportOffset;
    }

    /**
     * Transport mode: the bytes that stay in front of an ESP or AH header inserted into this packet, the IP header
     * and, for IPv6, Hop-by-Hop, Routing and a Destination Options header before Routing (RFC 4303 §3.1.1).
     */
    public int unprotectedLength() {
        return unprotectedLength;
    }

    /** Absolute index of the next-header byte at the end of {@link #unprotectedLength()}: it names what ESP/AH protects. */
    public int unprotectedField() {
        return unprotectedField;
    }

    public int v4Source() {
        return v4Src;
    }

    public int v4Destination() {
        return v4Dst;
    }

    public long v6SourceHi() {
        return srcHi;
    }

    public long v6SourceLo() {
        return srcLo;
    }

    public long v6DestinationHi() {
        return dstHi;
    }

    public long v6DestinationLo() {
        return dstLo;
    }

    /** Source port (TCP, UDP, SCTP, UDP-Lite) or ICMP type; {@link #NO_PORT} when there is none to read. */
    public int sourcePort() {
        return srcPort;
    }

    /** Destination port, or ICMP code; {@link #NO_PORT} when there is none to read. */
    public int destinationPort() {
        return dstPort;
    }

    /** SPI of ESP, AH or UDP-encapsulated ESP (0 for an IKE packet on 4500 or none). */
    public int spi() {
        return spi;
    }

    public boolean isFragment() {
        return fragment;
    }

    public boolean isFirstFragment() {
        return firstFragment;
    }

    /** Fragment offset in bytes. */
    public int fragmentOffset() {
        return fragmentOffset;
    }

    public boolean moreFragments() {
        return moreFragments;
    }

    /** IPv4 DF; always false for IPv6 (which routers never fragment: use {@link #isV4()}). */
    public boolean dontFragment() {
        return dontFragment;
    }

    /** IPv4 identification (16 bits) or IPv6 fragment identification (32 bits). */
    public int identification() {
        return identification;
    }

    /** Absolute index of the IPv6 Fragment header, or -1. */
    public int fragmentHeaderOffset() {
        return fragmentHeaderOffset;
    }

    /** Absolute index of the next-header byte that names the IPv6 Fragment header, or -1. */
    public int fragmentNextHeaderField() {
        return fragmentNextHeaderField;
    }

    /** TTL or hop limit. */
    public int ttl() {
        return ttl;
    }
}

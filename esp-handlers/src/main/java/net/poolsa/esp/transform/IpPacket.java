package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.event.DropReason;

/**
 * A reusable, allocation-free view of one IPv4 or IPv6 packet in a ByteBuf: addresses, the upper-layer
 * protocol, where the header part ends and where the byte that names the protocol sits (so a transform can
 * rewrite it). One instance per processor thread, overwritten by every {@link #parse}.
 *
 * <p>IPv6 extension headers are walked according to {@link Walk}: an outer packet stops at ESP/AH/UDP; the
 * unprotected part of a transport-mode packet keeps Hop-by-Hop, Routing, and a Destination Options header that
 * precedes Routing (RFC 4303 §3.1.1); a decapsulated inner packet is walked to its transport header for the
 * selector check (RFC 4301 §5.2).
 */
final class IpPacket {
    static final int PROTO_HOPOPT = 0;
    static final int PROTO_IPV4 = 4;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    static final int PROTO_IPV6 = 41;
    static final int PROTO_ROUTING = 43;
    static final int PROTO_FRAGMENT = 44;
    static final int PROTO_ESP = 50;
    static final int PROTO_AH = 51;
    static final int PROTO_NONE = 59;
    static final int PROTO_DSTOPTS = 60;
    /** Caps the extension-header walk: a chain longer than this is an attack, not traffic. */
    static final int MAX_EXTENSION_HEADERS = 8;

    enum Walk {
        /** Stop at the first header that is not Hop-by-Hop, Routing or Destination Options. */
        OUTER,
        /** Keep only what precedes ESP/AH in transport mode (RFC 4303 §3.1.1, RFC 4302 §3.1.1). */
        TRANSPORT,
        /** Walk to the transport header, through fragments and AH, for the selector check. */
        SELECTOR
    }

    int version;
    int start;
    /** Bytes of the packet by its length field (total length, or 40 + payload length). */
    int totalLength;
    /** Bytes from {@link #start} to the upper-layer (or IPsec) header. */
    int headerLength;
    /** Bytes of the fixed header, IPv4 with options (IHL * 4) or 40. */
    int baseLength;
    int protocol;
    /** Absolute index of the byte naming {@link #protocol}. */
    int protocolIndex;
    int src4;
    int dst4;
    long srcHi;
    long srcLo;
    long dstHi;
    long dstLo;
    boolean fragment;
    boolean nonFirstFragment;
    int tos;
    boolean dontFragment;

    /**
     * Parses the packet at {@code start} of which {@code available} bytes are present.
     *
     * @return null when well-formed, else why not
     */
    DropReason parse(ByteBuf buf, int start, int available, Walk walk) {
        this.start = start;
        fragment = false;
        nonFirstFragment = false;
        if (available < 1) {
            return DropReason.TRUNCATED;
        }
        version = buf.getUnsignedByte(start) >>> 4;
        if (version == 4) {
            return parseV4(buf, start, available);
        }
        if (version == 6) {
            return parseV6(buf, start, available, walk);
        }
        return DropReason.MALFORMED_IP;
    }

    private DropReason parseV4(ByteBuf buf, int s, int available) {
        if (available < 20) {
            return DropReason.TRUNCATED;
        }
        int ihl = (buf.getUnsignedByte(s) & 0x0F) * 4;
        totalLength = buf.getUnsignedShort(s + 2);
        if (ihl < 20 || totalLength < ihl) {
            return DropReason.MALFORMED_IP;
        }
        if (totalLength > available) {
            return DropReason.TRUNCATED;
        }
        if (InetChecksum.fold(InetChecksum.sum(buf, s, ihl, 0)) != 0) {
            return DropReason.MALFORMED_IP;
        }
        tos = buf.getUnsignedByte(s + 1);
        int frag = buf.getUnsignedShort(s + 6);
        dontFragment = (frag & 0x4000) != 0;
        fragment = (frag & 0x3FFF) != 0;
        nonFirstFragment = (frag & 0x1FFF) != 0;
        baseLength = ihl;
        headerLength = ihl;
        protocol = buf.getUnsignedByte(s + 9);
        protocolIndex = s + 9;
        src4 = buf.getInt(s + 12);
        dst4 = buf.getInt(s + 16);
        return null;
    }

    private DropReason parseV6(ByteBuf buf, int s, int available, Walk walk) {
        if (available < 40) {
            return DropReason.TRUNCATED;
        }
        totalLength = 40 + buf.getUnsignedShort(s + 4);
        if (totalLength == 40 && buf.getUnsignedByte(s + 6) == PROTO_HOPOPT) {
            // A jumbogram (RFC 2675) has payload length 0; this data plane never carries one.
            return DropReason.UNSUPPORTED;
        }
        if (totalLength > available) {
            return DropReason.TRUNCATED;
        }
        tos = (buf.getUnsignedShort(s) >>> 4) & 0xFF;
        dontFragment = true;
        srcHi = buf.getLong(s + 8);
        srcLo = buf.getLong(s + 16);
        dstHi = buf.getLong(s + 24);
        dstLo = buf.getLong(s + 32);
        baseLength = 40;
        int nhIndex = s + 6;
        int off = s + 40;
        int end = s + totalLength;
        int nh = buf.getUnsignedByte(nhIndex);
        for (int count = 0; ; count++) {
            boolean ext = nh == PROTO_HOPOPT || nh == PROTO_ROUTING || nh == PROTO_DSTOPTS || nh == PROTO_FRAGMENT
                    || (nh == PROTO_AH && walk == Walk.SELECTOR);
            if (!ext) {
                break;
            }
            if (count >= MAX_EXTENSION_HEADERS) {
                return DropReason.UNSUPPORTED;
            }
            if (nh == PROTO_HOPOPT && off != s + 40) {
                return DropReason.MALFORMED_IP; // RFC 8200 §4.3: only immediately after the IPv6 header
            }
            if (off + 8 > end) {
                return DropReason.TRUNCATED;
            }
            int next = buf.getUnsignedByte(off);
            if (walk == Walk.TRANSPORT) {
                boolean keep = nh == PROTO_HOPOPT || nh == PROTO_ROUTING || (nh == PROTO_DSTOPTS && next == PROTO_ROUTING);
                if (!keep) {
                    break;
                }
            }
            int len;
            if (nh == PROTO_FRAGMENT) {
                if (walk != Walk.SELECTOR) {
                    fragment = true;
                    break;
                }
                fragment = true;
                nonFirstFragment = (buf.getUnsignedShort(off + 2) & 0xFFF8) != 0;
                len = 8;
            } else if (nh == PROTO_AH) {
                len = (buf.getUnsignedByte(off + 1) + 2) * 4;
            } else {
                len = (buf.getUnsignedByte(off + 1) + 1) * 8;
            }
            if (off + len > end) {
                return DropReason.TRUNCATED;
            }
            nhIndex = off;
            nh = next;
            off += len;
            if (nonFirstFragment) {
                break;
            }
        }
        headerLength = off - s;
        protocol = nh;
        protocolIndex = nhIndex;
        return null;
    }

    /** Source port of TCP/UDP/SCTP/UDP-Lite, or -1 when there is none to read (non-first fragment, other protocol). */
    int sourcePort(ByteBuf buf) {
        return port(buf, 0);
    }

    int destinationPort(ByteBuf buf) {
        return port(buf, 2);
    }

    private int port(ByteBuf buf, int at) {
        if (nonFirstFragment || !net.poolsa.esp.sa.TrafficSelector.hasPorts(protocol) || headerLength + 4 > totalLength) {
            return -1;
        }
        return buf.getUnsignedShort(start + headerLength + at);
    }

    boolean v4() {
        return version == 4;
    }
}

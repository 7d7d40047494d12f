package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.OuterAddress;

/**
 * Writes and patches IPv4 (RFC 791) and IPv6 (RFC 8200) headers, and zeroes the fields AH must not cover
 * (RFC 4302 §3.3.3.1).
 */
final class IpHeaders {
    static final int V4_LENGTH = 20;
    static final int V6_LENGTH = 40;
    static final int UDP_LENGTH = 8;
    /** Outer TTL / hop limit of a tunnel header (RFC 4301 §5.1.2: set by the encapsulator). */
    static final int OUTER_TTL = 64;

    private IpHeaders() {
    }

    /** Writes a 20-byte IPv4 header at the writer index, checksum included. */
    static void writeV4(ByteBuf out, int tos, int totalLength, int id, boolean df, int protocol, int src, int dst) {
        int s = out.writerIndex();
        out.writeByte(0x45);
        out.writeByte(tos);
        out.writeShort(totalLength);
        out.writeShort(id);
        out.writeShort(df ? 0x4000 : 0);
        out.writeByte(OUTER_TTL);
        out.writeByte(protocol);
        out.writeShort(0);
        out.writeInt(src);
        out.writeInt(dst);
        out.setShort(s + 10, Checksums.checksum(out, s, V4_LENGTH));
    }

    /** Writes a 40-byte IPv6 header at the writer index. */
    static void writeV6(ByteBuf out, int trafficClass, int payloadLength, int nextHeader, OuterAddress src, OuterAddress dst) {
        out.writeInt(0x6000_0000 | (trafficClass << 20));
        out.writeShort(payloadLength);
        out.writeByte(nextHeader);
        out.writeByte(OUTER_TTL);
        out.writeLong(src.v6Hi());
        out.writeLong(src.v6Lo());
        out.writeLong(dst.v6Hi());
        out.writeLong(dst.v6Lo());
    }

    /**
     * After a transport-mode header was copied to {@code s} of {@code out}: sets the protocol byte at
     * {@code protocolIndex}, the length field for a packet of {@code totalLength} bytes, and the IPv4 checksum.
     */
    static void patch(ByteBuf out, int s, int version, int baseLength, int protocolIndex, int protocol, int totalLength) {
        out.setByte(protocolIndex, protocol);
        if (version == 4) {
            out.setShort(s + 2, totalLength);
            out.setShort(s + 10, 0);
            out.setShort(s + 10, Checksums.checksum(out, s, baseLength));
        } else {
            out.setShort(s + 4, totalLength - V6_LENGTH);
        }
    }

    /** The UDP checksum of the datagram at {@code udpOff} (length {@code udpLen}) under an IPv6 header at {@code ipOff}. */
    static int udpChecksumV6(ByteBuf out, int ipOff, int udpOff, int udpLen) {
        long sum = Checksums.ipv6PseudoHeader(out, ipOff, udpLen, IpPacketView.PROTO_UDP);
        int c = Checksums.fold(Checksums.sum(out, udpOff, udpLen, sum));
        return c == 0 ? 0xFFFF : c;
    }

    /**
     * Zeroes, in a copy of an IP header of {@code len} bytes, the fields that change in transit so AH's ICV
     * skips them (RFC 4302 §3.3.3.1): IPv4 TOS, flags + offset, TTL, checksum and mutable options; IPv6
     * traffic class, flow label, hop limit, and option data of options marked as changing en route.
     *
     * @return false when the header carries something whose value at the destination cannot be predicted
     *         here (an IPv6 Routing header, an IPv4 source route option): AH over it is not supported
     */
    static boolean zeroMutable(byte[] h, int len, int version) {
        if (version == 4) {
            h[1] = 0;
            h[6] = 0;
            h[7] = 0;
            h[8] = 0;
            h[10] = 0;
            h[11] = 0;
            return zeroV4Options(h, V4_LENGTH, len);
        }
        h[0] = 0x60;
        h[1] = 0;
        h[2] = 0;
        h[3] = 0;
        h[7] = 0;
        int nh = h[6] & 0xFF;
        int off = V6_LENGTH;
        while (off < len) {
            if (nh == IpPacketView.PROTO_ROUTING) {
                return false;
            }
            int next = h[off] & 0xFF;
            int extLen = ((h[off + 1] & 0xFF) + 1) * 8;
            if (nh == IpPacketView.PROTO_HOPOPT || nh == IpPacketView.PROTO_DSTOPTS) {
                if (!zeroV6Options(h, off + 2, off + extLen)) {
                    return false;
                }
            }
            nh = next;
            off += extLen;
        }
        return true;
    }

    private static boolean zeroV6Options(byte[] h, int off, int end) {
        while (off < end) {
            int type = h[off] & 0xFF;
            if (type == 0) { // Pad1
                off++;
                continue;
            }
            if (off + 2 > end) {
                return false;
            }
            int optLen = h[off + 1] & 0xFF;
            if (off + 2 + optLen > end) {
                return false;
            }
            if ((type & 0x20) != 0) { // RFC 8200 §4.2: the third-highest bit marks data that may change en route
                java.util.Arrays.fill(h, off + 2, off + 2 + optLen, (byte) 0);
            }
            off += 2 + optLen;
        }
        return true;
    }

    /** RFC 4302 Appendix A.1: only the options listed as immutable keep their bytes; source routes are refused. */
    private static boolean zeroV4Options(byte[] h, int off, int end) {
        while (off < end) {
            int type = h[off] & 0xFF;
            if (type == 0) { // End of Option List: the rest is padding
                return true;
            }
            if (type == 1) { // NOP
                off++;
                continue;
            }
            if (off + 2 > end) {
                return false;
            }
            int optLen = h[off + 1] & 0xFF;
            if (optLen < 2 || off + optLen > end) {
                return false;
            }
            if (type == 0x83 || type == 0x89) { // LSRR / SSRR: the destination field is predictable only with work we do not do
                return false;
            }
            boolean immutable = type == 130 || type == 133 || type == 134 || type == 148 || type == 149;
            if (!immutable) {
                java.util.Arrays.fill(h, off, off + optLen, (byte) 0);
            }
            off += optLen;
        }
        return true;
    }
}

package net.poolsa.esp.ip;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Builds the ICMP errors the gateway sends to an inner source: to one whose packet would not fit the path after
 * encapsulation, ICMP "fragmentation needed and DF set" with the next-hop MTU (RFC 792, RFC 1191 §4) and ICMPv6
 * "Packet Too Big" (RFC 4443 §3.2), as RFC 4301 §8.2.1 asks the IPsec implementation to report the usable MTU
 * (path MTU minus the IPsec overhead); to one whose decapsulated packet ran out of TTL or hop limit while the
 * gateway forwarded it, ICMP / ICMPv6 "time exceeded" (RFC 792, RFC 1812 §5.3.1, RFC 4443 §3.3).
 *
 * <p>Errors are rate-limited with a token bucket (RFC 4443 §2.4 (f), RFC 1812 §4.3.2.8), so a flood of
 * oversize packets cannot turn the gateway into an ICMP amplifier.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc1191#section-4">RFC 1191 §4</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4443#section-3.2">RFC 4443 §3.2</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4443#section-3.3">RFC 4443 §3.3</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc1812#section-4.3.2.7">RFC 1812 §4.3.2.7</a>
 */
public final class IcmpErrors {
    /** RFC 1812 §4.3.2.3: an ICMPv4 error carries as much of the original as fits in 576 bytes. */
    public static final int MAX_V4_ERROR = 576;
    /** RFC 4443 §2.4 (c): an ICMPv6 error must not exceed the IPv6 minimum MTU. */
    public static final int MAX_V6_ERROR = 1280;
    /** The IPv6 minimum link MTU (RFC 8200 §5): a Packet Too Big never announces less. */
    public static final int IPV6_MIN_MTU = 1280;
    /** TOS/traffic class "internetwork control", as Linux sends its own ICMP errors. */
    public static final int TOS_INTERNETWORK_CONTROL = 0xc0;

    private final int ratePerSecond;
    private final int burst;
    private double tokens;
    private long lastNanos;

    /** @param ratePerSecond errors allowed per second on average; @param burst errors allowed at once */
    public IcmpErrors(int ratePerSecond, int burst) {
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.tokens = burst;
        this.lastNanos = Long.MIN_VALUE;
    }

    /** Takes one token if the bucket has one at {@code nowNanos}. Single-threaded (one per event loop). */
    public boolean permit(long nowNanos) {
        if (lastNanos != Long.MIN_VALUE) {
            tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * (ratePerSecond / 1e9));
        }
        lastNanos = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /**
     * ICMP type 3 code 4 from {@code source} to the offending packet's source.
     *
     * @param offending the IPv4 packet that did not fit (readable bytes = the packet); not released
     * @param nextHopMtu the largest inner packet that fits after encapsulation
     */
    public static ByteBuf fragmentationNeeded(ByteBufAllocator alloc, int source, ByteBuf offending, int nextHopMtu) {
        return v4Error(alloc, source, offending, 3, 4, nextHopMtu, MAX_V4_ERROR);
    }

    /**
     * ICMPv6 Packet Too Big from {@code source} (network-order halves) to the offending packet's source.
     *
     * @param mtu the largest inner packet that fits; raised to 1280 if lower (RFC 8200 §5)
     */
    public static ByteBuf packetTooBig(ByteBufAllocator alloc, long sourceHi, long sourceLo, ByteBuf offending, int mtu) {
        return v6Error(alloc, sourceHi, sourceLo, offending, 2, 0, Math.max(mtu, IPV6_MIN_MTU), MAX_V6_ERROR);
    }

    /**
     * ICMP Time Exceeded, code 0 "time to live exceeded in transit" (RFC 792, RFC 1812 §5.3.1), from {@code source}
     * to the offending packet's source, quoting the packet as it arrived.
     *
     * @param maxLength the longest error to build (at most {@link #MAX_V4_ERROR}; less leaves room for a tunnel)
     */
    public static ByteBuf timeExceeded(ByteBufAllocator alloc, int source, ByteBuf offending, int maxLength) {
        return v4Error(alloc, source, offending, 11, 0, 0, Math.min(maxLength, MAX_V4_ERROR));
    }

    /**
     * ICMPv6 Time Exceeded, code 0 "hop limit exceeded in transit" (RFC 4443 §3.3), from {@code source} to the
     * offending packet's source, quoting the packet as it arrived.
     *
     * @param maxLength the longest error to build (at most {@link #MAX_V6_ERROR})
     */
    public static ByteBuf hopLimitExceeded(ByteBufAllocator alloc, long sourceHi, long sourceLo, ByteBuf offending,
                                           int maxLength) {
        return v6Error(alloc, sourceHi, sourceLo, offending, 3, 0, 0, Math.min(maxLength, MAX_V6_ERROR));
    }

    /**
     * Whether the packet {@code v} describes may be answered with an ICMP error at all. Never about an ICMP
     * error (RFC 792, RFC 4443 §2.4 (e.1)), a non-first IPv4 fragment (RFC 1812 §4.3.2.7), a packet to a
     * multicast or broadcast destination, or from a source that names no single host (unspecified, loopback,
     * multicast, broadcast: RFC 1812 §4.3.2.7, RFC 4443 §2.4 (e)): the error could not reach a single sender or
     * would answer one.
     */
    public static boolean mayAnswer(IpPacketView v) {
        if (v.isV4()) {
            int src = v.v4Source();
            int dst = v.v4Destination();
            if (v.isFragment() && !v.isFirstFragment()) {
                return false;
            }
            if (v.protocol() == IpPacketView.PROTO_ICMP && isV4Error(v.sourcePort())) {
                return false;
            }
            int srcTop = src >>> 24;
            return srcTop != 0 && srcTop != 127 && (src >>> 28) != 0xE && src != -1 && (dst >>> 28) != 0xE && dst != -1;
        }
        if (v.protocol() == IpPacketView.PROTO_ICMPV6 && v.sourcePort() < 128) {
            return false; // ICMPv6 types below 128 are errors (RFC 4443 §2.1)
        }
        boolean srcUnspecified = v.v6SourceHi() == 0 && v.v6SourceLo() == 0;
        boolean srcLoopback = v.v6SourceHi() == 0 && v.v6SourceLo() == 1;
        boolean srcMulticast = (v.v6SourceHi() >>> 56) == 0xFF;
        boolean dstMulticast = (v.v6DestinationHi() >>> 56) == 0xFF;
        return !srcUnspecified && !srcLoopback && !srcMulticast && !dstMulticast;
    }

    /** Destination unreachable, source quench, redirect, time exceeded, parameter problem. */
    private static boolean isV4Error(int type) {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    /** An ICMP error: 8-byte ICMP header whose last 4 bytes are {@code rest}, then as much of the offending packet as fits. */
    private static ByteBuf v4Error(ByteBufAllocator alloc, int source, ByteBuf offending, int type, int code, int rest,
                                   int maxLength) {
        int base = offending.readerIndex();
        int quoted = Math.min(offending.readableBytes(), Math.min(offending.getUnsignedShort(base + 2), maxLength - 28));
        int total = 28 + quoted;
        ByteBuf b = alloc.buffer(total);
        int at = b.writerIndex();
        b.writeByte(0x45).writeByte(TOS_INTERNETWORK_CONTROL).writeShort(total);
        b.writeShort(0).writeShort(0);
        b.writeByte(64).writeByte(IpPacketView.PROTO_ICMP).writeShort(0);
        b.writeInt(source).writeInt(offending.getInt(base + 12));
        Checksums.writeIpv4HeaderChecksum(b, at);
        b.writeByte(type).writeByte(code).writeShort(0).writeInt(rest);
        b.writeBytes(offending, base, quoted);
        b.setShort(at + 22, Checksums.checksum(b, at + 20, 8 + quoted));
        return b;
    }

    private static ByteBuf v6Error(ByteBufAllocator alloc, long sourceHi, long sourceLo, ByteBuf offending, int type,
                                   int code, int rest, int maxLength) {
        int base = offending.readerIndex();
        int origLen = Math.min(offending.readableBytes(), 40 + offending.getUnsignedShort(base + 4));
        int quoted = Math.min(origLen, maxLength - 48);
        int icmpLen = 8 + quoted;
        ByteBuf b = alloc.buffer(40 + icmpLen);
        int at = b.writerIndex();
        b.writeInt(0x60000000 | (TOS_INTERNETWORK_CONTROL << 20));
        b.writeShort(icmpLen).writeByte(IpPacketView.PROTO_ICMPV6).writeByte(64);
        b.writeLong(sourceHi).writeLong(sourceLo);
        b.writeBytes(offending, base + 8, 16);
        b.writeByte(type).writeByte(code).writeShort(0).writeInt(rest);
        b.writeBytes(offending, base, quoted);
        long pseudo = Checksums.ipv6PseudoHeader(b, at, icmpLen, IpPacketView.PROTO_ICMPV6);
        b.setShort(at + 42, Checksums.fold(Checksums.sum(b, at + 40, icmpLen, pseudo)));
        return b;
    }
}

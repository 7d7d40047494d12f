package net.poolsa.esp.ip;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Builds the ICMP errors the gateway sends to an inner source whose packet would not fit the path after
 * encapsulation: ICMP "fragmentation needed and DF set" with the next-hop MTU (RFC 792, RFC 1191 §4)
 * and ICMPv6 "Packet Too Big" (RFC 4443 §3.2). RFC 4301 §8.2.1 asks the IPsec implementation to report
 * the usable MTU (path MTU minus the IPsec overhead) this way.
 *
 * <p>Errors are rate-limited with a token bucket (RFC 4443 §2.4 (f), RFC 1812 §4.3.2.8), so a flood of
 * oversize packets cannot turn the gateway into an ICMP amplifier.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc1191#section-4">RFC 1191 §4</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4443#section-3.2">RFC 4443 §3.2</a>
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
        int base = offending.readerIndex();
        int quoted = Math.min(offending.readableBytes(), Math.min(offending.getUnsignedShort(base + 2), MAX_V4_ERROR - 28));
        int total = 28 + quoted;
        ByteBuf b = alloc.buffer(total);
        int at = b.writerIndex();
        b.writeByte(0x45).writeByte(TOS_INTERNETWORK_CONTROL).writeShort(total);
        b.writeShort(0).writeShort(0);
        b.writeByte(64).writeByte(IpPacketView.PROTO_ICMP).writeShort(0);
        b.writeInt(source).writeInt(offending.getInt(base + 12));
        Checksums.writeIpv4HeaderChecksum(b, at);
        b.writeByte(3).writeByte(4).writeShort(0).writeShort(0).writeShort(nextHopMtu);
        b.writeBytes(offending, base, quoted);
        b.setShort(at + 22, Checksums.checksum(b, at + 20, 8 + quoted));
        return b;
    }

    /**
     * ICMPv6 Packet Too Big from {@code source} (network-order halves) to the offending packet's source.
     *
     * @param mtu the largest inner packet that fits; raised to 1280 if lower (RFC 8200 §5)
     */
    public static ByteBuf packetTooBig(ByteBufAllocator alloc, long sourceHi, long sourceLo, ByteBuf offending, int mtu) {
        int base = offending.readerIndex();
        int origLen = Math.min(offending.readableBytes(), 40 + offending.getUnsignedShort(base + 4));
        int quoted = Math.min(origLen, MAX_V6_ERROR - 48);
        int icmpLen = 8 + quoted;
        ByteBuf b = alloc.buffer(40 + icmpLen);
        int at = b.writerIndex();
        b.writeInt(0x60000000 | (TOS_INTERNETWORK_CONTROL << 20));
        b.writeShort(icmpLen).writeByte(IpPacketView.PROTO_ICMPV6).writeByte(64);
        b.writeLong(sourceHi).writeLong(sourceLo);
        b.writeBytes(offending, base + 8, 16);
        b.writeByte(2).writeByte(0).writeShort(0).writeInt(Math.max(mtu, IPV6_MIN_MTU));
        b.writeBytes(offending, base, quoted);
        long pseudo = Checksums.ipv6PseudoHeader(b, at, icmpLen, IpPacketView.PROTO_ICMPV6);
        b.setShort(at + 42, Checksums.fold(Checksums.sum(b, at + 40, icmpLen, pseudo)));
        return b;
    }
}

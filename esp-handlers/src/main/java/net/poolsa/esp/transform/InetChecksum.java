package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;

/** The Internet checksum (RFC 1071) over ByteBuf regions: IPv4 header checksum and the UDP checksum over IPv6. */
final class InetChecksum {
    private InetChecksum() {
    }

    /** One's-complement sum of {@code len} bytes at {@code off}, not yet folded, added to {@code sum}. */
    static long sum(ByteBuf buf, int off, int len, long sum) {
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            sum += buf.getUnsignedInt(off + i);
        }
        for (; i + 2 <= len; i += 2) {
            sum += buf.getUnsignedShort(off + i);
        }
        if (i < len) {
            sum += (buf.getUnsignedByte(off + i) << 8);
        }
        return sum;
    }

    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    static long sumLong(long v) {
        return (v >>> 48) + ((v >>> 32) & 0xFFFF) + ((v >>> 16) & 0xFFFF) + (v & 0xFFFF);
    }
}

package net.poolsa.esp.ip;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum (one's complement sum of 16-bit words), read straight from a buffer.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc1071">RFC 1071</a>
 */
public final class Checksums {
    private Checksums() {
    }

    /** The unfolded 32-bit sum of {@code length} bytes at absolute index {@code offset}, added to {@code initial}. */
    public static long sum(ByteBuf buf, int offset, int length, long initial) {
        long s = initial;
        int i = offset;
        int end = offset + length;
        for (; i + 3 < end; i += 4) {
            s += buf.getUnsignedInt(i);
        }
        for (; i + 1 < end; i += 2) {
            s += buf.getUnsignedShort(i);
        }
        if (i < end) {
            s += (buf.getUnsignedByte(i) << 8);
        }
        return s;
    }

    /** Folds a sum to 16 bits and complements it: the value to write into a checksum field. */
    public static int fold(long sum) {
        long s = sum;
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    /** Checksum of a byte range (an IPv4 header with its checksum field zeroed, an ICMP message). */
    public static int checksum(ByteBuf buf, int offset, int length) {
        return fold(sum(buf, offset, length, 0));
    }

    /** Recomputes and writes the checksum of the IPv4 header at absolute index {@code offset}. */
    public static void writeIpv4HeaderChecksum(ByteBuf buf, int offset) {
        int ihl = (buf.getUnsignedByte(offset) & 0x0f) * 4;
        buf.setShort(offset + 10, 0);
        buf.setShort(offset + 10, checksum(buf, offset, ihl));
    }

    /**
     * Updates the checksum at absolute index {@code checksumIndex} after one 16-bit word it covers changed from
     * {@code oldWord} to {@code newWord}, without summing the rest again: HC' = ~(~HC + ~m + m') (RFC 1624 §3,
     * eqn. 3, which unlike eqn. 2 never turns a correct result into the negative zero 0xFFFF).
     */
    public static void updateWord(ByteBuf buf, int checksumIndex, int oldWord, int newWord) {
        int s = (~buf.getUnsignedShort(checksumIndex) & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        buf.setShort(checksumIndex, ~s & 0xffff);
    }

    /** The RFC 8200 §8.1 pseudo-header sum of an IPv6 upper-layer checksum. */
    public static long ipv6PseudoHeader(ByteBuf ipv6, int offset, int upperLength, int nextHeader) {
        long s = sum(ipv6, offset + 8, 32, 0);
        return s + upperLength + nextHeader;
    }
}

package net.poolsa.esp.netns;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.sa.OuterAddress;

/** TEST ONLY: the outer IP header and SPI/sequence words of the ESP-shaped test transforms (Xor, Copy). */
final class EspShape {
    private EspShape() {
    }

    /** Writes IPv4 or IPv6 + protocol 50 + SPI + sequence to {@code b}; {@code payload} counts from the SPI on. */
    static void writeOuter(ByteBuf b, OuterAddress src, OuterAddress dst, int payload, int spi, int seq) {
        if (src.v4()) {
            b.writeByte(0x45).writeByte(0).writeShort(20 + payload).writeShort(0).writeShort(0x4000);
            b.writeByte(64).writeByte(50).writeShort(0).writeInt(src.v4Bits()).writeInt(dst.v4Bits());
            Checksums.writeIpv4HeaderChecksum(b, 0);
        } else {
            b.writeInt(0x60000000).writeShort(payload).writeByte(50).writeByte(64);
            b.writeLong(src.v6Hi()).writeLong(src.v6Lo()).writeLong(dst.v6Hi()).writeLong(dst.v6Lo());
        }
        b.writeInt(spi).writeInt(seq);
    }

    /** The outer IP header length of a packet written by {@link #writeOuter}. */
    static int headerLength(ByteBuf outer) {
        int at = outer.readerIndex();
        return (outer.getUnsignedByte(at) >>> 4) == 4 ? (outer.getUnsignedByte(at) & 15) * 4 : 40;
    }
}

package net.poolsa.esp.netns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.pipeline.PacketProtector;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * TEST ONLY, no security: an ESP-shaped tunnel (outer IP header, protocol 50, SPI, sequence number,
 * inner packet XORed with the first key byte, a 4-byte check word) so that the pipeline, capture, emit and
 * failover can be tested before the real transforms are wired. Never used outside src/test.
 */
public final class XorProtector implements PacketProtector {
    private final ByteBufAllocator alloc;
    private final DropListener drops;
    private int seq;

    public XorProtector(ByteBufAllocator alloc, DropListener drops) {
        this.alloc = alloc;
        this.drops = drops;
    }

    private static int key(SecurityAssociation sa) {
        byte[] k = sa.keys().encryptionKey();
        return k.length == 0 ? 0x5a : k[0] & 0xff;
    }

    @Override
    public ByteBuf protect(SecurityAssociation sa, ByteBuf inner, OuterAddress src, OuterAddress dst) {
        int len = inner.readableBytes();
        int k = key(sa);
        int check = 0;
        boolean v4 = src.v4();
        int hl = v4 ? 20 : 40;
        ByteBuf b = alloc.directBuffer(hl + 8 + len + 4);
        int payload = 8 + len + 4;
        if (v4) {
            b.writeByte(0x45).writeByte(0).writeShort(hl + payload).writeShort(0).writeShort(0x4000);
            b.writeByte(64).writeByte(50).writeShort(0).writeInt(src.v4Bits()).writeInt(dst.v4Bits());
            Checksums.writeIpv4HeaderChecksum(b, 0);
        } else {
            b.writeInt(0x60000000).writeShort(payload).writeByte(50).writeByte(64);
            b.writeLong(src.v6Hi()).writeLong(src.v6Lo()).writeLong(dst.v6Hi()).writeLong(dst.v6Lo());
        }
        b.writeInt(sa.spi()).writeInt(++seq);
        for (int i = 0; i < len; i++) {
            int x = inner.getUnsignedByte(inner.readerIndex() + i);
            check = check * 31 + x;
            b.writeByte(x ^ k);
        }
        b.writeInt(check);
        sa.account(len);
        return b;
    }

    @Override
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer) {
        int at = outer.readerIndex();
        int hl = (outer.getUnsignedByte(at) >>> 4) == 4 ? (outer.getUnsignedByte(at) & 15) * 4 : 40;
        int len = outer.readableBytes() - hl - 12;
        if (len <= 0) {
            drops.dropped(DropReason.TRUNCATED, sa);
            return null;
        }
        int k = key(sa);
        int check = 0;
        ByteBuf b = alloc.directBuffer(len);
        for (int i = 0; i < len; i++) {
            int x = outer.getUnsignedByte(at + hl + 8 + i) ^ k;
            check = check * 31 + x;
            b.writeByte(x);
        }
        if (check != outer.getInt(at + hl + 8 + len)) {
            b.release();
            drops.dropped(DropReason.BAD_ICV, sa);
            return null;
        }
        sa.account(len);
        return b;
    }
}

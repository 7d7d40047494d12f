package net.poolsa.esp.netns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * TEST ONLY, no security: an ESP-shaped tunnel (outer IP header, protocol 50, SPI, sequence number,
 * inner packet XORed with the first key byte, a 4-byte check word) so that the pipeline, capture, emit and
 * failover can be tested before the real transforms are wired. Never used outside src/test.
 */
public final class XorProtector extends ShapedProtector {
    private final ByteBufAllocator alloc;
    private int seq;

    public XorProtector(ByteBufAllocator alloc, DropListener drops) {
        super(drops);
        this.alloc = alloc;
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
        ByteBuf b = alloc.directBuffer((src.v4() ? 20 : 40) + 8 + len + 4);
        EspShape.writeOuter(b, src, dst, 8 + len + 4, sa.spi(), ++seq);
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
        int hl = EspShape.headerLength(outer);
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

package net.poolsa.esp.netns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * BENCHMARK ONLY, no security: an ESP-shaped tunnel whose "transform" is one bulk copy of the inner packet
 * (outer IP header, protocol 50, SPI, sequence number, inner packet as is). With it the data path costs what
 * capture, decode, lookup, buffers and emit cost, so bench/datapath/run.sh's {@code copy} case measures the
 * ceiling of the I/O path on a machine, which crypto can only lower. Never used outside src/test.
 */
public final class CopyProtector extends ShapedProtector {
    private final ByteBufAllocator alloc;
    private int seq;

    public CopyProtector(ByteBufAllocator alloc, DropListener drops) {
        super(drops);
        this.alloc = alloc;
    }

    @Override
    public ByteBuf protect(SecurityAssociation sa, ByteBuf inner, OuterAddress src, OuterAddress dst) {
        int len = inner.readableBytes();
        ByteBuf b = alloc.directBuffer((src.v4() ? 20 : 40) + 8 + len);
        EspShape.writeOuter(b, src, dst, 8 + len, sa.spi(), ++seq);
        b.writeBytes(inner, inner.readerIndex(), len);
        sa.account(len);
        return b;
    }

    @Override
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer) {
        int at = outer.readerIndex();
        int hl = EspShape.headerLength(outer);
        int len = outer.readableBytes() - hl - 8;
        if (len <= 0) {
            drops.dropped(DropReason.TRUNCATED, sa);
            return null;
        }
        ByteBuf b = alloc.directBuffer(len);
        b.writeBytes(outer, at + hl + 8, len);
        sa.account(len);
        return b;
    }
}

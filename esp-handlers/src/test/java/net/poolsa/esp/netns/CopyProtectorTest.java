package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TestSas;

/** The benchmark ceiling's "transform": ESP-shaped on the wire, and the inner packet comes back unchanged. */
class CopyProtectorTest {
    @Test
    void sealThenOpenGivesTheInnerPacketBack() {
        CopyProtector p = new CopyProtector(UnpooledByteBufAllocator.DEFAULT, DropListener.NONE);
        SecurityAssociation sa = TestSas.outbound(0xa001, 1, "198.51.100.1", "198.51.100.2");
        ByteBuf inner = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("4500001c0001000040010000c0000201c0000241" + "0800f7ff00000000"));
        ByteBuf outer = p.protect(sa, inner, OuterAddress.parse("198.51.100.1"), OuterAddress.parse("198.51.100.2"));
        assertEquals(50, outer.getUnsignedByte(9), "protocol ESP");
        assertEquals(20 + 8 + 28, outer.getUnsignedShort(2), "total length");
        assertEquals(0xa001, outer.getInt(20), "SPI");
        ByteBuf back = p.unprotect(sa, outer);
        assertEquals(ByteBufUtil.hexDump(inner), ByteBufUtil.hexDump(back));
        ByteBuf truncated = Unpooled.wrappedBuffer(new byte[24]);
        truncated.setByte(0, 0x45);
        assertNull(p.unprotect(sa, truncated));
        for (ByteBuf b : new ByteBuf[] {inner, outer, back, truncated}) {
            b.release();
        }
    }
}

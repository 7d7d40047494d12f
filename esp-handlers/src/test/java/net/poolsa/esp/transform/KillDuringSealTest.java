package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.CBC128_NOAUTH;
import static net.poolsa.esp.transform.Packets.GCM128;
import static net.poolsa.esp.transform.Packets.IN4_DST;
import static net.poolsa.esp.transform.Packets.IN4_SRC;
import static net.poolsa.esp.transform.Packets.OUT4_A;
import static net.poolsa.esp.transform.Packets.OUT4_B;
import static net.poolsa.esp.transform.Packets.addr;
import static net.poolsa.esp.transform.Packets.payload;
import static net.poolsa.esp.transform.Packets.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.transform.Packets.Drops;
import net.poolsa.esp.transform.Packets.Pair;
import net.poolsa.esp.transform.Packets.Suite;

/**
 * An SA killed by the control plane while the data path is sealing one of its packets: the kill wipes the
 * key and re-initialises the shared cipher with a zero key, so whatever the seal produces must not leave.
 * The kill is placed deterministically between the cipher's init and its doFinal: the output buffer is
 * direct, so the JCA glue copies the plaintext out of it there, and that copy runs the kill. Either the
 * provider refuses the re-initialised cipher or the processor's check after sealing drops the packet.
 */
class KillDuringSealTest {
    static Suite[] suites() {
        return new Suite[] {CBC128_NOAUTH, GCM128};
    }

    @ParameterizedTest
    @MethodSource("suites")
    void aPacketSealedWhileItsSaDiesIsDropped(Suite suite) {
        Pair p = Packets.pair(IpsecProtocol.ESP, SaMode.TUNNEL, suite, 0x4242, false, null);
        Runnable[] hook = {null};
        ByteBufAllocator alloc = new AbstractByteBufAllocator(true) {
            @Override
            public boolean isDirectBufferPooled() {
                return false;
            }

            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                return new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity) {
                    @Override
                    public ByteBuf getBytes(int index, byte[] dst, int dstIndex, int length) {
                        Runnable h = hook[0];
                        hook[0] = null;
                        if (h != null) {
                            h.run();
                        }
                        return super.getBytes(index, dst, dstIndex, length);
                    }
                };
            }
        };
        Drops drops = new Drops();
        IpsecProcessor tx = new IpsecProcessor(alloc, drops);
        ByteBuf inner = Unpooled.wrappedBuffer(udp(IN4_SRC, IN4_DST, 1000, 2000, payload(200)));
        // One packet first, so the cipher exists and the hook fires inside the second seal only.
        ByteBuf first = tx.protect(p.out(), inner, addr(OUT4_A), addr(OUT4_B));
        first.release();
        hook[0] = p.out()::kill;
        ByteBuf second = tx.protect(p.out(), inner, addr(OUT4_A), addr(OUT4_B));
        try {
            assertNull(second, "a packet sealed while its SA was killed must not be emitted");
            assertEquals(DropReason.SA_EXPIRED, drops.last());
            assertEquals(null, hook[0], "the kill ran inside the seal");
        } finally {
            if (second != null) {
                second.release();
            }
            inner.release();
        }
    }
}

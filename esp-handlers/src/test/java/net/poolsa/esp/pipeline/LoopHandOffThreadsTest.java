package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.local.LocalChannel;
import net.poolsa.esp.crypto.RandomSource;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.CopyProtector;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;
import org.junit.jupiter.api.Test;

/**
 * The hand-off between two real event loop threads: both loops capture packets of one SA, owned by loop 1, as fast as
 * they can in read batches of 32 (loop 0 pausing while its lane is nearly full, as a capture ring sets the pace). Loop
 * 1 must emit every packet, each loop's in the order that loop captured them, with the SA's sequence numbers in
 * emission order, and loop 0 none; the wake-ups are at most one per batch loop 0 published; every buffer is released
 * (paranoid leak detection in the build). Counts events, never time.
 */
class LoopHandOffThreadsTest {
    private static final int PER_LOOP = 5_000; // the lanes (1024) wrap around several times
    private static final int BATCH = 32;
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26");

    /** What a loop emitted, in order, as {capturing loop, IP identification, ESP sequence number}; its thread only. */
    private final List<List<int[]>> emitted = List.of(new ArrayList<>(), new ArrayList<>());

    private static ByteBuf udp(int fromLoop, int id) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(60);
        b.writeByte(0x45).writeByte(0).writeShort(60).writeShort(id).writeShort(0x4000);
        b.writeByte(64).writeByte(17).writeShort(0).writeInt(0xc0000201 + fromLoop).writeInt(0xc0000241);
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeShort(5000).writeShort(6000).writeShort(40).writeShort(0).writeZero(32);
        return b;
    }

    @Test
    void twoThreadsCapturingOneSaEveryPacketSealedByItsOwnerInCaptureOrder() throws Exception {
        int spi = 0x1000;
        while (LoopHandOff.owner(spi, 2) != 1) {
            spi++;
        }
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        kernel.addSa(ManualSas.outbound(spi, 1, GW_A, GW_B, NET_A, NET_B, ManualSas.xorKeys(0x33)));
        kernel.addPolicy(SecurityPolicy.protect("a-b", TrafficSelector.between(NET_A, NET_B), 1));
        AtomicInteger otherDrops = new AtomicInteger();
        AtomicInteger overload = new AtomicInteger();
        DataPathListener listener = new DataPathListener() {
            @Override
            public void dropped(DropReason reason, SecurityAssociation sa) {
                (reason == DropReason.OVERLOAD ? overload : otherDrops).incrementAndGet();
            }
        };
        LoopHandOff handOff = new LoopHandOff(2, listener);
        DefaultEventLoop[] loops = {new DefaultEventLoop(), new DefaultEventLoop()};
        LocalChannel[] channels = new LocalChannel[2];
        try {
            for (int i = 0; i < 2; i++) {
                List<int[]> out = emitted.get(i);
                LocalChannel ch = new LocalChannel();
                ch.pipeline().addFirst(new ChannelOutboundHandlerAdapter() { // the emitter
                    @Override
                    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                        ByteBuf o = (ByteBuf) msg;
                        int at = o.readerIndex(); // outer IPv4 (20) + SPI + sequence number, then the inner packet
                        out.add(new int[] {o.getInt(at + 28 + 12) - 0xc0000201, o.getUnsignedShort(at + 28 + 4),
                            o.getInt(at + 24)});
                        o.release();
                    }

                    @Override
                    public void flush(ChannelHandlerContext ctx) {
                    }
                });
                Pipelines.cleartext(ch.pipeline(), kernel, new CopyProtector(PooledByteBufAllocator.DEFAULT, listener),
                        new MtuSettings(1500, OuterAddress.parse("192.0.2.2"), OuterAddress.parse("2001:db8:1::2"), 100),
                        listener, RandomSource.SYSTEM, handOff.stage(i));
                loops[i].register(ch).sync();
                channels[i] = ch;
            }
            CountDownLatch generated = new CountDownLatch(2);
            int[] batches = new int[2];
            for (int i = 0; i < 2; i++) {
                int k = i;
                loops[i].execute(new Runnable() {
                    int next;

                    @Override
                    public void run() {
                        if (k == 0 && handOff.queued(0, 1) > LoopHandOff.LANE_CAPACITY - BATCH) {
                            loops[k].schedule(this, 50, TimeUnit.MICROSECONDS);
                            return;
                        }
                        for (int j = 0; j < BATCH && next < PER_LOOP; j++) {
                            channels[k].pipeline().fireChannelRead(udp(k, next++));
                        }
                        channels[k].pipeline().fireChannelReadComplete();
                        batches[k]++;
                        if (next < PER_LOOP) {
                            loops[k].execute(this); // behind the wake-ups queued meanwhile, as the next read would be
                        } else {
                            generated.countDown();
                        }
                    }
                });
            }
            assertTrue(generated.await(120, TimeUnit.SECONDS), "the loops generated their packets");
            // Loop 0 published its last batch before it counted down: the wake-up it queued on loop 1 runs first.
            loops[1].submit(() -> { }).sync();
            loops[0].submit(() -> { }).sync();

            assertEquals(0, otherDrops.get(), "no packet dropped for another reason");
            assertEquals(0, overload.get(), "loop 0 paused before its lane was full");
            assertEquals(0, emitted.get(0).size(), "loop 0 seals nothing: the SA is loop 1's");
            assertEquals(PER_LOOP, handOff.handedOff(0));
            long wakeUps = handOff.wakeUps(1);
            assertTrue(wakeUps >= 1 && wakeUps <= batches[0], "wake-ups " + wakeUps + " for " + batches[0] + " batches");
            List<int[]> out = emitted.get(1);
            assertEquals(2 * PER_LOOP, out.size(), "every packet of both loops emitted by the owner");
            int[] nextId = new int[2];
            for (int i = 0; i < out.size(); i++) {
                int[] p = out.get(i);
                assertEquals(i + 1, p[2], "sequence numbers in emission order");
                assertEquals(nextId[p[0]]++, p[1], "loop " + p[0] + "'s packets in its capture order");
            }
        } finally {
            for (int i = 0; i < 2; i++) {
                if (channels[i] != null) {
                    channels[i].close().sync();
                }
                loops[i].shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
            handOff.releaseAll();
        }
    }
}

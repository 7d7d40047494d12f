package net.poolsa.esp.pipeline;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
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
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;

/**
 * Benchmark tool, not a test: the outbound pipeline (decode, SPD, hand-off, ESP AES-GCM-128 seal) on two real event
 * loops joined by a {@link LoopHandOff}, without capture and emit, two SAs, one owned by each loop. Each loop feeds
 * itself batches of 32 packets of {@code size} bytes, as a capture read would, for {@code seconds}:
 * <ul>
 * <li>{@code own}: each loop's packets are for its own SA (no packet handed over: the cost of the stage alone);
 * <li>{@code crossed}: each loop's packets are for the other loop's SA (every packet handed over);
 * <li>{@code one-sa}: both loops' packets are for loop 0's SA (one busy SA: loop 0 seals everything, loop 1 hands it
 *     all over; a full lane drops, counted).
 * </ul>
 * A loop whose lane to the other is nearly full idles 50 us (its generator scheduled again) instead of generating: the
 * owner sets the pace, as a capture ring would. Usage:
 * {@code java -cp CP net.poolsa.esp.pipeline.HandOffThroughputMain [size] [seconds] [rounds] [mode...]}; prints
 * packets sealed per second, CPU per sealed packet (both loop threads' CPU time), packets handed over and dropped.
 */
public final class HandOffThroughputMain {
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26");
    private static final AddressPool NET_C = AddressPool.parse("192.0.2.128/26");

    private HandOffThroughputMain() {
    }

    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 1400;
        double secs = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        String[] modes = args.length > 3 ? java.util.Arrays.copyOfRange(args, 3, args.length) : new String[] {"own", "crossed", "one-sa"};
        for (int round = 0; round < rounds; round++) {
            String label = round < rounds - 1 ? "warm-up" : "measured";
            for (String mode : modes) {
                run(mode, size, secs, label);
            }
        }
    }

    private static SecurityAssociation outbound(int spi, int reqid, AddressPool remoteNet) {
        return SecurityAssociation.builder().spi(spi).reqid(reqid).direction(Direction.OUTBOUND)
                .localOuter(GW_A).remoteOuter(GW_B).selector(TrafficSelector.between(NET_A, remoteNet))
                .keys(new SaKeys("aes-gcm-16", new byte[20], "none", null)).replayWindow(0)
                .currentLocal(OuterAddress.parse("198.51.100.1")).currentRemote(OuterAddress.parse("198.51.100.2")).build();
    }

    private static int spiOwnedBy(int loop) {
        for (int spi = 0xa001; ; spi++) {
            if (LoopHandOff.owner(spi, 2) == loop) {
                return spi;
            }
        }
    }

    private static ByteBuf packet(int size, int dst) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        b.writeByte(0x45).writeByte(0).writeShort(size).writeShort(0).writeShort(0);
        b.writeByte(64).writeByte(17).writeShort(0).writeInt(0xc0000201).writeInt(dst);
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeShort(1000).writeShort(2000).writeShort(size - 20).writeShort(0).writeZero(size - 28);
        return b;
    }

    private static void run(String mode, int size, double secs, String label) throws Exception {
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        kernel.addSa(outbound(spiOwnedBy(0), 1, NET_B));
        kernel.addSa(outbound(spiOwnedBy(1), 2, NET_C));
        kernel.addPolicy(SecurityPolicy.protect("b", TrafficSelector.between(NET_A, NET_B), 1));
        kernel.addPolicy(SecurityPolicy.protect("c", TrafficSelector.between(NET_A, NET_C), 2));
        int toLoop0 = 0xc0000241; // 192.0.2.65: NET_B, loop 0's SA
        int toLoop1 = 0xc0000281; // 192.0.2.129: NET_C, loop 1's SA
        AtomicLong overload = new AtomicLong();
        DataPathListener listener = new DataPathListener() {
            @Override
            public void dropped(DropReason reason, SecurityAssociation sa) {
                if (reason == DropReason.OVERLOAD) {
                    overload.incrementAndGet();
                }
            }
        };
        LoopHandOff handOff = new LoopHandOff(2, listener);
        DefaultEventLoop[] loops = {new DefaultEventLoop(), new DefaultEventLoop()};
        LocalChannel[] channels = new LocalChannel[2];
        long[] sealed = new long[2];
        long[] waits = new long[2];
        Thread[] threads = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            LocalChannel ch = new LocalChannel();
            ch.pipeline().addFirst(new ChannelOutboundHandlerAdapter() { // the emitter: counts and releases
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                    ((ByteBuf) msg).release();
                    sealed[k]++;
                }

                @Override
                public void flush(ChannelHandlerContext ctx) {
                }
            });
            Pipelines.cleartext(ch.pipeline(), kernel, new IpsecProtector(ByteBufAllocator.DEFAULT, listener),
                    MtuSettings.of(9000), listener, RandomSource.SYSTEM, handOff.stage(i));
            loops[i].register(ch).sync();
            channels[i] = ch;
            threads[i] = loops[i].submit(Thread::currentThread).get();
        }
        int[] dst = switch (mode) {
            case "own" -> new int[] {toLoop0, toLoop1};
            case "crossed" -> new int[] {toLoop1, toLoop0};
            case "one-sa" -> new int[] {toLoop0, toLoop0};
            default -> throw new IllegalArgumentException("mode own, crossed or one-sa: " + mode);
        };
        ByteBuf[] source = {packet(size, dst[0]), packet(size, dst[1])};
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] cpu0 = {mx.getThreadCpuTime(threads[0].getId()), mx.getThreadCpuTime(threads[1].getId())};
        long end = System.nanoTime() + (long) (secs * 1e9);
        CountDownLatch done = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) {
            int k = i;
            loops[i].execute(new Runnable() {
                @Override
                public void run() {
                    if (System.nanoTime() >= end) {
                        done.countDown();
                        return;
                    }
                    // Closed loop: a capture cannot outrun the owner for long either (its ring fills and the kernel
                    // drops); without this the generator would mostly measure the cost of dropping at a full lane.
                    if (handOff.queued(k, 1 - k) > LoopHandOff.LANE_CAPACITY - 64) {
                        waits[k]++;
                        loops[k].schedule(this, 50, TimeUnit.MICROSECONDS); // idle, as a loop with nothing to read
                        return;
                    }
                    for (int j = 0; j < 32; j++) {
                        channels[k].pipeline().fireChannelRead(source[k].retainedDuplicate());
                    }
                    channels[k].pipeline().fireChannelReadComplete();
                    loops[k].execute(this); // behind the hand-off's wake-ups, as the next capture read would be
                }
            });
        }
        done.await();
        // The last handed batches: drained by the owner's wake-up, queued before the generators stopped.
        for (int i = 0; i < 2; i++) {
            loops[i].submit(() -> { }).sync();
        }
        long cpu = mx.getThreadCpuTime(threads[0].getId()) - cpu0[0] + mx.getThreadCpuTime(threads[1].getId()) - cpu0[1];
        long n = sealed[0] + sealed[1];
        long c0 = mx.getThreadCpuTime(threads[0].getId()) - cpu0[0];
        System.out.printf("%s, %d-byte packets, %s: %.0f packets/s sealed (loop 0 %d, loop 1 %d), %.0f ns CPU per sealed"
                        + " packet (both loops), loop 0 alone %.0f ns, handed over %d, dropped (lane full) %d, generator"
                        + " waits for a full lane %d / %d%n", mode, size, label, n / secs, sealed[0], sealed[1],
                (double) cpu / n, (double) c0 / Math.max(1, sealed[0]), handOff.handedOff(0) + handOff.handedOff(1),
                overload.get(), waits[0], waits[1]);
        for (int i = 0; i < 2; i++) {
            channels[i].close().sync();
            loops[i].shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        handOff.releaseAll();
        source[0].release();
        source[1].release();
    }
}

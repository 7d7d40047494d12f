package net.poolsa.esp.pipeline;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;

/**
 * Benchmark tool (bench/datapath/run.sh), not a test: packets per second of the two pipelines on one
 * thread with the real ESP transform (AES-GCM-128), without capture and emit, i.e. the per-core cost of
 * decode + SPD/SAD lookup + crypto. Usage: {@code java -cp CP net.poolsa.esp.pipeline.PipelineThroughputMain [size] [seconds] [loops] [rounds]}
 * (rounds: the last measured, the ones before warm the JIT up; default 2):
 * with loops &gt; 1, that many threads each run their own pair of pipelines on the same SAs at once (the data plane's
 * several event loops without capture and emit), and the packets/s are their sum.
 */
public final class PipelineThroughputMain {
    private PipelineThroughputMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 1400;
        double secs = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 2; // the last one measured, the others warm up
        AddressPool a = AddressPool.parse("198.51.100.1/32");
        AddressPool b = AddressPool.parse("198.51.100.2/32");
        AddressPool na = AddressPool.parse("192.0.2.0/26");
        AddressPool nb = AddressPool.parse("192.0.2.64/26");
        byte[] key = new byte[20];
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        SecurityAssociation out = SecurityAssociation.builder().spi(0xa001).reqid(1).direction(Direction.OUTBOUND)
                .localOuter(a).remoteOuter(b).selector(TrafficSelector.between(na, nb))
                .keys(new SaKeys("aes-gcm-16", key, "none", null)).replayWindow(0)
                .currentLocal(OuterAddress.parse("198.51.100.1")).currentRemote(OuterAddress.parse("198.51.100.2")).build();
        // The receiving side: the same SA seen inbound (replay window off: the benchmark replays one packet).
        SecurityAssociation in = SecurityAssociation.builder().spi(0xa001).reqid(1).direction(Direction.INBOUND)
                .localOuter(b).remoteOuter(a).selector(TrafficSelector.between(na, nb))
                .keys(new SaKeys("aes-gcm-16", key, "none", null)).replayWindow(0).build();
        kernel.addSa(out);
        kernel.addPolicy(SecurityPolicy.protect("p", TrafficSelector.between(na, nb), 1));
        UserspaceIpsecKernel peer = new UserspaceIpsecKernel();
        peer.addSa(in);

        ByteBuf inner = ByteBufAllocator.DEFAULT.directBuffer(size);
        inner.writeByte(0x45).writeByte(0).writeShort(size).writeShort(0).writeShort(0);
        inner.writeByte(64).writeByte(17).writeShort(0).writeInt(0xc0000201).writeInt(0xc0000241);
        Checksums.writeIpv4HeaderChecksum(inner, 0);
        inner.writeShort(1000).writeShort(2000).writeShort(size - 20).writeShort(0).writeZero(size - 28);
        Loop first = new Loop(kernel, peer);
        first.clear.pipeline().fireChannelRead(inner.retainedDuplicate());
        first.clear.pipeline().fireChannelReadComplete();
        ByteBuf outer = first.lastOuter;
        // Every loop has its own channels and crypto processor, as the data plane's event loops do; the SAs (sequence
        // number, counters) are shared.
        Loop[] loops = new Loop[threads];
        loops[0] = first;
        for (int i = 1; i < threads; i++) {
            loops[i] = new Loop(kernel, peer);
        }
        for (int round = 0; round < rounds; round++) {
            String label = round < rounds - 1 ? "warm-up" : "measured";
            long[] n = runAll(loops, true, inner, secs);
            System.out.printf("outbound (decode+SPD+ESP seal), %d-byte packets, %d loop(s), %s: %.0f packets/s, %.0f ns CPU"
                    + " per packet%n", size, threads, label, n[0] / secs, (double) n[1] / n[0]);
            long[] m = runAll(loops, false, outer, secs);
            System.out.printf("inbound (decode+SAD+ESP open+selectors), %d loop(s), %s: %.0f packets/s, %.0f ns CPU per"
                    + " packet%n", threads, label, m[0] / secs, (double) m[1] / m[0]);
        }
        inner.release();
        outer.release();
        for (Loop l : loops) {
            l.clear.finishAndReleaseAll();
            l.uplink.finishAndReleaseAll();
        }
    }

    /** One loop's two pipelines, used by one thread at a time. */
    private static final class Loop {
        final EmbeddedChannel clear = new EmbeddedChannel();
        final EmbeddedChannel uplink = new EmbeddedChannel();
        long bytes;
        ByteBuf lastOuter;

        Loop(UserspaceIpsecKernel kernel, UserspaceIpsecKernel peer) {
            clear.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                    ByteBuf o = (ByteBuf) msg;
                    bytes += o.readableBytes();
                    if (lastOuter == null) {
                        lastOuter = o.copy();
                    }
                    o.release();
                    promise.setSuccess();
                }
            });
            Pipelines.cleartext(clear.pipeline(), kernel, new IpsecProtector(ByteBufAllocator.DEFAULT, DataPathListener.NONE),
                    MtuSettings.of(9000), DataPathListener.NONE);
            uplink.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                    ByteBuf o = (ByteBuf) msg;
                    bytes += o.readableBytes();
                    o.release();
                    promise.setSuccess();
                }
            });
            Pipelines.uplink(uplink.pipeline(), peer, new IpsecProtector(ByteBufAllocator.DEFAULT, DataPathListener.NONE),
                    PathEvidence.NONE, DataPathListener.NONE);
        }
    }

    /**
     * Runs every loop on its own thread at once for {@code secs}; the packets processed by all of them, and the CPU time
     * their threads used (on a machine shared with other work the packets/s measure the CPU share the threads got, the
     * CPU time per packet what a packet costs).
     */
    private static long[] runAll(Loop[] loops, boolean outbound, ByteBuf packet, double secs) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(loops.length);
        long[] counts = new long[loops.length];
        long[] cpu = new long[loops.length];
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Thread[] threads = new Thread[loops.length];
        for (int i = 0; i < loops.length; i++) {
            int k = i;
            threads[i] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException | BrokenBarrierException e) {
                    throw new IllegalStateException(e);
                }
                long c0 = mx.getCurrentThreadCpuTime();
                counts[k] = run(outbound ? loops[k].clear : loops[k].uplink, packet, secs);
                cpu[k] = mx.getCurrentThreadCpuTime() - c0;
            }, "loop-" + i);
            threads[i].start();
        }
        long n = 0;
        long ns = 0;
        for (int i = 0; i < loops.length; i++) {
            threads[i].join();
            n += counts[i];
            ns += cpu[i];
        }
        return new long[] {n, ns};
    }

    private static long run(EmbeddedChannel ch, ByteBuf packet, double secs) {
        long end = System.nanoTime() + (long) (secs * 1e9);
        long n = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 32; i++) {
                ch.pipeline().fireChannelRead(packet.retainedDuplicate());
            }
            ch.pipeline().fireChannelReadComplete();
            n += 32;
        }
        return n;
    }
}

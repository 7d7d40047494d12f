package net.poolsa.esp.pipeline;

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
 * decode + SPD/SAD lookup + crypto. Usage: {@code java -cp CP net.poolsa.esp.pipeline.PipelineThroughputMain [size] [seconds]}.
 */
public final class PipelineThroughputMain {
    private PipelineThroughputMain() {
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 1400;
        double secs = args.length > 1 ? Double.parseDouble(args[1]) : 3;
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

        long[] sink = new long[1];
        ByteBuf[] lastOuter = new ByteBuf[1];
        EmbeddedChannel clear = new EmbeddedChannel();
        clear.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ByteBuf o = (ByteBuf) msg;
                sink[0] += o.readableBytes();
                if (lastOuter[0] == null) {
                    lastOuter[0] = o.copy();
                }
                o.release();
                promise.setSuccess();
            }
        });
        Pipelines.cleartext(clear.pipeline(), kernel, new IpsecProtector(ByteBufAllocator.DEFAULT, DataPathListener.NONE),
                MtuSettings.of(9000), DataPathListener.NONE);
        EmbeddedChannel uplink = new EmbeddedChannel();
        uplink.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ByteBuf o = (ByteBuf) msg;
                sink[0] += o.readableBytes();
                o.release();
                promise.setSuccess();
            }
        });
        Pipelines.uplink(uplink.pipeline(), peer, new IpsecProtector(ByteBufAllocator.DEFAULT, DataPathListener.NONE),
                PathEvidence.NONE, DataPathListener.NONE);

        ByteBuf inner = ByteBufAllocator.DEFAULT.directBuffer(size);
        inner.writeByte(0x45).writeByte(0).writeShort(size).writeShort(0).writeShort(0);
        inner.writeByte(64).writeByte(17).writeShort(0).writeInt(0xc0000201).writeInt(0xc0000241);
        Checksums.writeIpv4HeaderChecksum(inner, 0);
        inner.writeShort(1000).writeShort(2000).writeShort(size - 20).writeShort(0).writeZero(size - 28);

        for (int round = 0; round < 2; round++) {
            String label = round == 0 ? "warm-up" : "measured";
            long n = run(clear, inner, secs);
            System.out.printf("outbound (decode+SPD+ESP seal), %d-byte packets, %s: %.0f packets/s%n", size, label, n / secs);
            long m = run(uplink, lastOuter[0], secs);
            System.out.printf("inbound (decode+SAD+ESP open+selectors), %s: %.0f packets/s%n", label, m / secs);
        }
        inner.release();
        lastOuter[0].release();
        clear.finishAndReleaseAll();
        uplink.finishAndReleaseAll();
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

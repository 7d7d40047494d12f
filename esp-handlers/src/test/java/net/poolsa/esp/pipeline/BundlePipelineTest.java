package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.EnumMap;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.transform.IpsecProcessor;
import net.poolsa.esp.transform.SaBundle;
import org.junit.jupiter.api.Test;

/**
 * The uplink pipeline with the real transforms opens an AH+ESP bundle (the paper's configuration): the
 * packet is built by the transform layer's own {@link SaBundle} (ESP tunnel, then transport-mode AH),
 * and the pipeline finds both SAs by SPI and pools. A wrong AH ICV is dropped as BAD_ICV.
 */
class BundlePipelineTest {
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26");

    private static SecurityAssociation sa(Direction d, IpsecProtocol proto, int spi, SaKeys keys, TrafficSelector ts,
                                          AddressPool local, AddressPool remote) {
        return sa(1, d, proto, spi, keys, ts, local, remote);
    }

    private static SecurityAssociation sa(int reqid, Direction d, IpsecProtocol proto, int spi, SaKeys keys, TrafficSelector ts,
                                          AddressPool local, AddressPool remote) {
        return SecurityAssociation.builder().spi(spi).reqid(reqid).direction(d).protocol(proto)
                .mode(proto == IpsecProtocol.AH ? SaMode.TRANSPORT : SaMode.TUNNEL)
                .localOuter(local).remoteOuter(remote).selector(ts).keys(keys).build();
    }

    private static SaKeys espKeys() {
        byte[] k = new byte[20];
        for (int i = 0; i < k.length; i++) {
            k[i] = (byte) (i + 1);
        }
        return new SaKeys("aes-gcm-16", k, "none", null);
    }

    /** AH's HMAC-SHA-256-128 key (test values); PeerFollowPipelineTest's bundle uses it too. */
    static SaKeys ahKeys() {
        byte[] k = new byte[32];
        for (int i = 0; i < k.length; i++) {
            k[i] = (byte) (0x40 + i);
        }
        return new SaKeys("none", null, "hmac-sha2-256-128", k);
    }

    @Test
    void ahPlusEspBundleIsOpenedInTwoSteps() {
        Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
        DataPathListener listener = (r, s) -> drops.merge(r, 1, Integer::sum);
        // gwB's outbound bundle towards gwA, and gwA's inbound view of the same two SAs.
        TrafficSelector innerBA = TrafficSelector.between(NET_B, NET_A);
        TrafficSelector outerBA = TrafficSelector.between(GW_B, GW_A);
        SaBundle out = new SaBundle(sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x3001, espKeys(), innerBA, GW_B, GW_A),
                sa(Direction.OUTBOUND, IpsecProtocol.AH, 0x3002, ahKeys(), outerBA, GW_B, GW_A));
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        kernel.addSa(sa(Direction.INBOUND, IpsecProtocol.ESP, 0x3001, espKeys(), innerBA, GW_A, GW_B));
        kernel.addSa(sa(Direction.INBOUND, IpsecProtocol.AH, 0x3002, ahKeys(), outerBA, GW_A, GW_B));

        ByteBuf inner = PooledByteBufAllocator.DEFAULT.directBuffer();
        inner.writeByte(0x45).writeByte(0).writeShort(48).writeShort(7).writeShort(0).writeByte(64).writeByte(17)
                .writeShort(0).writeInt(0xc0000241).writeInt(0xc0000201);
        Checksums.writeIpv4HeaderChecksum(inner, 0);
        inner.writeShort(1000).writeShort(2000).writeShort(28).writeShort(0).writeBytes("twenty bytes payload".getBytes());
        byte[] innerBytes = ByteBufUtil.getBytes(inner);
        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);
        ByteBuf outer = out.protect(sender, inner, OuterAddress.parse("203.0.113.2"), OuterAddress.parse("198.51.100.1"));
        assertNotNull(outer);
        assertEquals(51, outer.getUnsignedByte(9)); // AH outside, as RFC 4301 §4.5 transport adjacency puts it
        ByteBuf forged = out.protect(sender, inner, OuterAddress.parse("203.0.113.2"), OuterAddress.parse("198.51.100.1"));
        inner.release();
        forged.setByte(forged.writerIndex() - 1, forged.getByte(forged.writerIndex() - 1) ^ 1);

        EmbeddedChannel uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), kernel, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener),
                PathEvidence.NONE, listener);
        uplink.writeInbound(outer);
        ByteBuf got = uplink.readOutbound();
        assertNotNull(got, "decapsulated: " + drops);
        assertArrayEquals(ForwardingTtlTest.forwarded(innerBytes), ByteBufUtil.getBytes(got)); // B forwards it: TTL one lower
        got.release();
        uplink.writeInbound(forged); // sequence 2 with a flipped bit in the ESP trailer: AH's ICV fails first
        assertNull(uplink.readOutbound());
        assertEquals(Map.of(DropReason.BAD_ICV, 1), drops);
        assertFalse(uplink.finish());
    }

    private static ByteBuf innerPacket() {
        ByteBuf inner = PooledByteBufAllocator.DEFAULT.directBuffer();
        inner.writeByte(0x45).writeByte(0).writeShort(48).writeShort(7).writeShort(0).writeByte(64).writeByte(17)
                .writeShort(0).writeInt(0xc0000241).writeInt(0xc0000201);
        Checksums.writeIpv4HeaderChecksum(inner, 0);
        inner.writeShort(1000).writeShort(2000).writeShort(28).writeShort(0).writeBytes("twenty bytes payload".getBytes());
        return inner;
    }

    /** RFC 4301 §5.2: an ESP SA that is half of an AH+ESP bundle is not accepted without the AH around it. */
    @Test
    void bareEspOfABundledInboundSaIsDropped() {
        Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
        DataPathListener listener = (r, s) -> drops.merge(r, 1, Integer::sum);
        TrafficSelector innerBA = TrafficSelector.between(NET_B, NET_A);
        TrafficSelector outerBA = TrafficSelector.between(GW_B, GW_A);
        SecurityAssociation espOut = sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x3001, espKeys(), innerBA, GW_B, GW_A);
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        // AH first this time: the ESP SA is marked as it is installed.
        kernel.addSa(sa(Direction.INBOUND, IpsecProtocol.AH, 0x3002, ahKeys(), outerBA, GW_A, GW_B));
        kernel.addSa(sa(Direction.INBOUND, IpsecProtocol.ESP, 0x3001, espKeys(), innerBA, GW_A, GW_B));

        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);
        ByteBuf inner = innerPacket();
        ByteBuf bare = sender.protect(espOut, inner, OuterAddress.parse("203.0.113.2"), OuterAddress.parse("198.51.100.1"));
        inner.release();
        assertEquals(50, bare.getUnsignedByte(9)); // ESP with nothing around it

        EmbeddedChannel uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), kernel, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener),
                PathEvidence.NONE, listener);
        uplink.writeInbound(bare);
        assertNull(uplink.readOutbound());
        assertEquals(Map.of(DropReason.SELECTOR_MISMATCH, 1), drops);
        assertFalse(uplink.finish());
    }

    /** The ESP SA found inside AH must be of the AH SA's reqid (RFC 4301 §5.2: the SAs applied match the policy). */
    @Test
    void espUnderAnotherReqidsAhIsDropped() {
        Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
        DataPathListener listener = (r, s) -> drops.merge(r, 1, Integer::sum);
        TrafficSelector innerBA = TrafficSelector.between(NET_B, NET_A);
        TrafficSelector outerBA = TrafficSelector.between(GW_B, GW_A);
        SaBundle out = new SaBundle(sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x3001, espKeys(), innerBA, GW_B, GW_A),
                sa(Direction.OUTBOUND, IpsecProtocol.AH, 0x3002, ahKeys(), outerBA, GW_B, GW_A));
        SecurityAssociation plainOut = sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x3001, espKeys(), innerBA, GW_B, GW_A);
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        kernel.addSa(sa(1, Direction.INBOUND, IpsecProtocol.ESP, 0x3001, espKeys(), innerBA, GW_A, GW_B)); // plain ESP, reqid 1
        kernel.addSa(sa(2, Direction.INBOUND, IpsecProtocol.AH, 0x3002, ahKeys(), outerBA, GW_A, GW_B)); // AH of reqid 2

        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);
        ByteBuf inner = innerPacket();
        byte[] innerBytes = ByteBufUtil.getBytes(inner);
        ByteBuf wrapped = out.protect(sender, inner, OuterAddress.parse("203.0.113.2"), OuterAddress.parse("198.51.100.1"));
        ByteBuf plain = sender.protect(plainOut, inner, OuterAddress.parse("203.0.113.2"), OuterAddress.parse("198.51.100.1"));
        inner.release();

        EmbeddedChannel uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), kernel, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener),
                PathEvidence.NONE, listener);
        uplink.writeInbound(wrapped); // AH of reqid 2 verifies, but carries reqid 1's ESP
        assertNull(uplink.readOutbound());
        assertEquals(Map.of(DropReason.SELECTOR_MISMATCH, 1), drops);
        uplink.writeInbound(plain); // the same ESP SA bare is fine: reqid 1 is not a bundle
        ByteBuf got = uplink.readOutbound();
        assertNotNull(got, "plain ESP accepted: " + drops);
        assertArrayEquals(ForwardingTtlTest.forwarded(innerBytes), ByteBufUtil.getBytes(got)); // B forwards it: TTL one lower
        got.release();
        assertEquals(Map.of(DropReason.SELECTOR_MISMATCH, 1), drops);
        assertFalse(uplink.finish());
    }
}

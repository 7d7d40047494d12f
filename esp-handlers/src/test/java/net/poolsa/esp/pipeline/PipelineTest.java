package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.ip.Reassembler;
import net.poolsa.esp.kernel.KernelListener;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.netns.XorProtector;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both pipelines in {@link EmbeddedChannel}s with the test-only XOR protector: what leaves is read back with
 * the independent {@link IpPacketView} and the protector's inverse; every buffer is released and the
 * channels must be empty at the end (paranoid leak detection in the build).
 */
class PipelineTest {
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26");

    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final List<Long> latencies = new ArrayList<>();
    private final List<Long> policyLatencies = new ArrayList<>();
    private final DataPathListener listener = new DataPathListener() {
        @Override
        public void dropped(DropReason reason, SecurityAssociation sa) {
            drops.merge(reason, 1, Integer::sum);
        }

        @Override
        public void lookupLatency(long nanos) {
            latencies.add(nanos);
        }

        @Override
        public void policyLookupLatency(long nanos) {
            policyLatencies.add(nanos);
        }
    };
    private final List<InstalledPolicy> acquires = new ArrayList<>();
    private UserspaceIpsecKernel kernel;
    private XorProtector xor;
    private SecurityAssociation out;
    private SecurityAssociation in;
    private EmbeddedChannel clear;
    private EmbeddedChannel uplink;

    @BeforeEach
    void setUp() {
        kernel = new UserspaceIpsecKernel();
        kernel.setListener(new KernelListener() {
            @Override
            public void acquire(InstalledPolicy policy) {
                acquires.add(policy);
            }
        });
        xor = new XorProtector(PooledByteBufAllocator.DEFAULT, listener);
        out = ManualSas.outbound(0x1001, 1, GW_A, GW_B, NET_A, NET_B, ManualSas.xorKeys(0x33));
        in = ManualSas.inbound(0x2002, 1, GW_A, GW_B, NET_A, NET_B, ManualSas.xorKeys(0x44));
        kernel.addSa(out);
        kernel.addSa(in);
        kernel.addPolicy(SecurityPolicy.protect("a-b", TrafficSelector.between(NET_A, NET_B), 1));
        clear = new EmbeddedChannel();
        Pipelines.cleartext(clear.pipeline(), kernel,
                xor, new MtuSettings(1500, OuterAddress.parse("192.0.2.2"), OuterAddress.parse("2001:db8:1::2"), 100), listener);
        uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), kernel, xor, PathEvidence.NONE, listener);
    }

    @AfterEach
    void tearDown() {
        assertFalse(clear.finish(), "nothing left in the cleartext channel");
        assertFalse(uplink.finish(), "nothing left in the uplink channel");
    }

    private static ByteBuf udp4(String src, String dst, int size, boolean df) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeByte(0x45).writeByte(0).writeShort(28 + size).writeShort(99).writeShort(df ? 0x4000 : 0);
        b.writeByte(64).writeByte(17).writeShort(0).writeInt(v4(src)).writeInt(v4(dst));
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeShort(5000).writeShort(6000).writeShort(8 + size).writeShort(0);
        for (int i = 0; i < size; i++) {
            b.writeByte(i);
        }
        return b;
    }

    private static int v4(String s) {
        return IpLiterals.v4(IpLiterals.parse(s));
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] r = ByteBufUtil.getBytes(b);
        b.release();
        return r;
    }

    @Test
    void protectsMatchingTrafficTowardsTheCurrentOuterAddress() {
        ByteBuf inner = udp4("192.0.2.1", "192.0.2.65", 100, true);
        byte[] innerBytes = ByteBufUtil.getBytes(inner);
        clear.writeInbound(inner);
        ByteBuf outer = clear.readOutbound();
        assertNotNull(outer);
        IpPacketView v = new IpPacketView();
        assertNull(v.decode(outer));
        assertEquals(50, v.protocol());
        assertEquals(0x1001, v.spi());
        assertEquals(v4("198.51.100.1"), v.v4Source());
        assertEquals(v4("198.51.100.2"), v.v4Destination());
        assertNull(clear.readOutbound());

        // The peer's view: same bytes, inbound SA with the same key, from any pool address to any pool address.
        SecurityAssociation peerIn = ManualSas.inbound(0x1001, 1, GW_B, GW_A, NET_B, NET_A, ManualSas.xorKeys(0x33));
        ByteBuf back = xor.unprotect(peerIn, outer);
        outer.release();
        assertArrayEquals(innerBytes, bytes(back));
        assertEquals(Map.of(), drops);
    }

    @Test
    void followsTheOuterAddressSwitchWithTheSameSpi() {
        out.setCurrentRemote(OuterAddress.parse("203.0.113.2"));
        out.setCurrentLocal(OuterAddress.parse("203.0.113.1"));
        clear.writeInbound(udp4("192.0.2.1", "192.0.2.65", 10, false));
        ByteBuf outer = clear.readOutbound();
        IpPacketView v = new IpPacketView();
        assertNull(v.decode(outer));
        assertEquals(0x1001, v.spi());
        assertEquals(v4("203.0.113.2"), v.v4Destination());
        assertEquals(1, out.outerSwitches(), "one failover, counted once though both ends changed");
        outer.release();
    }

    @Test
    void noPolicyIsDiscardedAndNoSaIsAcquired() {
        clear.writeInbound(udp4("192.0.2.1", "192.0.2.200", 10, false));
        assertEquals(1, drops.get(DropReason.POLICY_DISCARD));
        kernel.addPolicy(SecurityPolicy.protect("a-c", TrafficSelector.between(NET_A, AddressPool.parse("192.0.2.128/26")), 7));
        clear.writeInbound(udp4("192.0.2.1", "192.0.2.130", 10, false));
        assertEquals(1, drops.get(DropReason.NO_SA));
        assertEquals(1, acquires.size());
        assertNull(clear.readOutbound());
    }

    @Test
    void bypassDecrementsTtl() {
        kernel.addPolicy(SecurityPolicy.bypass("dns", new TrafficSelector(NET_A, NET_B, 17,
                net.poolsa.esp.sa.PortRange.ANY, net.poolsa.esp.sa.PortRange.of(6000))));
        clear.writeInbound(udp4("192.0.2.1", "192.0.2.65", 10, false));
        ByteBuf b = clear.readOutbound();
        IpPacketView v = new IpPacketView();
        assertNull(v.decode(b), "checksum still valid");
        assertEquals(63, v.ttl());
        assertEquals(17, v.protocol());
        b.release();
    }

    @Test
    void tooBigWithDfGetsFragmentationNeeded() {
        clear.writeInbound(udp4("192.0.2.1", "192.0.2.65", 1472, true)); // 1500 inner + 32 overhead
        ByteBuf icmp = clear.readOutbound();
        assertNotNull(icmp);
        IpPacketView v = new IpPacketView();
        assertNull(v.decode(icmp));
        assertEquals(1, v.protocol());
        assertEquals(3, v.sourcePort()); // ICMP type
        assertEquals(4, v.destinationPort()); // code: fragmentation needed
        assertEquals(v4("192.0.2.2"), v.v4Source());
        assertEquals(v4("192.0.2.1"), v.v4Destination());
        assertEquals(1464, icmp.getUnsignedShort(26)); // (1500 - 32) rounded down to 8
        icmp.release();
        assertNull(clear.readOutbound());
        assertEquals(1, drops.get(DropReason.TOO_BIG));
    }

    @Test
    void tooBigWithoutDfIsFragmentedAndReassemblesAtThePeer() {
        clear.writeInbound(udp4("192.0.2.1", "192.0.2.65", 1472, false));
        ByteBuf f1 = clear.readOutbound();
        ByteBuf f2 = clear.readOutbound();
        assertNotNull(f2);
        assertNull(clear.readOutbound());
        assertTrue(f1.readableBytes() <= 1500);
        Reassembler r = new Reassembler(PooledByteBufAllocator.DEFAULT, listener, 4, 8, 1_000_000_000L);
        assertNull(r.offer(f2, 0));
        ByteBuf whole = r.offer(f1, 0);
        assertNotNull(whole);
        assertEquals(1532, whole.readableBytes());
        whole.release();
        assertEquals(Map.of(), drops);
    }

    private ByteBuf espFromB(String outerSrc, int spi, String innerSrc, String innerDst) {
        SecurityAssociation peerOut = SecurityAssociation.builder().spi(spi).reqid(1)
                .direction(net.poolsa.esp.sa.Direction.OUTBOUND).localOuter(AddressPool.parse("0.0.0.0/0")).remoteOuter(GW_A)
                .selector(TrafficSelector.between(NET_B, NET_A)).keys(ManualSas.xorKeys(0x44)).build();
        ByteBuf inner = udp4(innerSrc, innerDst, 50, false);
        ByteBuf outer = xor.protect(peerOut, inner, OuterAddress.parse(outerSrc), OuterAddress.parse("198.51.100.1"));
        inner.release();
        return outer;
    }

    @Test
    void inboundFromAnyPoolAddressIsDecapsulated() {
        uplink.writeInbound(espFromB("198.51.100.2", 0x2002, "192.0.2.65", "192.0.2.1"));
        uplink.writeInbound(espFromB("203.0.113.2", 0x2002, "192.0.2.66", "192.0.2.1"));
        IpPacketView v = new IpPacketView();
        for (String src : new String[] {"192.0.2.65", "192.0.2.66"}) {
            ByteBuf inner = uplink.readOutbound();
            assertNull(v.decode(inner));
            assertEquals(v4(src), v.v4Source());
            assertEquals(17, v.protocol());
            inner.release();
        }
        assertEquals(Map.of(), drops);
        assertTrue(in.lastInboundNanos() != 0);
    }

    @Test
    void forgedUnknownAndMismatchedAreDroppedAndCounted() {
        uplink.writeInbound(espFromB("192.0.2.99", 0x2002, "192.0.2.65", "192.0.2.1")); // outer source outside the pool
        uplink.writeInbound(espFromB("198.51.100.2", 0x7777, "192.0.2.65", "192.0.2.1")); // unknown SPI
        uplink.writeInbound(espFromB("198.51.100.2", 0x2002, "192.0.2.1", "192.0.2.65")); // inner against the selector
        ByteBuf bad = espFromB("198.51.100.2", 0x2002, "192.0.2.65", "192.0.2.1");
        bad.setByte(bad.writerIndex() - 6, bad.getByte(bad.writerIndex() - 6) ^ 1); // corrupt: check word fails
        uplink.writeInbound(bad);
        ByteBuf garbage = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(new byte[] {0x45, 0, 0, 10});
        uplink.writeInbound(garbage);
        assertNull(uplink.readOutbound());
        assertEquals(Map.of(DropReason.POOL_MISMATCH, 1, DropReason.UNKNOWN_SPI, 1, DropReason.SELECTOR_MISMATCH, 1,
                DropReason.BAD_ICV, 1, DropReason.TRUNCATED, 1), drops);
    }

    @Test
    void outboundPolicyLookupsAreSampledApartFromTheSad() {
        for (int i = 0; i < LookupTimer.SAMPLE_EVERY * 2; i++) {
            clear.writeInbound(udp4("192.0.2.1", "192.0.2.200", 10, false));
        }
        // poolsa_sad_lookup_seconds is the inbound SAD's: cleartext classified outbound must not count there.
        assertEquals(List.of(), latencies);
        assertEquals(2, policyLatencies.size());
    }

    @Test
    void inboundSadLookupsAreSampledApartFromTheSpd() {
        SecurityAssociation peerOut = SecurityAssociation.builder().spi(0x2002).reqid(1)
                .direction(net.poolsa.esp.sa.Direction.OUTBOUND).localOuter(AddressPool.parse("0.0.0.0/0")).remoteOuter(GW_A)
                .selector(TrafficSelector.between(NET_B, NET_A)).keys(ManualSas.xorKeys(0x44)).build();
        for (int i = 0; i < LookupTimer.SAMPLE_EVERY * 2; i++) {
            ByteBuf inner = udp4("192.0.2.65", "192.0.2.1", 50, false);
            uplink.writeInbound(xor.protect(peerOut, inner, OuterAddress.parse("198.51.100.2"), OuterAddress.parse("198.51.100.1")));
            inner.release();
            ((ByteBuf) uplink.readOutbound()).release();
        }
        assertEquals(Map.of(), drops);
        assertEquals(2, latencies.size());
        assertEquals(List.of(), policyLatencies);
    }
}

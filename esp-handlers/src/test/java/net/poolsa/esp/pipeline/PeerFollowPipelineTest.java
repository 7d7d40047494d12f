package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.LocalAddress;
import net.poolsa.esp.path.PathMonitor;
import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sa.UdpEncapsulation;
import net.poolsa.esp.transform.IpsecProcessor;
import net.poolsa.esp.transform.SaBundle;
import org.junit.jupiter.api.Test;

/**
 * gwA's uplink pipeline with the real transforms and its path monitor as the evidence: the outbound SA follows the
 * peer (gwB) to the path of its newest authenticated packet, and nothing else moves it: not a packet whose ICV fails,
 * not a captured packet replayed, not a genuine packet that was overtaken by a later one on the other path. The
 * sequence number is read from the ESP header, the UDP-encapsulated ESP header (RFC 3948) and the AH header of an
 * AH+ESP bundle.
 */
class PeerFollowPipelineTest {
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26");
    private static final OuterAddress A1 = OuterAddress.parse("198.51.100.1");
    private static final OuterAddress A2 = OuterAddress.parse("203.0.113.1");
    private static final OuterAddress B1 = OuterAddress.parse("198.51.100.2");
    private static final OuterAddress B2 = OuterAddress.parse("203.0.113.2");

    enum Shape { ESP, UDP_ESP, AH_ESP }

    @Test
    void followsTheNewestAuthenticatedPacketOverEsp() {
        follows(Shape.ESP);
    }

    @Test
    void followsTheNewestAuthenticatedPacketOverUdpEncapsulatedEsp() {
        follows(Shape.UDP_ESP);
    }

    @Test
    void followsTheNewestAuthenticatedPacketOverAnAhEspBundle() {
        follows(Shape.AH_ESP);
    }

    private static void follows(Shape shape) {
        Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
        List<String> switches = new ArrayList<>();
        DataPathListener listener = listener(drops, switches);
        UdpEncapsulation udp = shape == Shape.UDP_ESP ? new UdpEncapsulation(4500, 4500) : null;
        TrafficSelector ba = TrafficSelector.between(NET_B, NET_A);
        // gwB's sending side, and gwA's kernel: the inbound SAs, and the outbound SA that must follow.
        SecurityAssociation espB = sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x4001, ba, GW_B, GW_A, udp);
        SecurityAssociation ahB = sa(Direction.OUTBOUND, IpsecProtocol.AH, 0x4002, TrafficSelector.between(GW_B, GW_A), GW_B, GW_A, null);
        UserspaceIpsecKernel a = new UserspaceIpsecKernel();
        if (shape == Shape.AH_ESP) {
            a.addSa(sa(Direction.INBOUND, IpsecProtocol.AH, 0x4002, TrafficSelector.between(GW_B, GW_A), GW_A, GW_B, null));
        }
        a.addSa(sa(Direction.INBOUND, IpsecProtocol.ESP, 0x4001, ba, GW_A, GW_B, udp));
        SecurityAssociation outA = SecurityAssociation.builder().spi(0x5001).reqid(7).direction(Direction.OUTBOUND)
                .localOuter(GW_A).remoteOuter(GW_B).selector(TrafficSelector.between(NET_A, NET_B)).keys(keys(1))
                .currentLocal(A1).currentRemote(B1).build();
        a.addSa(outA);
        List<ByteBuf> probes = new ArrayList<>();
        PathMonitor monitor = new PathMonitor(List.of(new LocalAddress(A1, 30, "l1"), new LocalAddress(A2, 30, "l2")),
                List.of(B1, B2), PathTimers.DEFAULTS, probes::add, PooledByteBufAllocator.DEFAULT, listener);
        monitor.watch(a.sad(), Runnable::run);

        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);
        SaBundle bundle = new SaBundle(espB, ahB);
        List<ByteBuf> sent = new ArrayList<>();
        OuterAddress[][] paths = {{B1, A1}, {B2, A2}, {B1, A1}, {B2, A2}, {B1, A1}};
        for (OuterAddress[] p : paths) { // sequence numbers 1-5, alternating between the two paths
            ByteBuf inner = innerPacket();
            sent.add(shape == Shape.AH_ESP ? bundle.protect(sender, inner, p[0], p[1]) : sender.protect(espB, inner, p[0], p[1]));
            inner.release();
        }
        EmbeddedChannel uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), a, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener), monitor, listener);

        deliver(uplink, sent.get(0).retainedDuplicate(), true);   // 1 over B1 > A1: where the SA is
        ByteBuf forged = sent.get(1).copy();
        forged.setByte(forged.writerIndex() - 1, forged.getByte(forged.writerIndex() - 1) ^ 1);
        deliver(uplink, forged, false);                           // 2 over B2 > A2 with its ICV broken
        assertEquals(B1, outA.currentRemote(), "a packet that fails its ICV moves nothing");
        deliver(uplink, sent.get(3).retainedDuplicate(), true);   // 4 over B2 > A2: the newest so far
        assertEquals(B2, outA.currentRemote());
        assertEquals(A2, outA.currentLocal());
        assertEquals(0x5001, outA.spi());
        deliver(uplink, sent.get(2).retainedDuplicate(), true);   // 3 over B1 > A1, overtaken by 4
        assertEquals(B2, outA.currentRemote(), "an older packet still in flight on the old path moves nothing");
        deliver(uplink, sent.get(0).retainedDuplicate(), false);  // 1 again: a captured packet replayed
        assertEquals(B2, outA.currentRemote(), "a replayed packet moves nothing");
        assertEquals(Map.of(DropReason.BAD_ICV, 1, DropReason.REPLAYED, 1), drops);
        deliver(uplink, sent.get(4).retainedDuplicate(), true);   // 5 over B1 > A1: the peer is back
        assertEquals(B1, outA.currentRemote());
        assertEquals(List.of("198.51.100.2 -> 203.0.113.2 peer_moved", "203.0.113.2 -> 198.51.100.2 peer_moved"), switches);
        assertFalse(uplink.finish());
        sent.forEach(ByteBuf::release);
        probes.forEach(ByteBuf::release);
        monitor.unwatch();
    }

    /**
     * gwB is behind a NAT that forgot its mapping and maps it to another port: gwA's outbound SA sends to the port of
     * the newest authenticated packet, and to no port a forged, replayed or overtaken older packet came from. Another host behind the
     * same NAT address (an SA of the same reqid to another port) keeps its port.
     */
    @Test
    void followsTheNatMappingOfTheNewestAuthenticatedPacket() {
        Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
        List<String> mappings = new ArrayList<>();
        DataPathListener listener = new DataPathListener() {
            @Override
            public void dropped(DropReason reason, SecurityAssociation sa) {
                drops.merge(reason, 1, Integer::sum);
            }

            @Override
            public void natMappingChanged(SecurityAssociation inbound, SecurityAssociation outbound, int previousPort,
                                          int newPort) {
                mappings.add(String.format("%x %x %d -> %d", inbound.spi(), outbound.spi(), previousPort, newPort));
            }
        };
        TrafficSelector ba = TrafficSelector.between(NET_B, NET_A);
        SecurityAssociation espB = sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x4001, ba, GW_B, GW_A,
                new UdpEncapsulation(40001, 4500));
        UserspaceIpsecKernel a = new UserspaceIpsecKernel();
        a.addSa(sa(Direction.INBOUND, IpsecProtocol.ESP, 0x4001, ba, GW_A, GW_B, new UdpEncapsulation(4500, 40001)));
        SecurityAssociation outA = SecurityAssociation.builder().spi(0x5001).reqid(7).direction(Direction.OUTBOUND)
                .localOuter(GW_A).remoteOuter(GW_B).selector(TrafficSelector.between(NET_A, NET_B)).keys(keys(1))
                .udpEncapsulation(new UdpEncapsulation(4500, 40001)).currentLocal(A1).currentRemote(B1).build();
        SecurityAssociation otherHost = SecurityAssociation.builder().spi(0x5002).reqid(7).direction(Direction.OUTBOUND)
                .localOuter(GW_A).remoteOuter(GW_B).selector(TrafficSelector.between(NET_A, NET_B)).keys(keys(2))
                .udpEncapsulation(new UdpEncapsulation(4500, 40009)).currentLocal(A1).currentRemote(B1).build();
        a.addSa(outA);
        a.addSa(otherHost);
        List<ByteBuf> probes = new ArrayList<>();
        PathMonitor monitor = new PathMonitor(List.of(new LocalAddress(A1, 30, "l1")), List.of(B1), PathTimers.DEFAULTS,
                probes::add, PooledByteBufAllocator.DEFAULT, listener);
        monitor.watch(a.sad(), Runnable::run);
        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);
        List<ByteBuf> sent = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // sequence numbers 1-4
            ByteBuf inner = innerPacket();
            sent.add(sender.protect(espB, inner, B1, A1));
            inner.release();
        }
        EmbeddedChannel uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), a, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener), monitor, listener);

        deliver(uplink, sent.get(0).retainedDuplicate(), true);              // 1 from the first mapping
        assertEquals(40001, outA.udpEncapsulation().remotePort());
        ByteBuf forged = natted(sent.get(1).copy(), 40002);
        forged.setByte(forged.writerIndex() - 1, forged.getByte(forged.writerIndex() - 1) ^ 1);
        deliver(uplink, forged, false);                                       // 2 from a new port, ICV broken
        assertEquals(40001, outA.udpEncapsulation().remotePort(), "a packet that fails its ICV moves nothing");
        deliver(uplink, natted(sent.get(3).retainedDuplicate(), 40002), true); // 4 from the NAT's new mapping
        assertEquals(new UdpEncapsulation(4500, 40002), outA.udpEncapsulation());
        deliver(uplink, sent.get(2).retainedDuplicate(), true);              // 3 from the old mapping, overtaken
        assertEquals(40002, outA.udpEncapsulation().remotePort(), "an older packet still in flight moves nothing");
        deliver(uplink, natted(sent.get(0).copy(), 40003), false);           // 1 again from elsewhere: replayed
        assertEquals(40002, outA.udpEncapsulation().remotePort(), "a replayed packet moves nothing");
        assertEquals(40009, otherHost.udpEncapsulation().remotePort(), "another host behind the same NAT");
        assertEquals(List.of("4001 5001 40001 -> 40002"), mappings);
        assertEquals(Map.of(DropReason.BAD_ICV, 1, DropReason.REPLAYED, 1), drops);
        assertFalse(uplink.finish());
        sent.forEach(ByteBuf::release);
        probes.forEach(ByteBuf::release);
        monitor.unwatch();
    }

    /** What a NAT does to a UDP-encapsulated packet from gwB: a new source port (the checksum is zero, RFC 3948 §2.1). */
    private static ByteBuf natted(ByteBuf ipv4, int sourcePort) {
        ipv4.setShort(ipv4.readerIndex() + 20, sourcePort);
        return ipv4;
    }

    /**
     * gwB moved on its own (say its link went down) and announces it with an ESP dummy packet (RFC 4303 §2.6, next
     * header 59) over its new path: gwA's outbound SA follows on it at once, and nothing is delivered. A dummy whose
     * ICV fails, or a captured one replayed from the old path, moves nothing.
     */
    @Test
    void anAuthenticDummyPacketMovesTheSaAndDeliversNothing() {
        Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
        List<String> switches = new ArrayList<>();
        DataPathListener listener = listener(drops, switches);
        TrafficSelector ba = TrafficSelector.between(NET_B, NET_A);
        SecurityAssociation espB = SecurityAssociation.builder().spi(0x4001).reqid(7).direction(Direction.OUTBOUND)
                .localOuter(GW_B).remoteOuter(GW_A).selector(ba).keys(keys(0x20)).currentLocal(B1).currentRemote(A1).build();
        UserspaceIpsecKernel a = new UserspaceIpsecKernel();
        a.addSa(sa(Direction.INBOUND, IpsecProtocol.ESP, 0x4001, ba, GW_A, GW_B, null));
        SecurityAssociation outA = SecurityAssociation.builder().spi(0x5001).reqid(7).direction(Direction.OUTBOUND)
                .localOuter(GW_A).remoteOuter(GW_B).selector(TrafficSelector.between(NET_A, NET_B)).keys(keys(1))
                .currentLocal(A1).currentRemote(B1).build();
        a.addSa(outA);
        List<ByteBuf> probes = new ArrayList<>();
        PathMonitor monitor = new PathMonitor(List.of(new LocalAddress(A1, 30, "l1"), new LocalAddress(A2, 30, "l2")),
                List.of(B1, B2), PathTimers.DEFAULTS, probes::add, PooledByteBufAllocator.DEFAULT, listener);
        monitor.watch(a.sad(), Runnable::run);
        EmbeddedChannel uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), a, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener), monitor, listener);
        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);

        ByteBuf inner = innerPacket();
        deliver(uplink, sender.protect(espB, inner, null, null), true); // 1 over B1 > A1: where the SA is
        inner.release();
        ByteBuf oldPath = sender.dummy(espB);                          // 2 over B1 > A1, kept to be replayed
        deliver(uplink, oldPath.retainedDuplicate(), false);
        assertEquals(B1, outA.currentRemote(), "a dummy over the current path moves nothing");
        espB.setCurrentPath(B2, A2);
        ByteBuf dummy = sender.dummy(espB);                            // 3 over B2 > A2
        assertEquals(20 + 8 + 16 + 16 + 16, dummy.readableBytes(), "IPv4, ESP header, IV, one block of padding, ICV");
        assertEquals(50, dummy.getUnsignedByte(9), "ESP");
        assertEquals(B2.v4Bits(), dummy.getInt(12));
        assertEquals(A2.v4Bits(), dummy.getInt(16));
        assertEquals(0x4001, dummy.getInt(20));
        assertEquals(3, dummy.getInt(24));
        ByteBuf forged = dummy.copy();
        forged.setByte(forged.writerIndex() - 1, forged.getByte(forged.writerIndex() - 1) ^ 1);
        deliver(uplink, forged, false);
        assertEquals(B1, outA.currentRemote(), "a dummy that fails its ICV moves nothing");
        deliver(uplink, dummy, false);
        assertEquals(B2, outA.currentRemote(), "the authentic dummy moved the SA");
        assertEquals(A2, outA.currentLocal());
        deliver(uplink, oldPath, false);
        assertEquals(B2, outA.currentRemote(), "a replayed dummy moves nothing");
        assertEquals(List.of("198.51.100.2 -> 203.0.113.2 peer_moved"), switches);
        assertEquals(Map.of(DropReason.DUMMY_PACKET, 2, DropReason.BAD_ICV, 1, DropReason.REPLAYED, 1), drops);
        assertFalse(uplink.finish());
        probes.forEach(ByteBuf::release);
        monitor.unwatch();
    }

    /** A dummy packet is made only for a tunnel-mode ESP SA outside a bundle, and never without a current path. */
    @Test
    void noDummyPacketWhereThePeerCouldNotTakeIt() {
        Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
        DataPathListener listener = listener(drops, new ArrayList<>());
        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);
        TrafficSelector ba = TrafficSelector.between(NET_B, NET_A);
        SecurityAssociation ah = sa(Direction.OUTBOUND, IpsecProtocol.AH, 0x4002, TrafficSelector.between(GW_B, GW_A), GW_B, GW_A, null);
        ah.setCurrentPath(B1, A1);
        assertEquals(null, sender.dummy(ah), "AH");
        SecurityAssociation bundled = sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x4001, ba, GW_B, GW_A, null);
        bundled.setCurrentPath(B1, A1);
        SaBundle.link(bundled, ah);
        assertEquals(null, sender.dummy(bundled), "the ESP half of an AH+ESP bundle");
        assertEquals(Map.of(), drops);
        SecurityAssociation noPath = sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x4003, ba, GW_B, GW_A, null);
        assertEquals(null, sender.dummy(noPath));
        assertEquals(Map.of(DropReason.NO_SA, 1), drops, "no current path yet");
    }

    /** Counts drops by reason and lists switches as "previous remote -> current remote cause". */
    private static DataPathListener listener(Map<DropReason, Integer> drops, List<String> switches) {
        return new DataPathListener() {
            @Override
            public void dropped(DropReason reason, SecurityAssociation sa) {
                drops.merge(reason, 1, Integer::sum);
            }

            @Override
            public void outerPathChanged(SecurityAssociation sa, OuterAddress previousLocal, OuterAddress previousRemote,
                                         PathSwitchCause cause, long detectionNanos) {
                switches.add(previousRemote + " -> " + sa.currentRemote() + " " + cause.label());
            }
        };
    }

    private static void deliver(EmbeddedChannel uplink, ByteBuf packet, boolean accepted) {
        uplink.writeInbound(packet);
        ByteBuf got = uplink.readOutbound();
        assertEquals(accepted, got != null);
        if (got != null) {
            got.release();
        }
    }

    private static SecurityAssociation sa(Direction d, IpsecProtocol proto, int spi, TrafficSelector ts, AddressPool local,
                                          AddressPool remote, UdpEncapsulation udp) {
        return SecurityAssociation.builder().spi(spi).reqid(7).direction(d).protocol(proto)
                .mode(proto == IpsecProtocol.AH ? SaMode.TRANSPORT : SaMode.TUNNEL).udpEncapsulation(udp)
                .localOuter(local).remoteOuter(remote).selector(ts)
                .keys(proto == IpsecProtocol.AH ? BundlePipelineTest.ahKeys() : keys(0x20)).build();
    }

    /** AES-128-CBC and HMAC-SHA-256-128 keys (test values). */
    private static SaKeys keys(int seed) {
        byte[] enc = new byte[16];
        byte[] integ = new byte[32];
        for (int i = 0; i < integ.length; i++) {
            integ[i] = (byte) (seed + i);
            if (i < enc.length) {
                enc[i] = (byte) (seed * 3 + i);
            }
        }
        return new SaKeys("aes-cbc", enc, "hmac-sha2-256-128", integ);
    }

    private static ByteBuf innerPacket() {
        ByteBuf inner = PooledByteBufAllocator.DEFAULT.directBuffer();
        inner.writeByte(0x45).writeByte(0).writeShort(48).writeShort(7).writeShort(0).writeByte(64).writeByte(17)
                .writeShort(0).writeInt(0xc0000241).writeInt(0xc0000201);
        Checksums.writeIpv4HeaderChecksum(inner, 0);
        inner.writeShort(1000).writeShort(2000).writeShort(28).writeShort(0).writeBytes("twenty bytes payload".getBytes());
        assertNotNull(inner);
        return inner;
    }
}

package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProtectStage} when the outer packet exceeds the path MTU, beyond {@link Ipv6OuterFragmentationTest}:
 * an IPv6 inner packet of at most 1280 bytes must still get through (its source ignores a Packet Too Big below
 * 1280, RFC 8201 §4), so the outer packet is fragmented (RFC 2473 §7.1, RFC 4459 §3.1), over IPv4 and over IPv6
 * outer paths; scapy's defragment/defragment6 plus its ESP decryption is the independent oracle, and gateway B's
 * uplink reassembles too. A fragmenter that fails must neither throw out of the pipeline nor leak the outer
 * packet or partial fragments.
 */
class ProtectStageFragmentationTest {
    private static final AddressPool GW_A6 = AddressPool.parse("2001:db8:a::1/128");
    private static final AddressPool GW_B6 = AddressPool.parse("2001:db8:b::1/128");
    private static final AddressPool GW_A4 = AddressPool.parse("198.51.100.1/32");
    private static final AddressPool GW_B4 = AddressPool.parse("203.0.113.1/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26", "2001:db8:1::/64");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26", "2001:db8:2::/64");
    private static final int SPI = 0x4202;

    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DataPathListener listener = (r, sa) -> drops.merge(r, 1, Integer::sum);
    private EmbeddedChannel clearA;
    private EmbeddedChannel uplinkB;
    /** Set by a test to damage the next outer packet; the last outer packet built is kept to check its release. */
    private boolean breakNextOuter;
    private ByteBuf lastOuter;

    private void setUp(boolean outerV4, int pathMtu) {
        AddressPool gwA = outerV4 ? GW_A4 : GW_A6;
        AddressPool gwB = outerV4 ? GW_B4 : GW_B6;
        byte[] key = Ipv6OuterFragmentationTest.gcmKey();
        UserspaceIpsecKernel a = new UserspaceIpsecKernel();
        a.addSa(ManualSas.outbound(SPI, 1, gwA, gwB, NET_A, NET_B, new SaKeys("aes-gcm-16", key, "none", null)));
        a.addPolicy(SecurityPolicy.protect("a-b", TrafficSelector.between(NET_A, NET_B), 1));
        UserspaceIpsecKernel b = new UserspaceIpsecKernel();
        b.addSa(ManualSas.inbound(SPI, 1, gwB, gwA, NET_B, NET_A, new SaKeys("aes-gcm-16", key, "none", null)));
        IpsecProtector real = new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener);
        PacketProtector watched = new PacketProtector() {
            @Override
            public ByteBuf protect(SecurityAssociation sa, ByteBuf inner, IpPacketView innerView) {
                ByteBuf outer = real.protect(sa, inner, innerView);
                if (breakNextOuter && outer != null) {
                    breakNextOuter = false;
                    outer.setByte(outer.readerIndex() + 6, 44); // "already fragmented": Ipv6Fragmenter refuses it
                }
                lastOuter = outer;
                return outer;
            }

            @Override
            public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer, IpPacketView outerView, IpPacketView innerView) {
                return real.unprotect(sa, outer, outerView, innerView);
            }
        };
        clearA = new EmbeddedChannel();
        Pipelines.cleartext(clearA.pipeline(), a, watched,
                new MtuSettings(pathMtu, OuterAddress.parse("192.0.2.2"), OuterAddress.parse("2001:db8:1::2"), 100), listener);
        uplinkB = new EmbeddedChannel();
        Pipelines.uplink(uplinkB.pipeline(), b, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener), PathEvidence.NONE, listener);
    }

    @AfterEach
    void tearDown() {
        assertFalse(clearA.finish());
        assertFalse(uplinkB.finish());
    }

    /** A UDP/IPv6 packet of exactly {@code total} bytes with a payload nobody else writes the same way. */
    private static ByteBuf udp6(int total) {
        int size = total - 48;
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeInt(0x60000000).writeShort(8 + size).writeByte(17).writeByte(64);
        b.writeBytes(IpLiterals.parse("2001:db8:1::5")).writeBytes(IpLiterals.parse("2001:db8:2::5"));
        b.writeShort(5000).writeShort(6000).writeShort(8 + size).writeShort(0);
        for (int i = 0; i < size; i++) {
            b.writeByte(i * 7 + 3);
        }
        return b;
    }

    private List<ByteBuf> sendFromA(ByteBuf inner) {
        clearA.writeInbound(inner);
        List<ByteBuf> out = new ArrayList<>();
        for (ByteBuf b; (b = clearA.readOutbound()) != null; ) {
            out.add(b);
        }
        return out;
    }

    /** Fragments the 1280-byte IPv6 inner packet's outer packet and checks it with scapy and gateway B. */
    private int minimumIpv6InnerGetsThrough(Path dir, boolean outerV4, int pathMtu) throws Exception {
        setUp(outerV4, pathMtu);
        ByteBuf inner = udp6(1280);
        byte[] innerBytes = ByteBufUtil.getBytes(inner);
        List<ByteBuf> frags = sendFromA(inner);
        assertTrue(frags.size() >= 2, "the outer packet is fragmented, not answered with Packet Too Big: " + drops);
        IpPacketView v = new IpPacketView();
        List<byte[]> wire = new ArrayList<>();
        int id = 0;
        for (int i = 0; i < frags.size(); i++) {
            ByteBuf f = frags.get(i);
            assertTrue(f.readableBytes() <= pathMtu, "fragment " + i + " has " + f.readableBytes() + " bytes");
            assertEquals(null, v.decode(f));
            assertTrue(v.isFragment());
            assertEquals(outerV4, v.isV4());
            if (outerV4) {
                assertFalse(v.dontFragment(), "DF cleared on the outer IPv4 packet");
            }
            assertEquals(i < frags.size() - 1, v.moreFragments());
            id = i == 0 ? v.identification() : id;
            assertEquals(id, v.identification());
            wire.add(ByteBufUtil.getBytes(f));
        }
        Map<String, String> scapy = ScapyOracle.open(dir, wire, SPI, Ipv6OuterFragmentationTest.gcmKey(), 0, null);
        assertEquals(HexFormat.of().formatHex(innerBytes), scapy.get("INNER"), "scapy's reassembly + ESP decryption");
        for (int i = frags.size() - 1; i >= 0; i--) {
            uplinkB.writeInbound(frags.get(i));
        }
        ByteBuf got = uplinkB.readOutbound();
        assertNotNull(got, "reassembled and decapsulated: " + drops);
        assertArrayEquals(ForwardingTtlTest.forwarded(innerBytes), ByteBufUtil.getBytes(got)); // B forwards it: TTL one lower
        got.release();
        assertEquals(Map.of(), drops);
        return id;
    }

    @Tag("root")
    @Test
    void ipv6InnerOf1280IsFragmentedOverIpv6Outer(@TempDir Path dir) throws Exception {
        int first = minimumIpv6InnerGetsThrough(dir, false, 1300);
        // A second datagram gets a different identification (RFC 7739: unpredictable, so not a fixed one).
        List<ByteBuf> again = sendFromA(udp6(1280));
        IpPacketView v = new IpPacketView();
        assertEquals(null, v.decode(again.get(0)));
        assertNotEquals(first, v.identification());
        again.forEach(ByteBuf::release);
    }

    @Tag("root")
    @Test
    void ipv6InnerOf1280IsFragmentedOverIpv4Outer(@TempDir Path dir) throws Exception {
        minimumIpv6InnerGetsThrough(dir, true, 1300);
    }

    @Test
    void largerIpv6InnerGetsPacketTooBigOfAtLeast1280() {
        setUp(false, 1340);
        List<ByteBuf> out = sendFromA(udp6(1300));
        assertEquals(1, out.size());
        ByteBuf icmp = out.get(0);
        assertEquals(58, icmp.getUnsignedByte(6));
        assertEquals(2, icmp.getUnsignedByte(40)); // Packet Too Big
        assertEquals(1280, icmp.getInt(44)); // 1340 minus the ESP overhead is below 1280: clamped (RFC 8201 §4)
        icmp.release();
        assertEquals(Map.of(DropReason.TOO_BIG, 1), drops);
    }

    @Test
    void fragmenterFailureDropsWithoutLeakOrLeftovers() {
        setUp(false, 1280);
        breakNextOuter = true;
        List<ByteBuf> out = sendFromA(Ipv6OuterFragmentationTest.udp4("192.0.2.1", "192.0.2.65", 2500, false));
        assertEquals(List.of(), out);
        assertEquals(0, lastOuter.refCnt(), "the outer packet is released");
        assertEquals(Map.of(DropReason.TOO_BIG, 1), drops);
        // The next packet goes out as its own three fragments, with nothing left over from the failure.
        out = sendFromA(Ipv6OuterFragmentationTest.udp4("192.0.2.1", "192.0.2.65", 2500, false));
        assertEquals(3, out.size());
        IpPacketView v = new IpPacketView();
        for (ByteBuf f : out) {
            assertEquals(null, v.decode(f));
            assertEquals(44, f.getUnsignedByte(6));
            uplinkB.writeInbound(f);
        }
        ByteBuf got = uplinkB.readOutbound();
        assertNotNull(got, "reassembled: " + drops);
        got.release();
        assertEquals(Map.of(DropReason.TOO_BIG, 1), drops);
    }
}

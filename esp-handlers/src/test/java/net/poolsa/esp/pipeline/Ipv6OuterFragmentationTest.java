package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import net.poolsa.esp.ip.Checksums;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An IPv6 outer path whose MTU is smaller than the encapsulated packet (RFC 4303 §3.4.1, RFC 8200 §4.5): gateway A
 * (real AES-GCM ESP) fragments the outer IPv6 packet when the inner IPv4 packet allows fragmenting; scapy's
 * {@code defragment6} and ESP implementation reassemble and decrypt the fragments, and gateway B's uplink pipeline
 * reassembles and decapsulates them in any order. Inner IPv6, or IPv4 with DF, gets Packet Too Big or
 * fragmentation needed instead, because its source does path MTU discovery.
 */
class Ipv6OuterFragmentationTest {
    private static final AddressPool GW_A = AddressPool.parse("2001:db8:a::1/128");
    private static final AddressPool GW_B = AddressPool.parse("2001:db8:b::1/128");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26", "2001:db8:1::/64");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26", "2001:db8:2::/64");
    private static final int SPI = 0x4101;
    private static final int MTU = 1280;

    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DataPathListener listener = (r, sa) -> drops.merge(r, 1, Integer::sum);
    private EmbeddedChannel clearA;
    private EmbeddedChannel uplinkB;

    static byte[] gcmKey() {
        byte[] k = new byte[20];
        for (int i = 0; i < k.length; i++) {
            k[i] = (byte) (0x21 + i);
        }
        return k;
    }

    @BeforeEach
    void setUp() {
        UserspaceIpsecKernel a = new UserspaceIpsecKernel();
        a.addSa(ManualSas.outbound(SPI, 1, GW_A, GW_B, NET_A, NET_B, new SaKeys("aes-gcm-16", gcmKey(), "none", null)));
        a.addPolicy(SecurityPolicy.protect("a-b", TrafficSelector.between(NET_A, NET_B), 1));
        UserspaceIpsecKernel b = new UserspaceIpsecKernel();
        b.addSa(ManualSas.inbound(SPI, 1, GW_B, GW_A, NET_B, NET_A, new SaKeys("aes-gcm-16", gcmKey(), "none", null)));
        clearA = new EmbeddedChannel();
        Pipelines.cleartext(clearA.pipeline(), a, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener),
                new MtuSettings(MTU, OuterAddress.parse("192.0.2.2"), OuterAddress.parse("2001:db8:1::2"), 100), listener);
        uplinkB = new EmbeddedChannel();
        Pipelines.uplink(uplinkB.pipeline(), b, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener), PathEvidence.NONE, listener);
    }

    @AfterEach
    void tearDown() {
        assertFalse(clearA.finish());
        assertFalse(uplinkB.finish());
    }

    static ByteBuf udp4(String src, String dst, int size, boolean df) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeByte(0x45).writeByte(0).writeShort(28 + size).writeShort(99).writeShort(df ? 0x4000 : 0);
        b.writeByte(64).writeByte(17).writeShort(0).writeInt(IpLiterals.v4(IpLiterals.parse(src)))
                .writeInt(IpLiterals.v4(IpLiterals.parse(dst)));
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeShort(5000).writeShort(6000).writeShort(8 + size).writeShort(0);
        for (int i = 0; i < size; i++) {
            b.writeByte(i * 13);
        }
        return b;
    }

    private static ByteBuf udp6(String src, String dst, int size) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeInt(0x60000000).writeShort(8 + size).writeByte(17).writeByte(64);
        b.writeBytes(IpLiterals.parse(src)).writeBytes(IpLiterals.parse(dst));
        b.writeShort(5000).writeShort(6000).writeShort(8 + size).writeShort(0);
        b.writeZero(size);
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

    @Tag("root")
    @Test
    void ipv4WithoutDfIsFragmentedAndScapyAndPeerReassemble(@TempDir Path dir) throws Exception {
        ByteBuf inner = udp4("192.0.2.1", "192.0.2.65", 2500, false);
        byte[] innerBytes = ByteBufUtil.getBytes(inner);
        List<ByteBuf> frags = sendFromA(inner);
        assertEquals(3, frags.size());
        IpPacketView v = new IpPacketView();
        List<byte[]> wire = new ArrayList<>();
        int id = 0;
        for (int i = 0; i < frags.size(); i++) {
            ByteBuf f = frags.get(i);
            assertTrue(f.readableBytes() <= MTU, "fragment " + i + " has " + f.readableBytes() + " bytes");
            assertNull(v.decode(f));
            assertTrue(v.isFragment());
            assertEquals(44, f.getUnsignedByte(6)); // the Fragment header follows the IPv6 header
            assertEquals(50, f.getUnsignedByte(40)); // and names ESP
            assertEquals(i < frags.size() - 1, v.moreFragments());
            if (i == 0) {
                id = v.identification();
            }
            assertEquals(id, v.identification());
            wire.add(ByteBufUtil.getBytes(f));
        }
        Map<String, String> scapy = ScapyOracle.open(dir, wire, SPI, gcmKey(), 0, null);
        assertEquals(HexFormat.of().formatHex(innerBytes), scapy.get("INNER"), "scapy's defragment6 + ESP decryption");

        for (int i = frags.size() - 1; i >= 0; i--) {
            uplinkB.writeInbound(frags.get(i)); // reverse order: the last fragment first
        }
        ByteBuf got = uplinkB.readOutbound();
        assertNotNull(got, "reassembled and decapsulated: " + drops);
        assertArrayEquals(ForwardingTtlTest.forwarded(innerBytes), ByteBufUtil.getBytes(got)); // B forwards it: TTL one lower
        got.release();
        assertEquals(Map.of(), drops);
    }

    @Test
    void ipv4WithDfGetsFragmentationNeeded() {
        List<ByteBuf> out = sendFromA(udp4("192.0.2.1", "192.0.2.65", 1300, true));
        assertEquals(1, out.size());
        ByteBuf icmp = out.get(0);
        assertEquals(1, icmp.getUnsignedByte(9)); // ICMP back to the inner source
        assertEquals(3, icmp.getUnsignedByte(20));
        assertEquals(4, icmp.getUnsignedByte(21));
        assertTrue(icmp.getUnsignedShort(26) < MTU - 40);
        icmp.release();
        assertEquals(Map.of(DropReason.TOO_BIG, 1), drops);
    }

    @Test
    void ipv6InnerGetsPacketTooBig() {
        List<ByteBuf> out = sendFromA(udp6("2001:db8:1::5", "2001:db8:2::5", 1300));
        assertEquals(1, out.size());
        ByteBuf icmp = out.get(0);
        assertEquals(58, icmp.getUnsignedByte(6));
        assertEquals(2, icmp.getUnsignedByte(40)); // Packet Too Big
        assertEquals(MTU, icmp.getInt(44)); // never below the IPv6 minimum (RFC 8200 §5)
        icmp.release();
        assertEquals(Map.of(DropReason.TOO_BIG, 1), drops);
    }

    @Test
    void smallPacketIsNotFragmented() {
        List<ByteBuf> out = sendFromA(udp4("192.0.2.1", "192.0.2.65", 100, false));
        assertEquals(1, out.size());
        assertEquals(50, out.get(0).getUnsignedByte(6)); // no Fragment header, no atomic fragment (RFC 8021)
        uplinkB.writeInbound(out.get(0));
        ByteBuf got = uplinkB.readOutbound();
        assertNotNull(got);
        got.release();
        assertEquals(Map.of(), drops);
    }
}

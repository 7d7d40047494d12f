package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.LastOuterAddresses;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.transform.IpsecProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gateway B decapsulates what gateway A sealed (real AES-GCM ESP, tunnel mode) in an uplink pipeline on an
 * {@link EmbeddedChannel}, with the capture sink: it forwards like a router (RFC 1812 §5.3.1, RFC 8200 §3,
 * RFC 4301 §5.1.2.1). TTL / hop limit 255 and 2 leave one lower; 1 and 0 are dropped as TTL_EXPIRED and answered
 * with ICMP / ICMPv6 time exceeded, which goes back sealed under B's outbound SA and is opened here with A's
 * inbound SA. Packets to B's own addresses, transport mode and the TUN sink are not decremented. scapy
 * ({@code /usr/bin/python3}, an implementation nobody here wrote) dissects what left and recomputes its checksums.
 * The encapsulation side leaves the TTL alone (the kernel already decremented what it forwarded into the sink).
 */
class ForwardingTtlTest {
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26", "2001:db8:1::/64");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26", "2001:db8:2::/64");
    private static final byte[] KEY_AB = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f10111213");
    private static final byte[] KEY_BA = HexFormat.of().parseHex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
    private static final MtuSettings ICMP = new MtuSettings(1500, OuterAddress.parse("192.0.2.66"),
            OuterAddress.parse("2001:db8:2::2"), 100);

    @TempDir
    Path dir;
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DataPathListener listener = (reason, sa) -> drops.merge(reason, 1, Integer::sum);
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
    /** A's side: seals towards B, opens what B sends back. */
    private final IpsecProcessor peerA = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);
    private SecurityAssociation aToB;
    private SecurityAssociation bFromA;
    private SecurityAssociation aFromB;
    private EmbeddedChannel uplink;
    private final List<byte[]> forScapy = new ArrayList<>();

    @BeforeEach
    void setUp() {
        aToB = ManualSas.outbound(0xa001, 1, GW_A, GW_B, NET_A, NET_B, gcm(KEY_AB));
        aFromB = ManualSas.inbound(0xb001, 1, GW_A, GW_B, NET_A, NET_B, gcm(KEY_BA));
        bFromA = ManualSas.inbound(0xa001, 1, GW_B, GW_A, NET_B, NET_A, gcm(KEY_AB));
        kernel.addSa(bFromA);
        kernel.addSa(ManualSas.outbound(0xb001, 1, GW_B, GW_A, NET_B, NET_A, gcm(KEY_BA)));
        kernel.addPolicy(SecurityPolicy.protect("b-a", TrafficSelector.between(NET_B, NET_A), 1));
        uplink = uplink(ICMP, DataPlaneConfig.Sink.CAPTURE);
    }

    private EmbeddedChannel uplink(MtuSettings icmp, DataPlaneConfig.Sink sink) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new IpDecoder(listener, null))
                .addLast(new InboundSaStage(kernel.sad(), PathEvidence.NONE, listener))
                .addLast(new UnprotectStage(new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener), kernel.sad(),
                        kernel.spd(), PathEvidence.NONE, listener, icmp, sink, clock::get))
                .addLast(new EmitStage());
        return ch;
    }

    @AfterEach
    void tearDown() {
        assertFalse(uplink.finish(), "nothing left in the uplink channel");
    }

    private static SaKeys gcm(byte[] key) {
        return new SaKeys("aes-gcm-16", key, "none", new byte[0]);
    }

    static byte[] udp(String src, String dst, int ttl, int payload) {
        byte[] s = IpLiterals.parse(src);
        byte[] d = IpLiterals.parse(dst);
        ByteBuf b = Unpooled.buffer();
        int len = 8 + payload;
        if (s.length == 4) {
            b.writeByte(0x45).writeByte(0).writeShort(20 + len).writeShort(0x2b2b).writeShort(0x4000)
                    .writeByte(ttl).writeByte(17).writeShort(0).writeBytes(s).writeBytes(d);
            Checksums.writeIpv4HeaderChecksum(b, 0);
        } else {
            b.writeInt(0x6000_0000).writeShort(len).writeByte(17).writeByte(ttl).writeBytes(s).writeBytes(d);
        }
        b.writeShort(33434).writeShort(33435).writeShort(len).writeShort(0); // traceroute's ports; checksum 0
        for (int i = 0; i < payload; i++) {
            b.writeByte(i);
        }
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    /** An ICMP (v4) message of {@code type} with an 8-byte body, TTL {@code ttl}. */
    static byte[] icmp4(String src, String dst, int ttl, int type) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0x45).writeByte(0).writeShort(28).writeShort(1).writeShort(0).writeByte(ttl).writeByte(1).writeShort(0)
                .writeBytes(IpLiterals.parse(src)).writeBytes(IpLiterals.parse(dst));
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeByte(type).writeByte(0).writeShort(0).writeInt(0x00010001);
        b.setShort(22, Checksums.checksum(b, 20, 8));
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    /**
     * What a router forwards for the IP packet {@code sent}: the same bytes with the TTL / hop limit one lower and the
     * IPv4 header checksum recomputed in full (independent of the incremental update under test).
     */
    static byte[] forwarded(byte[] sent) {
        byte[] f = sent.clone();
        if ((f[0] >> 4 & 0xF) == 4) {
            f[8]--;
            Checksums.writeIpv4HeaderChecksum(Unpooled.wrappedBuffer(f), 0);
        } else {
            f[7]--;
        }
        return f;
    }

    /** A seals {@code inner} under {@code sa} from {@code from} to {@code to}; B's uplink receives it. */
    private void receive(SecurityAssociation sa, byte[] inner, String from, String to) {
        ByteBuf outer = peerA.protect(sa, Unpooled.wrappedBuffer(inner), OuterAddress.parse(from), OuterAddress.parse(to));
        assertNotNull(outer, drops::toString);
        uplink.writeInbound(outer);
    }

    private void receive(byte[] inner) {
        receive(aToB, inner, "198.51.100.1", "198.51.100.2");
    }

    private byte[] readForwarded() {
        ByteBuf b = uplink.readOutbound();
        assertNotNull(b, () -> "nothing forwarded, drops " + drops);
        byte[] r = ByteBufUtil.getBytes(b);
        b.release();
        return r;
    }

    /** Opens the ESP packet B sent back to A (it must go to A's current outer address under B's outbound SPI). */
    private byte[] readErrorFromB() {
        ByteBuf esp = uplink.readOutbound();
        assertNotNull(esp, () -> "no ICMP error sent, drops " + drops);
        IpPacketView v = new IpPacketView();
        assertNull(v.decode(esp));
        assertEquals(0xb001, v.spi());
        assertEquals(IpLiterals.v4(IpLiterals.parse("198.51.100.2")), v.v4Source());
        assertEquals(IpLiterals.v4(IpLiterals.parse("198.51.100.1")), v.v4Destination());
        ByteBuf inner = peerA.unprotect(aFromB, esp);
        esp.release();
        assertNotNull(inner, () -> "A could not open the error: " + drops);
        byte[] r = ByteBufUtil.getBytes(inner);
        inner.release();
        return r;
    }

    @Tag("root")
    @ParameterizedTest(name = "TTL {0}")
    @ValueSource(ints = {255, 2})
    void forwardsWithOneLessOverIpv4AndIpv6(int ttl) throws Exception {
        for (String[] a : new String[][] {{"192.0.2.1", "192.0.2.65"}, {"2001:db8:1::1", "2001:db8:2::1"}}) {
            byte[] sent = udp(a[0], a[1], ttl, 100);
            receive(sent);
            byte[] got = readForwarded();
            assertArrayEquals(forwarded(sent), got);
            forScapy.add(got);
        }
        assertNull(uplink.readOutbound());
        assertEquals(Map.of(), drops);
        List<String> s = scapy(forScapy);
        assertEquals(List.of("PKT version=4 ttl=" + (ttl - 1) + " ecn=0 ip_checksum=ok icmp_type=- icmp_code=- icmp_checksum=- quoted=-",
                "PKT version=6 ttl=" + (ttl - 1) + " ecn=0 ip_checksum=none icmp_type=- icmp_code=- icmp_checksum=- quoted=-"), s);
    }

    @Tag("root")
    @ParameterizedTest(name = "TTL {0}")
    @ValueSource(ints = {1, 0})
    void expiresAndAnswersTimeExceededThroughTheTunnel(int ttl) throws Exception {
        byte[] sent4 = udp("192.0.2.1", "192.0.2.65", ttl, 100);
        receive(sent4);
        byte[] err4 = readErrorFromB();
        byte[] sent6 = udp("2001:db8:1::1", "2001:db8:2::1", ttl, 100);
        receive(sent6);
        byte[] err6 = readErrorFromB();
        assertNull(uplink.readOutbound(), "the expired packets themselves are not forwarded");
        assertEquals(Map.of(DropReason.TTL_EXPIRED, 2), drops);

        IpPacketView v = new IpPacketView();
        assertNull(v.decode(Unpooled.wrappedBuffer(err4)));
        assertEquals(IpLiterals.v4(IpLiterals.parse("192.0.2.66")), v.v4Source(), "from the gateway's inside address");
        assertEquals(IpLiterals.v4(IpLiterals.parse("192.0.2.1")), v.v4Destination(), "to the expired packet's source");
        assertNull(v.decode(Unpooled.wrappedBuffer(err6)));
        assertEquals(IpLiterals.v6hi(IpLiterals.parse("2001:db8:2::2")), v.v6SourceHi());
        assertEquals(IpLiterals.v6lo(IpLiterals.parse("2001:db8:2::2")), v.v6SourceLo());
        assertEquals(IpLiterals.v6lo(IpLiterals.parse("2001:db8:1::1")), v.v6DestinationLo());
        List<String> s = scapy(List.of(err4, err6));
        HexFormat hex = HexFormat.of();
        assertEquals(List.of(
                "PKT version=4 ttl=64 ecn=0 ip_checksum=ok icmp_type=11 icmp_code=0 icmp_checksum=ok quoted=" + hex.formatHex(sent4),
                "PKT version=6 ttl=64 ecn=0 ip_checksum=none icmp_type=3 icmp_code=0 icmp_checksum=ok quoted=" + hex.formatHex(sent6)),
                s, "RFC 792 / RFC 4443 §3.3: type 11 / 3, code 0, quoting the packet as it arrived");
    }

    @Test
    void packetsForOurOwnAddressesAreDeliveredNotForwarded() {
        // The paper's host case: the inner selector is the SA's local outer pool (the host's own addresses).
        SecurityAssociation hostIn = ManualSas.inbound(0xa002, 2, GW_B, GW_A, GW_B, NET_A, gcm(KEY_AB));
        SecurityAssociation hostOut = ManualSas.outbound(0xa002, 2, GW_A, GW_B, NET_A, GW_B, gcm(KEY_AB));
        kernel.addSa(hostIn);
        for (String dst : new String[] {"198.51.100.2", "203.0.113.2"}) {
            for (int ttl : new int[] {1, 64}) {
                byte[] sent = udp("192.0.2.1", dst, ttl, 20);
                receive(hostOut, sent, "198.51.100.1", "198.51.100.2");
                assertArrayEquals(sent, readForwarded(), "delivered to " + dst + " with its TTL " + ttl);
            }
        }
        // The gateway's own inside address (the ICMP source) is ours too.
        byte[] sent = udp("192.0.2.1", "192.0.2.66", 1, 20);
        receive(sent);
        assertArrayEquals(sent, readForwarded());
        assertEquals(Map.of(), drops);
    }

    @Test
    void transportModeIsNotDecremented() {
        SecurityAssociation in = SecurityAssociation.builder().spi(0xa003).reqid(3).direction(Direction.INBOUND)
                .mode(SaMode.TRANSPORT).localOuter(GW_B).remoteOuter(GW_A).selector(TrafficSelector.between(GW_A, GW_B))
                .keys(gcm(KEY_AB)).build();
        SecurityAssociation out = SecurityAssociation.builder().spi(0xa003).reqid(3).direction(Direction.OUTBOUND)
                .mode(SaMode.TRANSPORT).localOuter(GW_A).remoteOuter(GW_B).selector(TrafficSelector.between(GW_A, GW_B))
                .keys(gcm(KEY_AB)).build();
        kernel.addSa(in);
        byte[] sent = udp("198.51.100.1", "198.51.100.2", 1, 20);
        ByteBuf outer = peerA.protect(out, Unpooled.wrappedBuffer(sent), null, null);
        uplink.writeInbound(outer);
        assertArrayEquals(sent, readForwarded());
        assertEquals(Map.of(), drops);
    }

    @Test
    void withTheTunSinkTheKernelForwardsAndDecrements() {
        uplink.finishAndReleaseAll();
        uplink = uplink(ICMP, DataPlaneConfig.Sink.TUN);
        for (int ttl : new int[] {1, 64}) {
            byte[] sent = udp("192.0.2.1", "192.0.2.65", ttl, 20);
            receive(sent);
            assertArrayEquals(sent, readForwarded(), "written into the TUN device as it arrived");
        }
        assertEquals(Map.of(), drops);
    }

    @Test
    void timeExceededIsRateLimitedButEveryExpiryCounted() {
        // 100 errors per second with a burst of 10 (ProtectStage's Packet Too Big uses the same bucket).
        for (int i = 0; i < 30; i++) {
            receive(udp("192.0.2.1", "192.0.2.65", 1, 20));
        }
        int errors = 0;
        for (ByteBuf b; (b = uplink.readOutbound()) != null; errors++) {
            b.release();
        }
        assertEquals(10, errors);
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(50)); // 5 tokens
        for (int i = 0; i < 30; i++) {
            receive(udp("192.0.2.1", "192.0.2.65", 1, 20));
        }
        for (ByteBuf b; (b = uplink.readOutbound()) != null; errors++) {
            b.release();
        }
        assertEquals(15, errors);
        assertEquals(Map.of(DropReason.TTL_EXPIRED, 60), drops);
    }

    @Test
    void noErrorAboutAnErrorNorWithoutASource() {
        receive(icmp4("192.0.2.1", "192.0.2.65", 1, 11)); // a time exceeded that itself expired
        receive(icmp4("192.0.2.1", "192.0.2.65", 1, 3)); // an unreachable
        assertNull(uplink.readOutbound());
        receive(icmp4("192.0.2.1", "192.0.2.65", 1, 8)); // an echo request is answered
        byte[] err = readErrorFromB();
        assertEquals(11, err[20]);
        uplink.finishAndReleaseAll();
        uplink = uplink(null, DataPlaneConfig.Sink.CAPTURE);
        receive(icmp4("192.0.2.1", "192.0.2.65", 1, 8)); // no ICMP source configured: dropped, not answered
        assertNull(uplink.readOutbound());
        assertEquals(Map.of(DropReason.TTL_EXPIRED, 4), drops);
    }

    @Test
    void recordsTheOuterPairOfTheLastAuthenticatedPacket() {
        assertNull(bFromA.lastInboundOuter().get());
        receive(aToB, udp("192.0.2.1", "192.0.2.65", 64, 20), "198.51.100.1", "198.51.100.2");
        readForwarded();
        assertEquals(new LastOuterAddresses.Pair(OuterAddress.parse("198.51.100.1"), OuterAddress.parse("198.51.100.2")),
                bFromA.lastInboundOuter().get());
        receive(aToB, udp("192.0.2.1", "192.0.2.65", 64, 20), "203.0.113.1", "203.0.113.2");
        readForwarded();
        LastOuterAddresses.Pair second = new LastOuterAddresses.Pair(OuterAddress.parse("203.0.113.1"),
                OuterAddress.parse("203.0.113.2"));
        assertEquals(second, bFromA.lastInboundOuter().get());
        // Forged packets (right SPI, wrong key) from the other pair authenticate nothing and change nothing: the
        // first two reuse sequence numbers already seen, the third fails its ICV.
        SecurityAssociation forger = ManualSas.outbound(0xa001, 1, GW_A, GW_B, NET_A, NET_B, gcm(KEY_BA));
        for (int i = 0; i < 3; i++) {
            receive(forger, udp("192.0.2.1", "192.0.2.65", 64, 20), "198.51.100.1", "198.51.100.2");
        }
        assertNull(uplink.readOutbound());
        assertEquals(second, bFromA.lastInboundOuter().get());
        assertEquals(Map.of(DropReason.REPLAYED, 2, DropReason.BAD_ICV, 1), drops);
    }

    @Test
    void encapsulationLeavesTheTtlAsTheKernelLeftIt() {
        // The sink receives what the kernel forwarded (already decremented) or what this host sent (never
        // decremented): RFC 4301 §5.1.2.1 note 2. Even TTL 1 is sealed as it is.
        EmbeddedChannel clear = new EmbeddedChannel();
        Pipelines.cleartext(clear.pipeline(), kernel, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener), ICMP, listener);
        byte[] sent = udp("192.0.2.65", "192.0.2.1", 1, 20);
        clear.writeInbound(Unpooled.wrappedBuffer(sent));
        ByteBuf esp = clear.readOutbound();
        assertNotNull(esp, drops::toString);
        ByteBuf inner = peerA.unprotect(aFromB, esp);
        esp.release();
        assertNotNull(inner, drops::toString);
        assertArrayEquals(sent, ByteBufUtil.getBytes(inner));
        inner.release();
        assertFalse(clear.finish());
    }

    /** Runs scapy_router.py over the packets: one "PKT ..." line each. */
    private List<String> scapy(List<byte[]> packets) throws IOException, InterruptedException {
        Path input = dir.resolve("packets.hex");
        StringBuilder s = new StringBuilder();
        for (byte[] p : packets) {
            s.append(HexFormat.of().formatHex(p)).append('\n');
        }
        Files.writeString(input, s);
        Path script = dir.resolve("scapy_router.py");
        try (InputStream in = ForwardingTtlTest.class.getResourceAsStream("/pipeline/scapy_router.py")) {
            Files.write(script, in.readAllBytes());
        }
        Process py = new ProcessBuilder("/usr/bin/python3", script.toString(), input.toString()).redirectErrorStream(true).start();
        String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(py.waitFor(60, TimeUnit.SECONDS), "scapy did not finish");
        assertEquals(0, py.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("PKT ")).toList();
    }
}

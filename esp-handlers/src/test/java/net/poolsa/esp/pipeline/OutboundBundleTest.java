package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.kernel.KernelListener;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.sad.OutboundSlot;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.transform.SaBundle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound AH+ESP bundles (RFC 4301 §4.5, transport adjacency): an ESP tunnel SA and a transport-mode AH SA
 * installed under one reqid make the PROTECT policy of that reqid send {@code | IP | AH | ESP | inner | ... |}.
 * Oracles: scapy checks the AH ICV and decrypts the ESP inside (also after IPv4 fragmentation of the bundle, which
 * must not break the ICV since flags and offset are mutable fields, RFC 4302 §3.3.3.1.1.1); tshark decodes AH,
 * then decrypts and ICV-checks the ESP inside with the keys; the peer's own uplink pipeline opens it.
 */
class OutboundBundleTest {
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26");
    private static final int REQID = 7;
    private static final int ESP_SPI = 0x5001;
    private static final int AH_SPI = 0x5002;

    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DataPathListener listener = (r, sa) -> drops.merge(r, 1, Integer::sum);
    private UserspaceIpsecKernel kernelA;
    private EmbeddedChannel clearA;
    private EmbeddedChannel uplinkB;

    private static byte[] espKey() {
        return Ipv6OuterFragmentationTest.gcmKey();
    }

    private static byte[] ahKey() {
        byte[] k = new byte[32];
        for (int i = 0; i < k.length; i++) {
            k[i] = (byte) (0x60 + i);
        }
        return k;
    }

    static SecurityAssociation sa(Direction d, IpsecProtocol proto, int spi, AddressPool local, AddressPool remote,
                                  TrafficSelector ts) {
        SaKeys keys = proto == IpsecProtocol.ESP ? new SaKeys("aes-gcm-16", espKey(), "none", null)
                : new SaKeys("none", null, "hmac-sha2-256-128", ahKey());
        SecurityAssociation.Builder b = SecurityAssociation.builder().spi(spi).reqid(REQID).direction(d).protocol(proto)
                .mode(proto == IpsecProtocol.AH ? SaMode.TRANSPORT : SaMode.TUNNEL)
                .localOuter(local).remoteOuter(remote).selector(ts).keys(keys);
        if (d == Direction.OUTBOUND) {
            b.currentLocal(ManualSas.first(local)).currentRemote(ManualSas.first(remote));
        }
        return b.build();
    }

    @BeforeEach
    void setUp() {
        kernelA = new UserspaceIpsecKernel();
        TrafficSelector ab = TrafficSelector.between(NET_A, NET_B);
        kernelA.addSa(sa(Direction.OUTBOUND, IpsecProtocol.ESP, ESP_SPI, GW_A, GW_B, ab));
        kernelA.addSa(sa(Direction.OUTBOUND, IpsecProtocol.AH, AH_SPI, GW_A, GW_B, TrafficSelector.between(GW_A, GW_B)));
        kernelA.addPolicy(SecurityPolicy.protect("a-b", ab, REQID));
        UserspaceIpsecKernel kernelB = new UserspaceIpsecKernel();
        kernelB.addSa(sa(Direction.INBOUND, IpsecProtocol.ESP, ESP_SPI, GW_B, GW_A, ab));
        kernelB.addSa(sa(Direction.INBOUND, IpsecProtocol.AH, AH_SPI, GW_B, GW_A, TrafficSelector.between(GW_A, GW_B)));
        clearA = new EmbeddedChannel();
        Pipelines.cleartext(clearA.pipeline(), kernelA, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener),
                MtuSettings.of(1400), listener);
        uplinkB = new EmbeddedChannel();
        Pipelines.uplink(uplinkB.pipeline(), kernelB, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener),
                PathEvidence.NONE, listener);
    }

    @AfterEach
    void tearDown() {
        assertFalse(clearA.finish());
        assertFalse(uplinkB.finish());
    }

    private List<ByteBuf> send(int size) {
        clearA.writeInbound(Ipv6OuterFragmentationTest.udp4("192.0.2.1", "192.0.2.65", size, false));
        List<ByteBuf> out = new ArrayList<>();
        for (ByteBuf b; (b = clearA.readOutbound()) != null; ) {
            out.add(b);
        }
        return out;
    }

    private static byte[] innerBytes(int size) {
        ByteBuf b = Ipv6OuterFragmentationTest.udp4("192.0.2.1", "192.0.2.65", size, false);
        byte[] r = ByteBufUtil.getBytes(b);
        b.release();
        return r;
    }

    private static List<byte[]> bytes(List<ByteBuf> bufs) {
        List<byte[]> out = new ArrayList<>();
        for (ByteBuf b : bufs) {
            out.add(ByteBufUtil.getBytes(b));
        }
        return out;
    }

    private byte[] throughB(List<ByteBuf> packets) {
        for (ByteBuf b : packets) {
            uplinkB.writeInbound(b);
        }
        ByteBuf got = uplinkB.readOutbound();
        assertNotNull(got, "opened by the peer: " + drops);
        byte[] r = ByteBufUtil.getBytes(got);
        got.release();
        return r;
    }

    @Tag("root")
    @Test
    void bundleSendsAhOverEspAndScapyVerifiesBoth(@TempDir Path dir) throws Exception {
        OutboundSlot slot = kernelA.sad().slot(REQID);
        assertEquals(IpsecProtocol.ESP, slot.current().protocol());
        assertEquals(IpsecProtocol.AH, slot.bundleOuter().protocol());
        byte[] inner = innerBytes(300);
        List<ByteBuf> out = send(300);
        assertEquals(1, out.size());
        ByteBuf p = out.get(0);
        assertEquals(51, p.getUnsignedByte(9)); // AH outside
        assertEquals(50, p.getUnsignedByte(20)); // naming ESP as the next header
        assertEquals(AH_SPI, p.getInt(24));
        assertEquals(ESP_SPI, p.getInt(20 + 28)); // ESP after a 28-byte AH header (12 + the 16-byte ICV of SHA-256-128)
        Map<String, String> scapy = ScapyOracle.open(dir, bytes(out), ESP_SPI, espKey(), AH_SPI, ahKey());
        assertEquals("50", scapy.get("AH"));
        assertEquals(HexFormat.of().formatHex(inner), scapy.get("INNER"));
        assertArrayEquals(ForwardingTtlTest.forwarded(inner), throughB(out)); // B forwards it: TTL one lower
        assertEquals(Map.of(), drops);
    }

    @Tag("root")
    @Test
    void fragmentedBundleStillVerifies(@TempDir Path dir) throws Exception {
        byte[] inner = innerBytes(2000);
        List<ByteBuf> out = send(2000);
        assertEquals(2, out.size());
        Map<String, String> scapy = ScapyOracle.open(dir, bytes(out), ESP_SPI, espKey(), AH_SPI, ahKey());
        assertEquals(HexFormat.of().formatHex(inner), scapy.get("INNER"));
        assertArrayEquals(ForwardingTtlTest.forwarded(inner), throughB(out)); // B forwards it: TTL one lower
        assertEquals(Map.of(), drops);
    }

    @Tag("root")
    @Test
    void tsharkDecodesAhThenDecryptsEsp(@TempDir Path dir) throws Exception {
        List<ByteBuf> out = send(64);
        out.addAll(send(64));
        List<byte[]> wire = bytes(out);
        out.forEach(ByteBuf::release);
        Path pcap = dir.resolve("bundle.pcap");
        writePcap(pcap, wire);
        Path conf = dir.resolve("wireshark");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("esp_sa"), String.format("\"IPv4\",\"198.51.100.1\",\"198.51.100.2\",\"0x%08x\","
                + "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x%s\",\"NULL\",\"\"%n", ESP_SPI, HexFormat.of().formatHex(espKey())));
        ProcessBuilder pb = new ProcessBuilder("tshark", "-n", "-r", pcap.toString(),
                "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE",
                "-Y", "ah && esp", "-T", "fields", "-e", "ah.spi", "-e", "ah.sequence", "-e", "esp.spi", "-e", "esp.sequence",
                "-e", "esp.icv_good", "-e", "udp.dstport");
        pb.environment().put("WIRESHARK_CONFIG_DIR", conf.toString());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process proc = pb.start();
        String text = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        List<String> lines = text.lines().toList();
        assertEquals(2, lines.size(), text);
        for (int i = 0; i < 2; i++) {
            String[] f = lines.get(i).split("\t", -1);
            assertEquals(String.format("0x%08x", AH_SPI), f[0], lines.get(i));
            assertEquals(Integer.toString(i + 1), f[1], lines.get(i));
            assertEquals(String.format("0x%08x", ESP_SPI), f[2], lines.get(i));
            assertEquals(Integer.toString(i + 1), f[3], lines.get(i));
            assertTrue(f[4].equals("1") || f[4].equalsIgnoreCase("true"), "ESP ICV checked by tshark: " + lines.get(i));
            assertEquals("6000", f[5], "decrypted inner UDP: " + lines.get(i));
        }
    }

    @Test
    void rekeyKeepsTheBundleFromTheFirstPacket() {
        TrafficSelector ab = TrafficSelector.between(NET_A, NET_B);
        SecurityAssociation newEsp = sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x6001, GW_A, GW_B, ab);
        kernelA.addSa(newEsp);
        OutboundSlot slot = kernelA.sad().slot(REQID);
        assertSame(newEsp, slot.current());
        assertSame(slot.bundleOuter(), SaBundle.outerOf(newEsp), "linked before it became current");
        List<ByteBuf> out = send(100);
        assertEquals(51, out.get(0).getUnsignedByte(9));
        assertEquals(0x6001, out.get(0).getInt(48));
        out.forEach(ByteBuf::release);
        assertEquals(Map.of(), drops);
    }

    /** RFC 4301 §4.5: a reqid whose policy is AH+ESP never sends ESP alone; it drops and asks IKE for SAs. */
    @Test
    void deletingAhDropsAndAcquiresUntilANewAhArrives() {
        List<InstalledPolicy> acquires = new ArrayList<>();
        kernelA.setListener(new KernelListener() {
            @Override
            public void acquire(InstalledPolicy policy) {
                acquires.add(policy);
            }
        });
        OutboundSlot slot = kernelA.sad().slot(REQID);
        SecurityAssociation esp = slot.current();
        assertTrue(kernelA.deleteSa(Direction.OUTBOUND, AH_SPI, IpsecProtocol.AH, REQID));
        assertTrue(slot.bundleRequired());
        assertNull(slot.current());
        assertTrue(send(100).isEmpty());
        assertTrue(send(100).isEmpty());
        assertEquals(Map.of(DropReason.NO_SA, 2), drops);
        assertEquals(1, acquires.size(), "rate-limited: one acquire a second per reqid");
        assertEquals("a-b", acquires.get(0).policy().id());

        // A packet that picked the ESP SA just before the deletion is dropped, not sent as bare ESP.
        IpsecProtector protector = new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener);
        ByteBuf inner = Ipv6OuterFragmentationTest.udp4("192.0.2.1", "192.0.2.65", 100, false);
        assertNull(protector.protect(esp, inner, esp.currentLocal(), esp.currentRemote()));
        inner.release();
        assertEquals(1, drops.get(DropReason.SA_EXPIRED));

        drops.clear();
        kernelA.addSa(sa(Direction.OUTBOUND, IpsecProtocol.AH, 0x6002, GW_A, GW_B, TrafficSelector.between(GW_A, GW_B)));
        assertSame(esp, slot.current());
        List<ByteBuf> out = send(100);
        assertEquals(51, out.get(0).getUnsignedByte(9));
        assertEquals(0x6002, out.get(0).getInt(24));
        out.forEach(ByteBuf::release);
        assertEquals(Map.of(), drops);
    }

    @Test
    void espAloneAfterEspDeletionIsNotUsedEither() {
        OutboundSlot slot = kernelA.sad().slot(REQID);
        assertTrue(kernelA.deleteSa(Direction.OUTBOUND, ESP_SPI, IpsecProtocol.ESP, REQID));
        assertNull(slot.current(), "the AH SA alone is not the policy either");
        assertTrue(send(100).isEmpty());
        assertEquals(Map.of(DropReason.NO_SA, 1), drops);
    }

    @Test
    void declaredBundleWaitsForAhWhenEspComesFirst() {
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        TrafficSelector ab = TrafficSelector.between(NET_A, NET_B);
        k.requireBundle(REQID);
        k.addSa(sa(Direction.OUTBOUND, IpsecProtocol.ESP, ESP_SPI, GW_A, GW_B, ab));
        OutboundSlot slot = k.sad().slot(REQID);
        assertNull(slot.current());
        k.addSa(sa(Direction.OUTBOUND, IpsecProtocol.AH, AH_SPI, GW_A, GW_B, TrafficSelector.between(GW_A, GW_B)));
        assertEquals(IpsecProtocol.ESP, slot.current().protocol());
        assertSame(slot.bundleOuter(), SaBundle.outerOf(slot.current()));
        // Once the reqid holds no SA at all the connection is gone: a plain ESP SA may use it again.
        k.deleteSa(Direction.OUTBOUND, ESP_SPI, IpsecProtocol.ESP, REQID);
        k.deleteSa(Direction.OUTBOUND, AH_SPI, IpsecProtocol.AH, REQID);
        assertFalse(slot.bundleRequired());
        k.addSa(sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x7001, GW_A, GW_B, ab));
        assertEquals(0x7001, slot.current().spi());
        k.flush();
    }

    private static void writePcap(Path file, List<byte[]> packets) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(101);
        out.write(h.array());
        for (byte[] p : packets) {
            ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(1_700_000_000).putInt(0).putInt(p.length).putInt(p.length);
            out.write(r.array());
            out.write(p);
        }
        Files.write(file, out.toByteArray());
    }
}

package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.appliance.config.ConnectionConfig.ManualSaConfig;
import net.poolsa.appliance.config.Secret;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.pipeline.DataPathListener;
import net.poolsa.esp.pipeline.IpsecProtector;
import net.poolsa.esp.pipeline.PathEvidence;
import net.poolsa.esp.pipeline.Pipelines;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.transform.IpsecProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code poolsa status} (text and JSON): the inbound SA's outer addresses are those of the last packet it
 * authenticated (the peer sends hundreds of real ESP packets, with the installed connection's keys, from each of its two
 * addresses into the data path's uplink pipeline, and status follows); and the algorithms show the cipher key size
 * without an AEAD's 4-byte salt (RFC 4106 §8.1).
 */
class StatusReportTest {
    @TempDir
    Path dir;

    @Test
    void inboundOuterAddressesAreThoseOfTheLastAuthenticatedPacket() throws Exception {
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        ConnectionManager manager = new ConnectionManager(new ManualKeying(kernel));
        manager.apply(ConfigLoader.load(ConfigFixture.writeTwoManual(dir)).connections(), System.nanoTime());
        InstalledConnection b = manager.installed("site-b");
        SecurityAssociation in = b.inbound();
        assertTrue(StatusReport.text(manager, System.nanoTime()).contains(
                "    in  00001001,          0 bytes,        0 packets, outer - -> -\n"), "nothing received yet");

        // The peer's outbound SA: same SPI and keys, pools the other way round.
        SecurityAssociation peer = SecurityAssociation.builder().spi(in.spi()).direction(Direction.OUTBOUND)
                .localOuter(in.remoteOuter()).remoteOuter(in.localOuter())
                .selector(TrafficSelector.between(in.selector().destination(), in.selector().source())).keys(in.keys()).build();
        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, DataPathListener.NONE);
        EmbeddedChannel uplink = new EmbeddedChannel();
        Pipelines.uplink(uplink.pipeline(), kernel, new IpsecProtector(PooledByteBufAllocator.DEFAULT, DataPathListener.NONE),
                PathEvidence.NONE, DataPathListener.NONE);
        send(uplink, sender, peer, "198.51.100.17", "198.51.100.1", 300);
        send(uplink, sender, peer, "203.0.113.17", "203.0.113.1", 300);
        assertEquals(600, in.packets());
        assertEquals(600 * 28, in.bytes());

        String text = StatusReport.text(manager, System.nanoTime());
        assertTrue(text.contains("    in  00001001,      16800 bytes,      600 packets, outer 203.0.113.17 -> 203.0.113.1\n"), text);
        String json = StatusReport.json(manager, System.nanoTime());
        assertTrue(json.contains("\"inbound\":{\"spi\":\"00001001\""), json);
        String inbound = json.substring(json.indexOf("\"inbound\":{\"spi\":\"00001001\""));
        inbound = inbound.substring(0, inbound.indexOf('}'));
        assertTrue(inbound.contains("\"current_local\":\"203.0.113.1\",\"current_remote\":\"203.0.113.17\""), inbound);

        send(uplink, sender, peer, "198.51.100.17", "198.51.100.1", 1);
        assertTrue(StatusReport.text(manager, System.nanoTime()).contains("packets, outer 198.51.100.17 -> 198.51.100.1\n"));
        assertFalse(uplink.finish());
    }

    private static void send(EmbeddedChannel uplink, IpsecProcessor sender, SecurityAssociation sa, String from, String to, int n) {
        for (int i = 0; i < n; i++) {
            ByteBuf inner = Unpooled.buffer(28);
            inner.writeByte(0x45).writeByte(0).writeShort(28).writeShort(i).writeShort(0).writeByte(64).writeByte(17)
                    .writeShort(0).writeInt(0xc0000281).writeInt(0xc0000201); // 192.0.2.129 -> 192.0.2.1
            Checksums.writeIpv4HeaderChecksum(inner, 0);
            inner.writeShort(5000).writeShort(6000).writeShort(8).writeShort(0);
            ByteBuf outer = sender.protect(sa, inner, OuterAddress.parse(from), OuterAddress.parse(to));
            inner.release();
            assertNotNull(outer);
            uplink.writeInbound(outer);
            ByteBuf decapsulated = uplink.readOutbound();
            assertNotNull(decapsulated, "packet " + i + " from " + from + " was not accepted");
            decapsulated.release();
        }
    }

    private static ConnectionConfig connection(String name, int spi, String enc, int encLen, String integ, int intLen) {
        Secret ek = new Secret(new byte[encLen]);
        Secret ik = intLen == 0 ? null : new Secret(new byte[intLen]);
        ManualSaConfig m = new ManualSaConfig(spi, spi + 1, enc, integ, ek, ek, ik, ik);
        return new ConnectionConfig(name, SaMode.TUNNEL, IpsecProtocol.ESP, AddressPool.parse("198.51.100.1/32"),
                AddressPool.parse("203.0.113.1/32"), AddressPool.parse("192.0.2.0/25"), AddressPool.parse("192.0.2.128/25"),
                0, List.of(), List.of(), Lifetime.UNLIMITED, DpdConfig.OFF, 64, false, null, m, null);
    }

    /** The AEAD SAs are installed directly, standing in for IKE-negotiated ones (the configuration refuses manual AEAD). */
    @Test
    void statusShowsKeySizesWithoutTheSalt() {
        ConnectionManager manager = new ConnectionManager(new ManualKeying(new UserspaceIpsecKernel()));
        manager.apply(Map.of(
                "gcm128", connection("gcm128", 0x1000, "aes-gcm-16", 20, "none", 0),
                "gcm192", connection("gcm192", 0x2000, "aes-gcm-16", 28, "none", 0),
                "chacha", connection("chacha", 0x3000, "chacha20-poly1305", 36, "none", 0),
                "cbc", connection("cbc", 0x4000, "aes-cbc", 32, "hmac-sha2-512-256", 64)), System.nanoTime());
        String text = StatusReport.text(manager, System.nanoTime());
        String json = StatusReport.json(manager, System.nanoTime());
        for (String shown : new String[] {"ESP:aes-gcm-16/128 none/0", "ESP:aes-gcm-16/192 none/0",
                "ESP:chacha20-poly1305/256 none/0", "ESP:aes-cbc/256 hmac-sha2-512-256/512"}) {
            assertTrue(text.contains(shown), () -> "missing " + shown + " in\n" + text);
            assertTrue(json.contains("\"algorithms\":\"" + shown + "\""), () -> "missing " + shown + " in\n" + json);
        }
        assertFalse(text.contains("/160") || text.contains("/224") || text.contains("/288"), text);
        manager.removeAll();
    }
}

package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.pipeline.IpsecProtector;
import net.poolsa.esp.pipeline.Pipelines;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.transform.IpsecProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code poolsa status} (text and JSON): the inbound SA's outer addresses are those of the last packet it
 * authenticated (the peer sends hundreds of real ESP packets, with the installed connection's keys, from each of its two
 * addresses into the data path's uplink pipeline, and status follows); the algorithms show the cipher key size
 * without an AEAD's 4-byte salt (RFC 4106 §8.1); and each SA's install time and key fingerprint, which {@code poolsa
 * demo} compares before and after a failover to prove "same SAs, same keys, no rekey": the fingerprint is recomputed
 * here from its documented definition, differs for keys that differ in one byte, and never shows key material; a
 * reload that changes a key gives a new install time and fingerprint, one that changes nothing keeps both.
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


    /** The documented definition, written out independently of {@link StatusReport#keyFingerprint}. */
    private static String expectedFingerprint(String encAlg, byte[] encKey, String intAlg, byte[] intKey) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        for (byte[] f : List.of("poolsa status key fingerprint v1".getBytes(StandardCharsets.US_ASCII),
                encAlg.getBytes(StandardCharsets.US_ASCII), encKey, intAlg.getBytes(StandardCharsets.US_ASCII), intKey)) {
            d.update(ByteBuffer.allocate(4).putInt(f.length).array());
            d.update(f);
        }
        return HexFormat.of().formatHex(d.digest()).substring(0, 16);
    }

    private static Map<String, String> fields(String json, String connection, String direction) {
        // The SA objects are flat: match the one of the connection and direction by position.
        int c = json.indexOf("\"name\":\"" + connection + "\"");
        int start = json.indexOf("\"" + direction + "\":{", c);
        String sa = json.substring(start, json.indexOf('}', start));
        Matcher m = Pattern.compile("\"([a-z_]+)\":(\"[^\"]*\"|[^,}]+)").matcher(sa);
        java.util.HashMap<String, String> out = new java.util.HashMap<>();
        while (m.find()) {
            out.put(m.group(1), m.group(2).replace("\"", ""));
        }
        return out;
    }

    @Test
    void fingerprintFollowsItsDefinitionAndTellsKeysApart() throws Exception {
        byte[] enc = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
        byte[] mac = HexFormat.of().parseHex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
        SaKeys k = new SaKeys("aes-cbc", enc, "hmac-sha2-256-128", mac);
        String fp = StatusReport.keyFingerprint(k);
        assertEquals(expectedFingerprint("aes-cbc", enc, "hmac-sha2-256-128", mac), fp);
        assertTrue(fp.matches("[0-9a-f]{16}"), fp);
        byte[] enc2 = enc.clone();
        enc2[15] ^= 1;
        assertNotEquals(fp, StatusReport.keyFingerprint(new SaKeys("aes-cbc", enc2, "hmac-sha2-256-128", mac)));
        byte[] mac2 = mac.clone();
        mac2[0] ^= (byte) 0x80;
        assertNotEquals(fp, StatusReport.keyFingerprint(new SaKeys("aes-cbc", enc, "hmac-sha2-256-128", mac2)));
        // Length-prefixed fields: moving a byte from one key to the other changes the fingerprint.
        byte[] shortEnc = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e");
        byte[] longMac = HexFormat.of().parseHex("0f" + HexFormat.of().formatHex(mac));
        assertNotEquals(fp, StatusReport.keyFingerprint(new SaKeys("aes-cbc", shortEnc, "hmac-sha2-256-128", longMac)));
        k.destroy();
        assertNull(StatusReport.keyFingerprint(k), "no fingerprint of destroyed (zeroed) keys");
    }

    @Test
    void reportShowsInstallTimeAndFingerprintsButNoKeyAndAReloadChangesThemOnlyForAChangedKey() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        ConnectionManager m = new ConnectionManager(new ManualKeying(new UserspaceIpsecKernel()));
        m.apply(ConfigLoader.load(cfg).connections(), System.nanoTime());
        InstalledConnection c = m.installed("site-c");
        String json = StatusReport.json(m, System.nanoTime());
        Map<String, String> in = fields(json, "site-c", "inbound");
        Map<String, String> out = fields(json, "site-c", "outbound");
        assertEquals(Long.toString(c.inbound().createdNanos()), in.get("installed_monotonic_ns"));
        assertEquals(Long.toString(c.outbound().createdNanos()), out.get("installed_monotonic_ns"));
        // site-c's keys are the fixture's files: 00.. / 22.. inbound, 11.. / 33.. outbound.
        assertEquals(expectedFingerprint("aes-cbc", new byte[16], "hmac-sha2-256-128", fill(32, 0x22)), in.get("key_fingerprint"));
        assertEquals(expectedFingerprint("aes-cbc", fill(16, 0x11), "hmac-sha2-256-128", fill(32, 0x33)),
                out.get("key_fingerprint"));
        String text = StatusReport.text(m, System.nanoTime());
        assertTrue(text.contains("    installed at monotonic " + c.inbound().createdNanos() + " ns (in), "
                + c.outbound().createdNanos() + " ns (out), key fingerprints in " + in.get("key_fingerprint") + ", out "
                + out.get("key_fingerprint") + "\n"), text);
        for (String key : new String[] {"2122232425262728", "1111111111111111", "3333333333333333"}) {
            assertFalse(json.contains(key) || text.contains(key), "key material in the report: " + key);
        }

        // Unchanged configuration: same SAs, same install time and fingerprints.
        m.apply(ConfigLoader.load(cfg).connections(), System.nanoTime());
        String same = StatusReport.json(m, System.nanoTime());
        assertEquals(in.get("installed_monotonic_ns"), fields(same, "site-c", "inbound").get("installed_monotonic_ns"));
        assertEquals(out.get("key_fingerprint"), fields(same, "site-c", "outbound").get("key_fingerprint"));

        // A changed outbound encryption key: the pair is reinstalled, the outbound fingerprint changes.
        ConfigFixture.secret(dir, "secrets/c.eout", "44".repeat(16));
        m.apply(ConfigLoader.load(cfg).connections(), System.nanoTime());
        String changed = StatusReport.json(m, System.nanoTime());
        Map<String, String> out2 = fields(changed, "site-c", "outbound");
        assertEquals(expectedFingerprint("aes-cbc", fill(16, 0x44), "hmac-sha2-256-128", fill(32, 0x33)), out2.get("key_fingerprint"));
        assertNotEquals(out.get("installed_monotonic_ns"), out2.get("installed_monotonic_ns"));
        m.removeAll();
    }

    private static byte[] fill(int n, int value) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }
}

package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.SaKeys;

/**
 * The status report's install time and key fingerprint, which {@code poolsa demo} compares before and after a
 * failover to prove "same SAs, same keys, no rekey": the fingerprint is recomputed here from its documented
 * definition, differs for keys that differ in one byte, survives nothing but identical keys, and never shows key
 * material; a reload that changes a key gives a new install time and fingerprint, one that changes nothing keeps
 * both.
 */
class StatusReportTest {
    @TempDir
    Path dir;

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

package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.sa.Direction;

/**
 * setkey(8) files, written the way ipsec-tools' manual page writes them (add/spdadd statements over several
 * lines, {@code 0x} hex and quoted keys, {@code -m}, {@code -u}, {@code unique:N}, {@code -P in/fwd} mirrors,
 * flush/spdflush), with poolsa's pool extension; each refusal names FILE:LINE.
 */
class SetkeyFileTest {
    @TempDir
    Path dir;

    static final String SITE_B = """
            # Manual SAs for site B, setkey(8) syntax. Outer pools: ours 198.51.100.0/28 + 203.0.113.0/28.
            flush;
            spdflush;

            add 198.51.100.0/28,203.0.113.0/28 198.51.100.17,203.0.113.17 esp 0x2001
                -m tunnel -u 5 -r 64 -ls 3300 -lh 3600
                -E rijndael-cbc 0x000102030405060708090a0b0c0d0e0f
                -A hmac-sha256 0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f ;
            add 198.51.100.17,203.0.113.17 198.51.100.0/28,203.0.113.0/28 esp 4098
                -m tunnel -u 5 -r 64 -ls 3300 -lh 3600
                -E rijndael-cbc 0x101112131415161718191a1b1c1d1e1f
                -A hmac-sha256 0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f ;

            spdadd 192.0.2.0/25 192.0.2.128/25 any -P out ipsec
                esp/tunnel/198.51.100.0/28,203.0.113.0/28-198.51.100.17,203.0.113.17/unique:5 ;
            spdadd 192.0.2.128/25 192.0.2.0/25 any -P in ipsec
                esp/tunnel/198.51.100.17,203.0.113.17-198.51.100.0/28,203.0.113.0/28/unique:5 ;
            spdadd 192.0.2.128/25 192.0.2.0/25 any -P fwd ipsec
                esp/tunnel/198.51.100.17,203.0.113.17-198.51.100.0/28,203.0.113.0/28/unique:5 ;

            # Host-to-host AH in transport mode, a quoted key (20 bytes for hmac-sha1), a range as pool.
            add 198.51.100.1-198.51.100.3 198.51.100.40 ah 0x3001 -m transport -A hmac-sha1 "12345678901234567890";
            add 198.51.100.40 198.51.100.1-198.51.100.3 ah 0x3002 -m transport -A hmac-sha1 "abcdefghijabcdefghij";
            spdadd 198.51.100.1-198.51.100.3 198.51.100.40[any] any -P out ipsec ah/transport//require;

            # Canonical names work too: AES-256-CBC with HMAC-SHA-512 (RFC 4868), IPv6 protected pools.
            add 203.0.113.1 203.0.113.50 esp 0x4001 -E aes-cbc 0x0101010101010101010101010101010101010101010101010101010101010101 -A hmac-sha2-512-256
                0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1;
            add 203.0.113.50 203.0.113.1 esp 0x4002 -E aes-cbc 0x0202020202020202020202020202020202020202020202020202020202020202 -A hmac-sha512
                0xa2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2;
            spdadd 2001:db8:1::/64 2001:db8:2::/64 any -P out ipsec esp/tunnel/203.0.113.1-203.0.113.50/require;
            """;

    private Path file(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    private List<SetkeyFile.Entry> parse(String content) throws Exception {
        Path p = file("sa.conf", content);
        return SetkeyFile.parse(p, Files.readAllBytes(p));
    }

    private static String hex(Secret s) {
        byte[] b = s.copy();
        return HexFormat.of().formatHex(b);
    }

    @Test
    void readsSetkeyStatementsIntoConnections() throws Exception {
        List<SetkeyFile.Entry> entries = parse(SITE_B);
        assertEquals(3, entries.size());

        ConnectionConfig b = entries.get(0).connection();
        assertEquals(14, entries.get(0).line());
        assertEquals("setkey-reqid-5", b.name());
        assertEquals(SaMode.TUNNEL, b.mode());
        assertEquals(IpsecProtocol.ESP, b.protocol());
        assertEquals(5, b.reqid());
        assertEquals(AddressPool.parse("198.51.100.0/28", "203.0.113.0/28"), b.localOuter());
        assertEquals(AddressPool.parse("198.51.100.17", "203.0.113.17"), b.remoteOuter());
        assertEquals(AddressPool.parse("192.0.2.0/25"), b.localProtected());
        assertEquals(AddressPool.parse("192.0.2.128/25"), b.remoteProtected());
        assertEquals(0x2001, b.manual().spiOut());
        assertEquals(4098, b.manual().spiIn());
        assertEquals("aes-cbc", b.manual().encryption());
        assertEquals("hmac-sha2-256-128", b.manual().integrity());
        assertEquals("000102030405060708090a0b0c0d0e0f", hex(b.manual().encryptionKeyOut()));
        assertEquals("101112131415161718191a1b1c1d1e1f", hex(b.manual().encryptionKeyIn()));
        assertEquals(32, b.manual().integrityKeyIn().length());
        assertEquals(3600, b.lifetime().hardSeconds());
        assertEquals(3300, b.lifetime().softSeconds());
        assertEquals(64, b.replayWindow());
        assertFalse(b.toString().contains("000102030405"), "keys never printed");

        ConnectionConfig ah = entries.get(1).connection();
        assertEquals("setkey-spi-00003001", ah.name());
        assertEquals(SaMode.TRANSPORT, ah.mode());
        assertEquals(IpsecProtocol.AH, ah.protocol());
        assertEquals(AddressPool.parse("198.51.100.1-198.51.100.3"), ah.localOuter());
        assertEquals("none", ah.manual().encryption());
        assertEquals("hmac-sha1-96", ah.manual().integrity());
        assertEquals(HexFormat.of().formatHex("12345678901234567890".getBytes(StandardCharsets.US_ASCII)),
                hex(ah.manual().integrityKeyOut()));
        assertNull(ah.manual().encryptionKeyIn());
        assertEquals(0, ah.replayWindow()); // no -r: no anti-replay, as setkey

        ConnectionConfig cbc = entries.get(2).connection();
        assertEquals("aes-cbc", cbc.manual().encryption());
        assertEquals("hmac-sha2-512-256", cbc.manual().integrity()); // setkey's hmac-sha512 and the canonical name agree
        assertEquals(32, cbc.manual().encryptionKeyOut().length());
        assertEquals(64, cbc.manual().integrityKeyIn().length());
        assertTrue(cbc.remoteProtected().hasV6());
    }

    @Test
    void connectionsInstallThroughManualKeying() throws Exception {
        List<SetkeyFile.Entry> entries = parse(SITE_B);
        Map<String, ConnectionConfig> conns = new java.util.LinkedHashMap<>();
        entries.forEach(e -> conns.put(e.connection().name(), e.connection()));
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        ConnectionManager manager = new ConnectionManager(new ManualKeying(kernel));
        manager.apply(conns, 0);
        InstalledConnection ic = manager.installed("setkey-reqid-5");
        assertEquals(5, ic.reqid());
        int peer = IpLiterals.v4(IpLiterals.parse("203.0.113.17"));
        int ours = IpLiterals.v4(IpLiterals.parse("198.51.100.2"));
        SecurityAssociation in = kernel.sad().lookupInboundV4(4098, 50, peer, ours, DropListener.NONE);
        assertEquals(ic.inbound(), in);
        InstalledPolicy out = kernel.spd().classifyV4(Direction.OUTBOUND, IpLiterals.v4(IpLiterals.parse("192.0.2.1")),
                IpLiterals.v4(IpLiterals.parse("192.0.2.200")), 17, 1, 2);
        assertEquals(0x2001, out.sa().spi());
        assertEquals(6, kernel.listSas().size());
        manager.removeAll();
        assertEquals(0, kernel.listSas().size());
    }

    /** {@code content} is refused with FILE:LINE: FIELD: and a message holding {@code fragment}. */
    private void refused(String content, int line, String field, String fragment) throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(content));
        assertEquals(line, e.line(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(dir.resolve("sa.conf") + ":" + line + ": " + field + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    private static final String OUT_POLICY = "spdadd 192.0.2.0/25 192.0.2.128/25 any -P out ipsec esp/tunnel/198.51.100.1-198.51.100.17/require;\n";
    private static final String CBC_IN = "-E rijndael-cbc 0x" + "11".repeat(16) + " -A hmac-sha256 0x" + "33".repeat(32);
    private static final String CBC_OUT = "-E rijndael-cbc 0x" + "22".repeat(16) + " -A hmac-sha256 0x" + "44".repeat(32);
    private static final String GOOD_IN = "add 198.51.100.17 198.51.100.1 esp 0x1002 " + CBC_IN + ";\n";
    private static final String GOOD_OUT = "add 198.51.100.1 198.51.100.17 esp 0x1001 " + CBC_OUT + ";\n";

    @Test
    void minimalTunnelParses() throws Exception {
        assertEquals(1, parse(GOOD_OUT + GOOD_IN + OUT_POLICY).size());
    }

    @Test
    void ahEspBundleBecomesOneConnectionWithFourSas() throws Exception {
        String bundle = GOOD_OUT + GOOD_IN
                + "add 198.51.100.1 198.51.100.17 ah 0x1101 -m transport -A hmac-sha256 0x" + "33".repeat(32) + ";\n"
                + "add 198.51.100.17 198.51.100.1 ah 0x1102 -m transport -A hmac-sha256 0x" + "44".repeat(32) + ";\n"
                + OUT_POLICY.replace("/require;", "/require ah/transport//require;");
        List<SetkeyFile.Entry> entries = parse(bundle);
        assertEquals(1, entries.size());
        ConnectionConfig c = entries.get(0).connection();
        assertEquals(IpsecProtocol.ESP, c.protocol());
        ConnectionConfig.BundleAhConfig ah = c.manual().bundleAh();
        assertEquals(0x1101, ah.spiOut());
        assertEquals(0x1102, ah.spiIn());
        assertEquals("hmac-sha2-256-128", ah.integrity());
        assertEquals("33".repeat(32), hex(ah.keyOut()));

        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        ConnectionManager manager = new ConnectionManager(new ManualKeying(kernel));
        manager.apply(Map.of(c.name(), c), 0);
        InstalledConnection ic = manager.installed(c.name());
        assertEquals(4, kernel.listSas().size());
        net.poolsa.esp.sad.OutboundSlot slot = kernel.sad().slot(ic.reqid());
        assertEquals(ic.outbound(), slot.current());
        assertEquals(ic.ahOutbound(), slot.bundleOuter());
        assertEquals(ic.ahOutbound(), net.poolsa.esp.transform.SaBundle.outerOf(ic.outbound()), "AH linked over ESP");
        manager.removeAll();
        assertEquals(0, kernel.listSas().size());
    }

    /** A key where an algorithm name or option belongs (a mistyped line) is refused without being echoed. */
    @Test
    void misplacedKeysAreNotShownInErrors() throws Exception {
        String key = "5a".repeat(20);
        for (String line : new String[] {
                "add 198.51.100.17 198.51.100.1 esp 0x1002 -E 0x" + key + ";\n",
                "add 198.51.100.17 198.51.100.1 ah 0x1002 -A 0x" + key + ";\n",
                "add 198.51.100.17 198.51.100.1 esp 0x1002 -E null 0x" + key + ";\n",
                "add 198.51.100.17 198.51.100.1 ah 0x1002 -A \"" + key + "\";\n"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> parse(GOOD_OUT + line));
            assertEquals(2, e.line(), e.getMessage());
            assertTrue(!e.getMessage().contains(key), "key in the error: " + e.getMessage());
            assertTrue(e.getMessage().startsWith(dir.resolve("sa.conf") + ":2: "), e.getMessage());
        }
    }

    @Test
    void badLinesNameFileLineAndField() throws Exception {
        String in = "add 198.51.100.17 198.51.100.1 esp 0x1002";
        refused("# comment\n" + GOOD_OUT.replace("0x1001", "0x10"), 2, "add.spi", "SPI 16 is reserved");
        refused(GOOD_OUT + in + "\n  -E rijndael-cbc 0x1122 -A hmac-sha256 0x" + "33".repeat(32) + ";\n", 3, "add.-E",
                "key for rijndael-cbc is 2 bytes; it needs [16, 24, 32] bytes");
        refused(GOOD_OUT + in + " -E rijndael-cbc 0x112;\n", 2, "add.-E", "even, non-zero number of hex digits");
        refused(GOOD_OUT + in + " -E rijndael-cbc 0x11zz;\n", 2, "add.-E", "not a hex digit");
        refused(GOOD_OUT + in + " -E blowfish-cbc 0x1122334455667788;\n", 2, "add.-E",
                "encryption algorithm 'blowfish-cbc' is not supported (known: 3des-cbc, aes-cbc, null, rijndael-cbc)");
        refused(GOOD_OUT + in + " -E des-cbc 0x1122334455667788;\n", 2, "add.-E", "des-cbc is disabled");
        refused(GOOD_OUT + in + " -E rijndael-cbc 0x" + "00".repeat(16) + ";\n", 2, "add.-A",
                "ESP with aes-cbc needs an integrity algorithm");
        refused(GOOD_OUT + in + " -E null\n -A hmac-sha256 0x" + "33".repeat(31) + ";\n", 3, "add.-A",
                "key for hmac-sha256 is 31 bytes; it needs [32] bytes");
        refused(GOOD_OUT + "add 198.51.100.17 198.51.100.1 ah 0x1002 -A hmac-sha1 \"short\";\n", 2, "add.-A", "key for hmac-sha1 is 5 bytes");
        refused(GOOD_OUT + "add 198.51.100.17 198.51.100.1 ah 0x1002 -A hmac-sha1 \"unterminated;\n", 2, "add.-A", "unterminated quoted key");
        refused(GOOD_OUT + "add 198.51.100.17 198.51.100.999 esp 0x1002 " + CBC_IN + ";\n", 2, "add.destination", "destination");
        refused(GOOD_OUT + in + " " + CBC_IN + "\n", 2, "add", "not ended with ';'");
        refused(GOOD_OUT + in + " -r 2000000 " + CBC_IN + ";\n", 2, "add.-r", "replay window 2000000 is not within 0-1048576");
        refused(GOOD_OUT + in + " -ls 100 -lh 50 " + CBC_IN + ";\n", 2, "add.-ls", "soft lifetime seconds (100) exceeds the hard one (50)");
        refused(GOOD_OUT + GOOD_IN + "delete 198.51.100.1 198.51.100.17 esp 0x1001;\n", 3, "statement", "only add, spdadd");
        refused(GOOD_OUT + GOOD_IN + OUT_POLICY.replace(" any ", " tcp "), 3, "spdadd.upperspec", "only 'any' is supported");
        refused(GOOD_OUT + GOOD_IN + OUT_POLICY.replace("/require", "/use"), 3, "spdadd.request", "level 'use'");
        refused(GOOD_OUT + GOOD_IN + OUT_POLICY.replace("/require;", "/require ah/transport//require;"), 3, "spdadd.request",
                "no outbound AH SA for this policy");
        refused(GOOD_OUT + GOOD_IN + OUT_POLICY.replace("/require;", "/require esp/transport//require;"), 3, "spdadd.request",
                "a bundle is esp/MODE/... followed by ah/transport//LEVEL");
        refused(GOOD_OUT + GOOD_IN + "spdadd 192.0.2.0/25 192.0.2.128/25 any -P out none;\n", 3, "spdadd.policy", "'none' policies");
        refused(GOOD_OUT + GOOD_IN + OUT_POLICY.replace("192.0.2.128/25 any", "192.0.2.128/25[80] any"), 3, "spdadd.destination",
                "port selectors");
        refused(GOOD_OUT + OUT_POLICY, 2, "spdadd.request", "no inbound SA for this policy");
        refused(GOOD_OUT + GOOD_IN, 1, "add", "no -P out ipsec policy uses this SA");
        refused(GOOD_OUT + GOOD_IN.replace("esp 0x1002 -E", "esp 0x1002 -m transport -E") + OUT_POLICY, 2, "add.-m",
                "transport mode but the policy at line 3 asks for tunnel");
        refused(GOOD_OUT + GOOD_IN + OUT_POLICY
                + "spdadd 192.0.2.128/25 192.0.2.64/26 any -P in ipsec esp/tunnel/198.51.100.17-198.51.100.1/require;\n", 4,
                "spdadd.-P", "mirrors no -P out policy");
        refused(GOOD_OUT + GOOD_OUT, 2, "add.spi", "already added at line 1");
    }

    /**
     * RFC 4106 §10, RFC 8221 §3: counter-mode AEAD with a static key repeats nonces once the sequence number restarts,
     * so the sa-file refuses it at the -E that names it, before its key is read, whatever the key's length.
     */
    @Test
    void counterModeAeadIsRefusedAtItsLine() throws Exception {
        for (String aead : new String[] {"aes-gcm-16 0x" + "11".repeat(20), "aes-gcm-16 0x" + "11".repeat(28),
                "aes-gcm-16 0x" + "11".repeat(36), "chacha20-poly1305 0x" + "11".repeat(36), "aes-gcm-16 0x11"}) {
            String name = aead.substring(0, aead.indexOf(' '));
            refused(GOOD_OUT + "add 198.51.100.17 198.51.100.1 esp 0x1002\n    -E " + aead + ";\n" + OUT_POLICY, 3, "add.-E",
                    name + " cannot be used with manual keys: its nonce is the key's salt and the sequence number, which "
                            + "restarts at 1 after every restart, crash or reload, so a static key repeats (key, nonce) pairs "
                            + "and gives away the authentication key (RFC 4106 §10, RFC 8221 §3); use aes-cbc with "
                            + "hmac-sha2-256-128 instead, or IKE keying");
        }
    }

    /**
     * The SAD finds an inbound SA by SPI alone, so a bundle whose AH SPI equals its ESP SPI would pass the parser and
     * then fail to install (the second inbound SA is a duplicate SPI): refused at the AH SA's line, in either direction.
     */
    @Test
    void bundleWhoseAhSpiEqualsItsEspSpiIsRefused() throws Exception {
        String ahOut = "add 198.51.100.1 198.51.100.17 ah 0x1101 -m transport -A hmac-sha256 0x" + "33".repeat(32) + ";\n";
        String ahIn = "add 198.51.100.17 198.51.100.1 ah 0x1102 -m transport -A hmac-sha256 0x" + "44".repeat(32) + ";\n";
        String policy = OUT_POLICY.replace("/require;", "/require ah/transport//require;");
        refused(GOOD_OUT + GOOD_IN + ahOut + ahIn.replace("0x1102", "0x1002") + policy, 4, "add.spi",
                "the AH SA of this bundle has SPI 0x1002, like the ESP SA at line 2");
        refused(GOOD_OUT + GOOD_IN + ahOut.replace("0x1101", "0x1001") + ahIn + policy, 3, "add.spi",
                "the AH SA of this bundle has SPI 0x1001, like the ESP SA at line 1");
        // Distinct SPIs install: the four SAs and the bundle link.
        assertEquals(1, parse(GOOD_OUT + GOOD_IN + ahOut + ahIn + policy).size());
    }

    @Test
    void configLoaderTakesAnSaFileAndChecksItsPermissions() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        file("sa.conf", SITE_B);
        String yaml = ConfigFixture.YAML.replace("connections:\n", "sa-file: sa.conf\nconnections:\n");
        ConfigFixture.writeYaml(dir, yaml);
        PoolsaConfig c = ConfigLoader.load(cfg);
        assertTrue(c.connections().containsKey("site-b"));
        assertTrue(c.connections().containsKey("setkey-reqid-5"));
        assertEquals(5, c.connections().size());

        Files.setPosixFilePermissions(dir.resolve("sa.conf"), PosixFilePermissions.fromString("rw-r--r--"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertTrue(e.getMessage().contains("is accessible by group or others") && e.getMessage().contains("sa-file"), e.getMessage());
        Files.setPosixFilePermissions(dir.resolve("sa.conf"), PosixFilePermissions.fromString("rw-------"));

        // An SPI the YAML connection already uses inbound is refused at the line of the sa-file's inbound SA.
        file("sa.conf", GOOD_OUT + GOOD_IN.replace("0x1002", "0x00001001") + OUT_POLICY);
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals(dir.resolve("sa.conf"), e.file());
        assertEquals(2, e.line());
        assertEquals("add.spi", e.field());
        assertTrue(e.getMessage().contains("inbound SPI 0x1001 is already used by connection site-b"), e.getMessage());
    }

    /** The checks of a connection against the data path name the sa-file's line and part, as the YAML ones do. */
    @Test
    void connectionChecksNameTheSaFilesLineAndField() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("connections:\n", "sa-file: sa.conf\nconnections:\n"));
        // Tunnel endpoints: the peer's pool holds no single address to send to.
        String ranges = "198.51.100.16/28";
        file("sa.conf", GOOD_OUT.replace("198.51.100.17", ranges) + GOOD_IN.replace("198.51.100.17", ranges)
                + OUT_POLICY.replace("198.51.100.17", ranges));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals(3, e.line(), e.getMessage());
        assertEquals("spdadd.request", e.field());
        assertTrue(e.getMessage().contains("holds no single address (/32 or /128)"), e.getMessage());
        // Transport mode: the remote pool is the policy's destination.
        file("sa.conf", GOOD_OUT.replace("198.51.100.17", ranges).replace("-E", "-m transport -E")
                + GOOD_IN.replace("198.51.100.17", ranges).replace("-E", "-m transport -E")
                + "spdadd 198.51.100.1 " + ranges + " any -P out ipsec esp/transport//require;\n");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals(3, e.line(), e.getMessage());
        assertEquals("spdadd.destination", e.field());
        // A hard byte lifetime below the MTU, at the outbound SA.
        file("sa.conf", GOOD_OUT.replace("-E", "-bh 1000 -E") + GOOD_IN.replace("-E", "-bh 1000 -E") + OUT_POLICY);
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals(1, e.line(), e.getMessage());
        assertEquals("add.-bh", e.field());
        assertTrue(e.getMessage().contains("below the data path's MTU (1500)"), e.getMessage());
    }
}

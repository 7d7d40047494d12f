package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConnectionConfig.Psk;
import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.pipeline.DataPlaneConfig;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.StartAction;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void readsTypedRecords() throws Exception {
        PoolsaConfig c = ConfigLoader.load(ConfigFixture.write(dir));
        assertEquals(0, c.metrics().listen().getPort());
        assertEquals(2, c.dataPath().uplinks().size());
        assertEquals(DataPathConfig.SinkType.IFB, c.dataPath().sink().type());
        ConnectionConfig b = c.connections().get("site-b");
        assertEquals(SaMode.TUNNEL, b.mode());
        assertEquals(IpsecProtocol.ESP, b.protocol());
        assertEquals(AddressPool.parse("198.51.100.17/32", "203.0.113.17/32"), b.remoteOuter());
        assertEquals(0x1001, b.manual().spiIn());
        assertEquals("aes-cbc", b.manual().encryption());
        assertEquals("hmac-sha2-256-128", b.manual().integrity());
        assertEquals(16, b.manual().encryptionKeyIn().length());
        assertEquals(32, b.manual().integrityKeyIn().length());
        assertEquals(3600, b.lifetime().hardSeconds());
        assertEquals(128, b.replayWindow());
        ConnectionConfig cc = c.connections().get("site-c");
        assertTrue(cc.authentication() instanceof Psk);
        assertNull(cc.manual());
        assertEquals(StartAction.START, cc.startAction());
        assertEquals(3600, cc.ikeLifetimeSeconds());
        assertEquals(List.of("aes128-sha256-modp2048"), cc.ikeProposals());
        assertEquals(List.of("aes128gcm16-modp2048"), cc.espProposals());
        assertTrue(cc.remoteProtected().hasV6());
        // Key bytes never reach a printed record.
        assertTrue(!b.toString().contains("0102030405"));
    }

    @Test
    void unchangedFileGivesEqualConnectionsAndChangedKeyDoesNot() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        PoolsaConfig a = ConfigLoader.load(cfg);
        assertEquals(a.connections(), ConfigLoader.load(cfg).connections());
        ConfigFixture.secret(dir, "secrets/site-b.enc-in", "0x" + "ff".repeat(16));
        PoolsaConfig b = ConfigLoader.load(cfg);
        assertNotEquals(a.connections().get("site-b"), b.connections().get("site-b"));
        assertEquals(a.connections().get("site-c"), b.connections().get("site-c"));
    }

    private ConfigException refused(String from, String to) throws Exception {
        ConfigFixture.write(dir);
        assertTrue(ConfigFixture.YAML.contains(from), from);
        Path cfg = ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace(from, to));
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
    }

    /** The fixture with {@code from} replaced by {@code to} is refused at {@code field} with {@code fragment} in the message. */
    private ConfigException refused(String from, String to, String field, String fragment) throws Exception {
        ConfigException e = refused(from, to);
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        return e;
    }

    /** The fixture with {@code from} replaced by {@code to} loads; returns site-b. */
    private ConnectionConfig accepted(String from, String to) throws Exception {
        Path cfg = ConfigFixture.write(dir);
        assertTrue(ConfigFixture.YAML.contains(from), from);
        ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace(from, to));
        return ConfigLoader.load(cfg).connections().get("site-b");
    }

    /** data-path.event-loops: the core-count default when absent, the value when given, 1-64 else refused at its line. */
    @Test
    void eventLoops() throws Exception {
        assertEquals(DataPlaneConfig.defaultEventLoops(), ConfigLoader.load(ConfigFixture.write(dir)).dataPath().eventLoops());
        String mtu = "  mtu: 1500\n";
        assertTrue(ConfigFixture.YAML.contains(mtu));
        Path cfg = ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace(mtu, mtu + "  event-loops: 3\n"));
        assertEquals(3, ConfigLoader.load(cfg).dataPath().eventLoops());
        ConfigException zero = refused(mtu, mtu + "  event-loops: 0\n", "data-path.event-loops", "0 is not within 1-64");
        assertEquals(ConfigFixture.YAML.substring(0, ConfigFixture.YAML.indexOf(mtu)).split("\n", -1).length + 1, zero.line());
        refused(mtu, mtu + "  event-loops: 65\n", "data-path.event-loops", "65 is not within 1-64");
        refused(mtu, mtu + "  event-loops: two\n", "data-path.event-loops", "'two' is not a number");
    }

    /** data-path.failover: defaults when absent, each timer when given, ranges checked by the data path's own record. */
    @Test
    void failoverTimers() throws Exception {
        assertEquals(PathTimers.DEFAULTS, ConfigLoader.load(ConfigFixture.write(dir)).dataPath().failover());
        String type = "    type: ifb\n";
        Path cfg = ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace(type, type + """
                  failover:
                    probe-interval: 25ms
                    idle-probe-interval: 2s
                    detect-multiplier: 4
                    max-probe-rate: 500
                    switch-back-after: 1m
                    switch-limit: 3
                    switch-limit-window: 30s
                """));
        PathTimers t = ConfigLoader.load(cfg).dataPath().failover();
        assertEquals(new PathTimers(Duration.ofMillis(25), Duration.ofSeconds(2), 4, 500,
                Duration.ofMinutes(1), 3, Duration.ofSeconds(30)), t);
        assertEquals(Duration.ofMillis(100), t.detectionTime());
        refused(type, type + "  failover:\n    probe-interval: 40\n", "data-path.failover.probe-interval",
                "'40' is not a duration like 40ms, 5s or 2m");
        refused(type, type + "  failover:\n    probe-interval: 5ms\n", "data-path.failover",
                "probe interval 5 ms is below the minimum of 10 ms");
        refused(type, type + "  failover:\n    probe-interval: 2s\n", "data-path.failover",
                "idle probe interval 1000 ms is not within the probe interval (2000 ms) and 60 s");
        refused(type, type + "  failover:\n    detect-multiplier: 0\n", "data-path.failover.detect-multiplier", "0");
        refused(type, type + "  failover:\n    probe-intervall: 40ms\n", "data-path.failover.probe-intervall", "unknown field");
    }

    @Test
    void unknownFieldNamesLineAndField() throws Exception {
        ConfigException e = refused("    replay-window: 128", "    replay-windwo: 128");
        assertEquals(25, e.line());
        assertEquals("connections.site-b.replay-windwo", e.field());
        assertTrue(e.getMessage().startsWith(dir.resolve("poolsa.yaml") + ":25: connections.site-b.replay-windwo: unknown field"),
                e.getMessage());
    }

    @Test
    void badPoolEntryNamesTheValue() throws Exception {
        ConfigException e = refused("remote-outer: [198.51.100.17/32, 203.0.113.17/32]",
                "remote-outer: [198.51.100.17/32, 203.0.113.17/28]");
        assertEquals("connections.site-b.remote-outer[1]", e.field());
        assertEquals(21, e.line());
        assertTrue(e.getMessage().contains("'203.0.113.17/28': host bits set"), e.getMessage());
    }

    @Test
    void groupReadableSecretIsRefused() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        Files.setPosixFilePermissions(dir.resolve("secrets/site-b.enc-out"), PosixFilePermissions.fromString("rw-r-----"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-b.manual.encryption-key-out", e.field());
        assertTrue(e.getMessage().contains("accessible by group or others"), e.getMessage());
    }

    @Test
    void wrongKeyLengthIsRefusedWithoutShowingTheKey() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        ConfigFixture.secret(dir, "secrets/site-b.enc-in", "0x00112233445566778899aabbccddeeff01020304");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-b.manual.encryption-key-in", e.field());
        assertTrue(e.getMessage().contains("20 bytes; aes-cbc needs [16, 24, 32] bytes"), e.getMessage());
        assertTrue(!e.getMessage().contains("00112233"));
        ConfigFixture.secret(dir, "secrets/site-b.enc-in", ConfigFixture.ENC_KEY_IN);
        ConfigFixture.secret(dir, "secrets/site-b.int-out", "0x" + "ab".repeat(20));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertEquals("connections.site-b.manual.integrity-key-out", e.field());
        assertTrue(e.getMessage().contains("20 bytes; hmac-sha2-256-128 needs [32] bytes"), e.getMessage());
    }

    /**
     * RFC 4106 §10, RFC 8221 §3: a static key with a sequence number that restarts at 1 repeats GCM and ChaCha20
     * nonces, so counter-mode AEAD is refused for manual keys, with the reason and what to use instead.
     */
    @Test
    void counterModeAeadIsRefusedForManualKeys() throws Exception {
        for (String aead : new String[] {"aes-gcm-16", "chacha20-poly1305"}) {
            for (String to : new String[] {"encryption: " + aead + "\n", "encryption: " + aead + "\n      integrity: none\n"}) {
                ConfigException e = refused("encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n", to);
                assertEquals("connections.site-b.manual.encryption", e.field());
                assertEquals(29, e.line());
                assertTrue(e.getMessage().startsWith(dir.resolve("poolsa.yaml") + ":29: connections.site-b.manual.encryption: "
                        + aead + " cannot be used with manual keys: its nonce is the key's salt and the sequence number, "
                        + "which restarts at 1 after every restart, crash or reload"), e.getMessage());
                assertTrue(e.getMessage().endsWith("use aes-cbc with hmac-sha2-256-128 instead, or IKE keying"), e.getMessage());
            }
        }
    }

    @Test
    void missingIntegrityNamesTheField() throws Exception {
        refused("      integrity: hmac-sha2-256-128\n", "", "connections.site-b.manual.integrity",
                "ESP with aes-cbc needs an integrity algorithm");
    }

    /** YAML reads a plain {@code null} as no value; as an encryption algorithm it is ESP-NULL (RFC 2410). */
    @Test
    void espNullWithIntegrityIsAccepted() throws Exception {
        ConnectionConfig b = accepted("encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n"
                + "      encryption-key-in: secrets/site-b.enc-in\n      encryption-key-out: secrets/site-b.enc-out\n",
                "encryption: null\n      integrity: hmac-sha2-256-128\n");
        assertEquals("null", b.manual().encryption());
        assertNull(b.manual().encryptionKeyIn());
    }

    @Test
    void unknownAlgorithmListsTheKnownOnes() throws Exception {
        ConfigException e = refused("encryption: aes-cbc", "encryption: aes-gcm-8");
        assertTrue(e.getMessage().contains("'aes-gcm-8' is not one of aes-gcm-16, chacha20-poly1305, aes-cbc, 3des-cbc, null"),
                e.getMessage());
    }

    @Test
    void reservedSpiIsRefused() throws Exception {
        ConfigException e = refused("spi-in: 0x00001001", "spi-in: 255");
        assertEquals("connections.site-b.manual.spi-in", e.field());
        assertEquals(27, e.line());
    }

    @Test
    void missingRequiredFieldIsNamed() throws Exception {
        ConfigException e = refused("    local-protected: [192.0.2.0/25]\n", "");
        assertEquals("connections.site-b.local-protected", e.field());
    }

    @Test
    void invalidYamlNamesTheLine() throws Exception {
        ConfigException e = refused("  mtu: 1500", "  mtu: [1500");
        assertTrue(e.line() > 0);
        assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
    }

    @Test
    void softLifetimeAboveHardIsRefused() throws Exception {
        ConfigException e = refused("rekey-time: 3300", "rekey-time: 3700");
        assertEquals("connections.site-b.lifetime", e.field());
    }

    @Test
    void connectionOutsideEveryUplinkIsRefused() throws Exception {
        ConfigException e = refused("local-outer: [198.51.100.1/32]", "local-outer: [198.51.100.64/28]");
        assertEquals("connections.site-c.local-outer", e.field());
        assertTrue(e.getMessage().contains("no uplink address lies in local-outer"), e.getMessage());
    }

    /** The data path sends to and probes only the single addresses of a manual connection's remote pool. */
    @Test
    void manualRemotePoolWithoutASingleAddressIsRefused() throws Exception {
        String pool = "remote-outer: [198.51.100.17/32, 203.0.113.17/32]";
        ConfigException e = refused(pool, "remote-outer: [198.51.100.16/28, 203.0.113.16/28]", "connections.site-b.remote-outer",
                "holds no single address (/32 or /128), so the data path has no peer address to send to or probe: list "
                        + "the peer's uplink addresses as /32 (/128) entries");
        assertEquals(21, e.line());
        // A /32 inside a listed range merges into it: still no single address.
        refused(pool, "remote-outer: [198.51.100.16/28, 198.51.100.17/32]", "connections.site-b.remote-outer", "no single address");
        // Beside a range, single addresses are what it takes.
        assertEquals(AddressPool.parse("198.51.100.17/32", "203.0.113.17/32", "198.51.100.24/29"),
                accepted(pool, "remote-outer: [198.51.100.17/32, 203.0.113.17/32, 198.51.100.24/29]").remoteOuter());
        // An IKE connection is held to it only when it initiates (IkeConfigTest.initiatingConnectionNeedsSingleOuterAddresses).
    }

    @Test
    void remotePoolOfAnotherFamilyThanTheUplinksIsRefused() throws Exception {
        refused("remote-outer: [198.51.100.17/32, 203.0.113.17/32]", "remote-outer: [2001:db8::17/128]",
                "connections.site-b.remote-outer", "has the address family of an uplink address in local-outer");
    }

    /** No packet has an IPv4 source and an IPv6 destination: such a policy would load and never carry anything. */
    @Test
    void protectedPoolsWithNoFamilyInCommonAreRefusedAtRemoteProtected() throws Exception {
        ConfigException e = refused("remote-protected: [192.0.2.128/25]", "remote-protected: [2001:db8:2::/64]",
                "connections.site-b.remote-protected", "have no address family in common");
        assertEquals(23, e.line(), e.getMessage());
        assertEquals(2, accepted("remote-protected: [192.0.2.128/25]",
                "remote-protected: [2001:db8:2::/64, 192.0.2.128/25]").remoteProtected().prefixes().size());
    }

    /** Capture, decoding and the host's drop rule know UDP-encapsulated ESP on 4500 only; a NAT may map the peer's port. */
    @Test
    void natTraversalLocalPortOtherThan4500IsRefusedRemotePortIsNot() throws Exception {
        ConfigException e = refused("    replay-window: 128\n", "    replay-window: 128\n    udp-encapsulation: {local-port: 4501}\n",
                "connections.site-b.udp-encapsulation.local-port", "local port 4501 is not supported");
        assertEquals(26, e.line());
        assertTrue(e.getMessage().endsWith("leave local-port at 4500"), e.getMessage());
        assertEquals(new net.poolsa.esp.sa.UdpEncapsulation(4500, 31337), accepted("    replay-window: 128\n",
                "    replay-window: 128\n    udp-encapsulation: {local-port: 4500, remote-port: 31337}\n").udpEncapsulation());
    }

    @Test
    void byteLifetimeBelowTheMtuIsRefused() throws Exception {
        refused("lifetime: {rekey-time: 3300, life-time: 3600}", "lifetime: {life-bytes: 1000}",
                "connections.site-b.lifetime.life-bytes", "a hard byte lifetime of 1000 is below the data path's MTU (1500)");
        assertEquals(1500, accepted("lifetime: {rekey-time: 3300, life-time: 3600}", "lifetime: {life-bytes: 1500}")
                .lifetime().hardBytes());
    }
}

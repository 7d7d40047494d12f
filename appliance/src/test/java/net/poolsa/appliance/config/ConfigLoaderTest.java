package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConnectionConfig.Psk;
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
        assertEquals(AddressPool.parse("198.51.100.16/28", "203.0.113.16/28"), b.remoteOuter());
        assertEquals(0x1001, b.manual().spiIn());
        assertEquals("aes-gcm-16", b.manual().encryption());
        assertEquals("none", b.manual().integrity());
        assertEquals(20, b.manual().encryptionKeyIn().length());
        assertNull(b.manual().integrityKeyIn());
        assertEquals(3600, b.lifetime().hardSeconds());
        assertEquals(128, b.replayWindow());
        ConnectionConfig cc = c.connections().get("site-c");
        assertTrue(cc.authentication() instanceof Psk);
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
        ConfigFixture.secret(dir, "secrets/site-b.enc-in", "0x" + "ff".repeat(20));
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
        ConfigException e = refused("remote-outer: [198.51.100.16/28, 203.0.113.16/28]",
                "remote-outer: [198.51.100.16/28, 203.0.113.17/28]");
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
        ConfigFixture.secret(dir, "secrets/site-b.enc-in", "0x00112233445566778899aabbccddeeff");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
        assertTrue(e.getMessage().contains("16 bytes; aes-gcm-16 needs [20, 28, 36] bytes"), e.getMessage());
        assertTrue(!e.getMessage().contains("00112233"));
    }

    @Test
    void aeadWithIntegrityIsRefused() throws Exception {
        ConfigException e = refused("      encryption: aes-gcm-16\n",
                "      encryption: aes-gcm-16\n      integrity: hmac-sha2-256-128\n");
        assertEquals("connections.site-b.manual.integrity", e.field());
    }

    @Test
    void unknownAlgorithmListsTheKnownOnes() throws Exception {
        ConfigException e = refused("encryption: aes-gcm-16", "encryption: aes-gcm-8");
        assertTrue(e.getMessage().contains("'aes-gcm-8' is not one of aes-gcm-16, chacha20-poly1305"), e.getMessage());
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
        ConfigException e = refused("local-outer: [198.51.100.0/28]", "local-outer: [198.51.100.64/28]");
        assertEquals("connections.site-c", e.field());
        assertTrue(e.getMessage().contains("no uplink address lies in local-outer"), e.getMessage());
    }
}

package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.ike.StartAction;

/**
 * The IKE-only fields of a connection (fixture connection site-c): proposals are checked by the engine's own parser
 * at their line, start-action and ike-lifetime are read with their defaults, and what the engine cannot do yet
 * (certificates, DPD) or what IKE decides itself (NAT-T ports) is refused instead of silently ignored.
 */
class IkeConfigTest {
    @TempDir
    Path dir;

    private ConfigException refused(String from, String to) throws Exception {
        ConfigFixture.write(dir);
        assertTrue(ConfigFixture.YAML.contains(from), from);
        Path cfg = ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace(from, to));
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
    }

    private ConnectionConfig siteC(String from, String to) throws Exception {
        ConfigFixture.write(dir);
        assertTrue(ConfigFixture.YAML.contains(from), from);
        return ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace(from, to))).connections().get("site-c");
    }

    @Test
    void startActionDefaultsToTrapAndLifetimeToTheEngines() throws Exception {
        ConnectionConfig c = siteC("    start-action: start\n    ike-lifetime: 3600\n", "");
        assertEquals(StartAction.TRAP, c.startAction());
        assertEquals(0, c.ikeLifetimeSeconds());
        assertEquals(StartAction.NONE, siteC("start-action: start", "start-action: NONE").startAction());
    }

    @Test
    void startActionAndLifetimeOutsideTheirSetsAreRefusedAtTheirLine() throws Exception {
        ConfigException e = refused("start-action: start", "start-action: route");
        assertEquals("connections.site-c.start-action", e.field());
        assertEquals(42, e.line());
        assertTrue(e.getMessage().endsWith("'route' is not one of start, trap, none"), e.getMessage());
        e = refused("ike-lifetime: 3600", "ike-lifetime: 30");
        assertEquals("connections.site-c.ike-lifetime", e.field());
        assertTrue(e.getMessage().endsWith("30 is not within 60-86400"), e.getMessage());
    }

    @Test
    void ikeProposalTheEngineCannotNegotiateIsRefusedNamingTheWord() throws Exception {
        ConfigException e = refused("ike-proposals: [aes128-sha256-modp2048]",
                "ike-proposals: [aes128-sha256-modp2048, aes128-md5-modp2048]");
        assertEquals("connections.site-c.ike-proposals[1]", e.field());
        assertEquals(40, e.line());
        assertTrue(e.getMessage().contains("proposal 'aes128-md5-modp2048': "), e.getMessage());
        assertTrue(e.getMessage().contains("md5"), e.getMessage());
    }

    @Test
    void espProposalTheEngineCannotNegotiateIsRefusedNamingTheWord() throws Exception {
        ConfigException e = refused("esp-proposals: [aes128gcm16-modp2048]", "esp-proposals: [aes128gcm16-modp1536x]");
        assertEquals("connections.site-c.esp-proposals[0]", e.field());
        assertEquals(41, e.line());
        assertTrue(e.getMessage().contains("modp1536x"), e.getMessage());
    }

    @Test
    void ikeConnectionNeedsBothProposalLists() throws Exception {
        ConfigException e = refused("    ike-proposals: [aes128-sha256-modp2048]\n", "");
        assertEquals("connections.site-c.ike-proposals", e.field());
        assertTrue(e.getMessage().endsWith("required for an IKE-keyed connection (for example [aes128-sha256-modp2048])"),
                e.getMessage());
        e = refused("esp-proposals: [aes128gcm16-modp2048]", "esp-proposals: []");
        assertEquals("connections.site-c.esp-proposals", e.field());
        assertTrue(e.getMessage().endsWith("at least one proposal is needed"), e.getMessage());
    }

    @Test
    void ikeFieldsOnAManualConnectionAreRefused() throws Exception {
        ConfigException e = refused("    replay-window: 128\n", "    replay-window: 128\n    start-action: start\n");
        assertEquals("connections.site-b.start-action", e.field());
        assertTrue(e.getMessage().endsWith("applies to IKE-keyed connections only (this one has manual SAs); remove it"),
                e.getMessage());
        e = refused("    replay-window: 128\n", "    replay-window: 128\n    esp-proposals: [aes128gcm16]\n");
        assertEquals("connections.site-b.esp-proposals", e.field());
    }

    @Test
    void dpdAndNatTPortsOnAnIkeConnectionAreRefused() throws Exception {
        ConfigException e = refused("    start-action: start\n", "    start-action: start\n    dpd: {delay: 30}\n");
        assertEquals("connections.site-c.dpd", e.field());
        assertTrue(e.getMessage().contains("dead peer detection (RFC 3706) is not implemented yet"), e.getMessage());
        // delay 0 is "off": nothing is promised, nothing refused.
        assertEquals(0, siteC("    start-action: start\n", "    start-action: start\n    dpd: {delay: 0}\n").dpd().delaySeconds());

        e = refused("    start-action: start\n", "    start-action: start\n    udp-encapsulation: {remote-port: 4501}\n");
        assertEquals("connections.site-c.udp-encapsulation", e.field());
        assertTrue(e.getMessage().contains("with IKE the UDP ports come from NAT traversal"), e.getMessage());
        ConnectionConfig forced = siteC("    start-action: start\n", "    start-action: start\n    udp-encapsulation: {}\n");
        assertEquals(4500, forced.udpEncapsulation().remotePort());
    }
}

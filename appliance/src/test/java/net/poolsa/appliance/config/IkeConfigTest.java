package net.poolsa.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConnectionConfig.DpdAction;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Lifetime;
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

    /**
     * RFC 2407 §4.5: a Quick Mode offer without an SA Life Duration in seconds means 28800 s to the peer, so a child SA
     * of an IKE connection without a time limit gets that, with a rekey at 9/10 (as ike-rekey-time); before, it had no
     * limit at all (Lifetime.UNLIMITED), and the peer expired the SA after 8 hours while we kept sending on it.
     */
    @Test
    void childSasOfAnIkeConnectionWithoutALifetimeGetTheRfcDefault() throws Exception {
        String start = "    start-action: start\n";
        ConnectionConfig c = siteC(start, start);
        assertEquals(new Lifetime(25920, 28800, 0, 0, 0, 0), c.lifetime(), "site-c has no lifetime:");
        assertEquals(c.lifetime(), net.poolsa.appliance.ike.IkeConnections.of(c, 7).childLifetime(),
                "handed to the engine");
        assertEquals(new Lifetime(25920, 28800, 900_000, 1_000_000, 0, 0),
                siteC(start, start + "    lifetime: {rekey-bytes: 900000, life-bytes: 1000000}\n").lifetime(),
                "a byte limit gives no time limit; it stays");
        assertEquals(Lifetime.ofSeconds(3000, 28800),
                siteC(start, start + "    lifetime: {rekey-time: 3000}\n").lifetime(), "a rekey time below it stays");
        assertEquals(Lifetime.ofSeconds(3240, 3600), siteC(start, start + "    lifetime: {life-time: 3600}\n").lifetime(),
                "a configured hard time is kept, with a rekey at 9/10 (see below)");
        ConfigException e = refused(start, start + "    lifetime: {rekey-time: 28800}\n");
        assertEquals("connections.site-c.lifetime", e.field());
        assertTrue(e.getMessage().endsWith("rekey time 28800 s without a life time: child SAs live 28800 s then "
                + "(RFC 2407 §4.5's default), give a life time above the rekey time"), e.getMessage());
        ConfigFixture.write(dir);
        ConnectionConfig manual = ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace(
                "    lifetime: {rekey-time: 3300, life-time: 3600}\n", ""))).connections().get("site-b");
        assertEquals(Lifetime.UNLIMITED, manual.lifetime(), "manual SAs cannot be rekeyed: no default");
    }

    /**
     * A child SA of an IKE connection with {@code life-time} (or {@code life-bytes}, {@code life-packets}) but no
     * {@code rekey-*} had no soft limit: it expired hard with traffic on it, and the tunnel was down until the expiry
     * renegotiated it. Now its rekey comes at 9/10 (rounded up), jittered as any rekey time, as for the 28800 s
     * default; {@code rekey-time: 0} keeps no rekey; manual SAs are unchanged. Fails on the old code (soft 0).
     */
    @Test
    void lifeTimeWithoutRekeyTimeGetsARekeyAtNineTenths() throws Exception {
        String start = "    start-action: start\n";
        ConnectionConfig c = siteC(start, start + "    lifetime: {life-time: 3600}\n");
        assertEquals(Lifetime.ofSeconds(3240, 3600), c.lifetime());
        assertEquals(c.lifetime(), net.poolsa.appliance.ike.IkeConnections.of(c, 7).childLifetime(),
                "handed to the engine, which plans the rekey (and status its 'rekey in') from the soft time");
        assertEquals(Lifetime.ofSeconds(18, 20), siteC(start, start + "    lifetime: {life-time: 20}\n").lifetime(),
                "rounded up");
        assertEquals(new Lifetime(25920, 28800, 900_000, 1_000_000, 90, 100),
                siteC(start, start + "    lifetime: {life-bytes: 1000000, life-packets: 100}\n").lifetime(),
                "bytes and packets alike");
        assertEquals(new Lifetime(3000, 3600, 500_000, 1_000_000, 0, 0), siteC(start, start
                        + "    lifetime: {rekey-time: 3000, life-time: 3600, rekey-bytes: 500000, life-bytes: 1000000}\n")
                .lifetime(), "a configured rekey limit stays");
        assertEquals(Lifetime.ofSeconds(0, 3600),
                siteC(start, start + "    lifetime: {rekey-time: 0, life-time: 3600}\n").lifetime(),
                "rekey-time: 0 asks for no rekey");
        ConfigFixture.write(dir);
        ConnectionConfig manual = ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace(
                "    lifetime: {rekey-time: 3300, life-time: 3600}\n", "    lifetime: {life-time: 3600}\n")))
                .connections().get("site-b");
        assertEquals(Lifetime.ofSeconds(0, 3600), manual.lifetime(), "manual SAs cannot be rekeyed: unchanged");
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
    void aPhaseOneLifetimeInKilobytesReachesTheEngineAndOutOfBoundsIsRefusedAtItsLine() throws Exception {
        String line = "    ike-lifetime: 3600\n";
        assertEquals(4608, siteC(line, line + "    ike-lifetime-kilobytes: 4608\n").rekey().ikeLifetimeKilobytes());
        assertEquals(0, siteC(line, line).rekey().ikeLifetimeKilobytes(), "none unless configured");
        ConfigException e = refused(line, line + "    ike-lifetime-kilobytes: 4\n");
        assertEquals("connections.site-c.ike-lifetime-kilobytes", e.field());
        assertEquals(44, e.line());
        assertTrue(e.getMessage().endsWith("4 is not within 8-4294967295"), e.getMessage());
        e = refused("    replay-window: 128\n", "    replay-window: 128\n    ike-lifetime-kilobytes: 4608\n");
        assertEquals("connections.site-b.ike-lifetime-kilobytes", e.field());
        assertTrue(e.getMessage().endsWith("applies to IKE-keyed connections only (this one has manual SAs); remove it"),
                e.getMessage());
    }

    @Test
    void ikeFieldsOnAManualConnectionAreRefused() throws Exception {
        ConfigException e = refused("    replay-window: 128\n", "    replay-window: 128\n    start-action: start\n");
        assertEquals("connections.site-b.start-action", e.field());
        assertTrue(e.getMessage().endsWith("applies to IKE-keyed connections only (this one has manual SAs); remove it"),
                e.getMessage());
        e = refused("    replay-window: 128\n", "    replay-window: 128\n    esp-proposals: [aes128gcm16]\n");
        assertEquals("connections.site-b.esp-proposals", e.field());
        // DPD is IKE's (RFC 3706): a manual SA pair has nobody to ask, so the field would do nothing there
        e = refused("    replay-window: 128\n", "    replay-window: 128\n    dpd: {delay: 1s}\n");
        assertEquals("connections.site-b.dpd", e.field());
    }

    @Test
    void dpdIsOnByDefaultWithTheFailoverTimersAndTakesDurations() throws Exception {
        ConnectionConfig c = siteC("    start-action: start\n", "    start-action: start\n");
        assertEquals(new DpdConfig(1000, 3000, DpdAction.CLEAR), c.dpd(), "idle-probe-interval, x detect-multiplier");
        c = siteC("    start-action: start\n", "    start-action: start\n    dpd: {delay: 200ms, action: restart}\n");
        assertEquals(new DpdConfig(200, 600, DpdAction.RESTART), c.dpd());
        c = siteC("    start-action: start\n", "    start-action: start\n    dpd: {delay: 30, timeout: 2m}\n");
        assertEquals(new DpdConfig(30_000, 120_000, DpdAction.CLEAR), c.dpd(), "a bare number is seconds, as swanctl's");
        // delay 0 is "off"
        assertEquals(0, siteC("    start-action: start\n", "    start-action: start\n    dpd: {delay: 0}\n").dpd().delayMillis());
        // the failover block's timers are the defaults
        c = siteC("  sink:\n", "  failover: {idle-probe-interval: 2s, detect-multiplier: 5}\n  sink:\n");
        assertEquals(new DpdConfig(2000, 10_000, DpdAction.CLEAR), c.dpd());
        // a manually keyed connection has none
        assertEquals(DpdConfig.OFF, ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML)).connections()
                .get("site-b").dpd());
    }

    @Test
    void dpdTimersOutOfRangeOrContradictingAreRefusedAtTheirLine() throws Exception {
        ConfigException e = refused("    start-action: start\n", "    start-action: start\n    dpd:\n      delay: 5ms\n");
        assertEquals("connections.site-c.dpd.delay", e.field());
        assertEquals(44, e.line());
        assertTrue(e.getMessage().endsWith("delay 5 ms is below the minimum of 10 ms (0 turns DPD off)"), e.getMessage());
        e = refused("    start-action: start\n", "    start-action: start\n    dpd:\n      delay: 2s\n      timeout: 1s\n");
        assertEquals("connections.site-c.dpd.timeout", e.field());
        assertEquals(45, e.line());
        assertTrue(e.getMessage().endsWith("timeout 1000 ms is shorter than the delay 2000 ms"), e.getMessage());
        e = refused("    start-action: start\n", "    start-action: start\n    dpd: {delay: 1s, action: trap}\n");
        assertEquals("connections.site-c.dpd.action", e.field());
        assertTrue(e.getMessage().contains("trap is not a DPD action of IKE connections"), e.getMessage());
        e = refused("    start-action: start\n", "    start-action: start\n    dpd: {delay: 1h}\n");
        assertEquals("connections.site-c.dpd.delay", e.field());
        assertTrue(e.getMessage().endsWith("'1h' is not a duration like 40ms, 5s or 2m"), e.getMessage());
    }

    private IkeSettings ike(String block) throws Exception {
        ConfigFixture.write(dir);
        return ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("data-path:\n",
                block + "data-path:\n"))).ike();
    }

    /** {@code ike.nat-keepalive} (RFC 3948 §2.3): one interval for the daemon, strongSwan's 20 s by default, 0 off. */
    @Test
    void natKeepaliveIsTwentySecondsByDefaultTakesDurationsAndZeroTurnsItOff() throws Exception {
        ConfigFixture.write(dir);
        assertEquals(IkeSettings.DEFAULT, ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML)).ike());
        assertEquals(20_000, IkeSettings.DEFAULT.natKeepaliveMillis());
        assertEquals(20_000, ike("ike: {}\n").natKeepaliveMillis());
        assertEquals(new IkeSettings(30_000), ike("ike:\n  nat-keepalive: 30s\n"));
        assertEquals(new IkeSettings(15_000), ike("ike: {nat-keepalive: 15}\n"), "a bare number is seconds, as "
                + "charon.keep_alive");
        assertEquals(new IkeSettings(1500), ike("ike: {nat-keepalive: 1500ms}\n"));
        assertEquals(new IkeSettings(120_000), ike("ike: {nat-keepalive: 2m}\n"));
        assertEquals(new IkeSettings(0), ike("ike: {nat-keepalive: 0}\n"));
    }

    @Test
    void aBadNatKeepaliveIsRefusedNamingFileLineAndField() throws Exception {
        String block = "ike:\n  nat-keepalive: 500ms\n";
        ConfigException e = refused("data-path:\n", block + "data-path:\n");
        assertEquals("ike.nat-keepalive", e.field());
        assertEquals(4, e.line());
        assertTrue(e.getMessage().startsWith(dir.resolve("poolsa.yaml") + ":4: ike.nat-keepalive: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("nat-keepalive 500 ms is below the minimum of 1000 ms (0 sends none)"),
                e.getMessage());
        e = refused("data-path:\n", "ike:\n  nat-keepalive: 2h\ndata-path:\n");
        assertEquals("ike.nat-keepalive", e.field());
        assertTrue(e.getMessage().endsWith("'2h' is not a duration like 40ms, 5s or 2m"), e.getMessage());
        e = refused("data-path:\n", "ike:\n  nat-keepalive: 61m\ndata-path:\n");
        assertTrue(e.getMessage().endsWith("'61m' is longer than an hour"), e.getMessage());
        e = refused("data-path:\n", "ike:\n  nat-keepalive: 3601\ndata-path:\n");
        assertEquals("ike.nat-keepalive", e.field());
        assertTrue(e.getMessage().endsWith("3601 is not within 0-3600"), e.getMessage());
        e = refused("data-path:\n", "ike:\n  nat-keepalive: -5\ndata-path:\n");
        assertEquals("ike.nat-keepalive", e.field());
        e = refused("data-path:\n", "ike:\n  keepalive: 20s\ndata-path:\n");
        assertEquals("ike.keepalive", e.field());
        assertTrue(e.getMessage().endsWith("unknown field (expected one of nat-keepalive)"), e.getMessage());
    }

    @Test
    void natTPortsOnAnIkeConnectionAreRefused() throws Exception {
        ConfigException e;
        e = refused("    start-action: start\n", "    start-action: start\n    udp-encapsulation: {remote-port: 4501}\n");
        assertEquals("connections.site-c.udp-encapsulation", e.field());
        assertTrue(e.getMessage().contains("with IKE the UDP ports come from NAT traversal"), e.getMessage());
        ConnectionConfig forced = siteC("    start-action: start\n", "    start-action: start\n    udp-encapsulation: {}\n");
        assertEquals(4500, forced.udpEncapsulation().remotePort());
    }

    private ConnectionConfig load(String yaml, String connection) throws Exception {
        return ConfigLoader.load(ConfigFixture.writeYaml(dir, yaml)).connections().get(connection);
    }

    /** A short pre-shared key can be guessed offline by whoever answers our Main Mode; text and hex alike. */
    @Test
    void aPreSharedKeyShorterThanSixteenBytesIsRefusedAtItsField() throws Exception {
        ConfigFixture.write(dir);
        ConfigFixture.secret(dir, "secrets/site-c.psk", "abc");
        ConfigException e = refusedYaml(ConfigFixture.YAML);
        assertEquals("connections.site-c.authentication.psk-file", e.field());
        assertEquals(45, e.line());
        assertTrue(e.getMessage().contains("the pre-shared key in " + dir.resolve("secrets/site-c.psk")
                + " is 3 bytes, fewer than 16"), e.getMessage());
        ConfigFixture.secret(dir, "secrets/site-c.psk", "0x" + "ab".repeat(15));
        assertTrue(refusedYaml(ConfigFixture.YAML).getMessage().contains(" is 15 bytes, fewer than 16"));
        ConfigFixture.secret(dir, "secrets/site-c.psk", "0x" + "ab".repeat(16));
        assertEquals(2, ConfigLoader.load(dir.resolve("poolsa.yaml")).connections().size());
        ConfigFixture.secret(dir, "secrets/site-c.psk", "sixteen bytes ok");
        assertEquals(2, ConfigLoader.load(dir.resolve("poolsa.yaml")).connections().size());
    }

    private ConfigException refusedYaml(String yaml) throws Exception {
        Path cfg = ConfigFixture.writeYaml(dir, yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(cfg));
    }

    /**
     * start and trap send Main Mode themselves, from an uplink address inside local-outer to a single address of
     * remote-outer (the engine's Initiations.endpoints: a range names no host): without them check-config says what to
     * fix, instead of a connection whose every initiation fails at run time. none only answers, so ranges do there.
     */
    @Test
    void initiatingConnectionNeedsAnUplinkInLocalOuterAndASinglePeerAddress() throws Exception {
        ConfigFixture.write(dir);
        String remote = "remote-outer: [198.51.100.33/32, 198.51.100.48/28]";
        String local = "local-outer: [198.51.100.1/32]";
        String orNone = "; or set start-action: none to only answer the peer";
        ConfigException e = refused(remote, "remote-outer: [198.51.100.32/28]");
        assertEquals("connections.site-c.remote-outer", e.field());
        assertEquals(37, e.line());
        assertTrue(e.getMessage().endsWith("start-action start sends Main Mode to a single address of remote-outer, but "
                + "[198.51.100.32/28] holds none (a range names no peer): list the peer's IKE address as a /32 (/128) "
                + "entry (ranges beside it are still accepted from the peer)" + orNone), e.getMessage());
        String trap = ConfigFixture.YAML.replace("    start-action: start\n", "");
        e = refusedYaml(trap.replace(remote, "remote-outer: [198.51.100.32/28]"));
        assertTrue(e.getMessage().contains("start-action trap sends Main Mode to"), e.getMessage());

        e = refused(local, "local-outer: [198.51.100.16/28]");
        assertEquals("connections.site-c.local-outer", e.field());
        assertEquals(36, e.line());
        assertTrue(e.getMessage().endsWith("no uplink address lies in local-outer [198.51.100.16/28]: this connection "
                + "could never send or receive (add the address to an uplink, or fix the pool)"), e.getMessage());
        e = refused(local, "local-outer: [198.51.100.2/32]");
        assertEquals("connections.site-c.local-outer", e.field(), "a single address that is no uplink does not count");
        // The uplink subnet is enough: the engine sends from the bound uplink address inside it.
        assertEquals(StartAction.START, load(ConfigFixture.YAML.replace(local, "local-outer: [198.51.100.0/28]"),
                "site-c").startAction());

        e = refused(remote, "remote-outer: [2001:db8::33/128, 198.51.100.48/28]");
        assertEquals("connections.site-c.remote-outer", e.field());
        assertTrue(e.getMessage().contains("no single address of remote-outer [198.51.100.48/28, 2001:db8::33/128] has the "
                + "address family of an uplink address in local-outer"), e.getMessage());

        String answerOnly = ConfigFixture.YAML.replace("start-action: start", "start-action: none")
                .replace(remote, "remote-outer: [198.51.100.32/28]").replace(local, "local-outer: [198.51.100.0/28]");
        assertEquals(StartAction.NONE, load(answerOnly, "site-c").startAction());
    }

    private static final String SITE_D = """
              site-d:
                local-outer: [198.51.100.1/32]
                remote-outer: [198.51.100.33/32]
                local-protected: [192.0.2.64/26, 2001:db8:a:d::/64]
                remote-protected: [2001:db8:d::/48]
                ike-proposals: [aes128-sha256-modp2048]
                esp-proposals: [aes128gcm16-modp2048]
                authentication:
                  psk-file: secrets/site-d.psk
            """;

    /**
     * Two IKE connections to the same peer addresses share its Main Mode, which a pre-shared key ties to the address
     * (RFC 2409 §5.4): the engine answers with the first one's key and ike-proposals, so they must agree.
     */
    @Test
    void connectionsToOnePeerMustShareKeyAndIkeProposals() throws Exception {
        ConfigFixture.write(dir);
        ConfigFixture.secret(dir, "secrets/site-d.psk", "another pre-shared key");
        ConfigException e = refusedYaml(ConfigFixture.YAML + SITE_D);
        assertEquals("connections.site-d.authentication.psk-file", e.field());
        assertEquals(54, e.line());
        assertTrue(e.getMessage().contains("the outer pools overlap those of connection site-c (local-outer "
                + "[198.51.100.1/32], remote-outer [198.51.100.33/32, 198.51.100.48/28]), so both reach the same peer "
                + "addresses, and Main Mode with a pre-shared key is keyed by address (RFC 2409 §5.4)"), e.getMessage());
        assertTrue(e.getMessage().endsWith("give both the same pre-shared key (this file's content differs from "
                + dir.resolve("secrets/site-c.psk") + ")"), e.getMessage());

        ConfigFixture.secret(dir, "secrets/site-d.psk", "correct horse battery staple");
        assertEquals(3, ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML + SITE_D)).connections().size(),
                "the same key in a file of its own loads");
        e = refusedYaml(ConfigFixture.YAML + SITE_D.replace("[aes128-sha256-modp2048]", "[aes256-sha256-modp2048]"));
        assertEquals("connections.site-d.ike-proposals", e.field());
        assertTrue(e.getMessage().endsWith("give both the same ike-proposals (site-c has [aes128-sha256-modp2048])"),
                e.getMessage());

        ConfigFixture.secret(dir, "secrets/site-d.psk", "another pre-shared key");
        String otherPeer = SITE_D.replace("remote-outer: [198.51.100.33/32]", "remote-outer: [198.51.100.65/32]");
        assertEquals(AddressPool.parse("198.51.100.65/32"), load(ConfigFixture.YAML + otherPeer, "site-d").remoteOuter(),
                "another peer may have another key");
    }

    /**
     * ah-proposals make each Quick Mode an AH+ESP bundle (the engine's docs/ikev1-pools.md section 3): the words are
     * checked by the engine's parser at their line, and what the engine refuses to negotiate is refused here: a bundle on
     * an AH connection or UDP-encapsulated (AH covers the outer addresses a NAT rewrites).
     */
    @Test
    void ahBundleProposalsReachTheEngineAndWhatItCannotBundleIsRefused() throws Exception {
        String start = "    start-action: start\n";
        ConnectionConfig c = siteC(start, start + "    ah-proposals: [sha256, SHA1]\n");
        assertEquals(java.util.List.of("sha256", "sha1"), c.ahBundleProposals());
        assertEquals(java.util.List.of("sha256", "sha1"),
                net.poolsa.appliance.ike.IkeConnections.of(c, 7).bundleAhProposals(), "handed to the engine");
        assertEquals(java.util.List.of(), siteC(start, start).ahBundleProposals(), "no bundle unless asked for");

        ConfigException e = refused(start, start + "    ah-proposals: [sha256-modp2048]\n");
        assertEquals("connections.site-c.ah-proposals[0]", e.field());
        assertEquals(43, e.line());
        assertTrue(e.getMessage().contains("proposal 'sha256-modp2048': "), e.getMessage());
        e = refused(start, start + "    ah-proposals: [sha256]\n    udp-encapsulation: {}\n");
        assertEquals("connections.site-c.ah-proposals", e.field());
        assertTrue(e.getMessage().endsWith("an AH+ESP bundle cannot be UDP-encapsulated: AH authenticates the outer "
                + "addresses a NAT rewrites (RFC 3715 §2.1); remove udp-encapsulation or ah-proposals"), e.getMessage());
        e = refused(start, start + "    ah-proposals: [sha256]\n    protocol: ah\n");
        assertEquals("connections.site-c.ah-proposals", e.field());
        assertTrue(e.getMessage().contains("an AH+ESP bundle adds AH to ESP; this connection is ah"), e.getMessage());
        e = refused("    replay-window: 128\n", "    replay-window: 128\n    ah-proposals: [sha256]\n");
        assertEquals("connections.site-b.ah-proposals", e.field(), "IKE only");
    }

    @Test
    void rekeyTimingIsReadWithDefaultsAndRefusedOutsideItsBoundsAtItsLine() throws Exception {
        assertEquals(net.poolsa.ike.Rekey.DEFAULT, siteC("ike-lifetime: 3600", "ike-lifetime: 3600").rekey());
        ConnectionConfig c = siteC("    ike-lifetime: 3600\n",
                "    ike-lifetime: 3600\n    rekey: {jitter-percent: 20, grace: 9, ike-rekey-time: 3000}\n");
        assertEquals(new net.poolsa.ike.Rekey(0.2, 9, 3000), c.rekey());
        assertEquals(c.rekey(), net.poolsa.appliance.ike.IkeConnections.of(c, 5).rekey(), "handed to the engine");
        ConfigException e = refused("    ike-lifetime: 3600\n", "    ike-lifetime: 3600\n    rekey: {jitter-percent: 60}\n");
        assertEquals("connections.site-c.rekey.jitter-percent", e.field());
        assertTrue(e.getMessage().endsWith("60 is not within 0-50"), e.getMessage());
        e = refused("    ike-lifetime: 3600\n", "    ike-lifetime: 3600\n    rekey:\n      ike-rekey-time: 3600\n");
        assertEquals("connections.site-c.rekey.ike-rekey-time", e.field());
        assertEquals(45, e.line());
        assertTrue(e.getMessage().endsWith("the phase-1 rekey time 3600 s must be below the phase-1 lifetime "
                + "(ike-lifetime) of 3600 s"), e.getMessage());
        e = refused("    ike-lifetime: 3600\n", "    ike-lifetime: 3600\n    rekey: {grace: 0}\n");
        assertEquals("connections.site-c.rekey.grace", e.field());
        e = refused("    replay-window: 128\n", "    replay-window: 128\n    rekey: {grace: 3}\n");
        assertEquals("connections.site-b.rekey", e.field(), "IKE-only: refused on manual SAs");
    }
}

package net.poolsa.appliance.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.ike.RecordingIkeDaemon;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.ike.ChildSaSnapshot;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.IkeSaSnapshot;
import net.poolsa.ike.StartAction;

/**
 * The appliance's IKE wiring against a recording daemon (no sockets): the fixture's IKE connection site-c reaches
 * the daemon on start with its reqid and pre-shared key, the daemon binds only the uplink address inside site-c's
 * local outer pool, acquires reach it, a reload re-configures it, HTTP /status shows its SAs, and close() closes it
 * while the kernel still holds the SAs (so Deletes can name them) before the flush.
 */
class ApplianceIkeTest {
    @TempDir
    Path dir;

    @Test
    void ikeConnectionReachesTheDaemonOnStartAcquireReloadAndClose() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        RecordingIkeDaemon ike = new RecordingIkeDaemon();
        Appliance a = Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, null, ike);
        try {
            assertEquals(List.of(List.of(InetAddress.getByName("198.51.100.1"))), ike.starts,
                    "bound on the uplink address in local-outer 198.51.100.1/32 only, not on 203.0.113.1");
            assertEquals(1, ike.configures.size());
            IkeConnection c = single(ike.configures.get(0));
            int reqid = a.connections().reqid("site-c");
            assertEquals("site-c", c.name());
            assertEquals(reqid, c.reqid());
            assertEquals(SaMode.TUNNEL, c.mode());
            assertEquals(AddressPool.parse("198.51.100.33/32", "198.51.100.48/28"), c.remoteOuter());
            assertEquals(AddressPool.parse("2001:db8:c::/48"), c.remoteProtected());
            assertEquals(List.of("aes128-sha256-modp2048"), c.ikeProposals());
            assertEquals(List.of("aes128gcm16-modp2048"), c.espProposals());
            assertEquals(StartAction.START, c.startAction());
            assertEquals(3600, c.ikeLifetimeSeconds());
            assertArrayEquals("correct horse battery staple".getBytes(StandardCharsets.US_ASCII), c.psk());
            // The engine got its own copy; the configuration's was wiped once it had.
            ConnectionConfig.Psk configured = (ConnectionConfig.Psk) a.connections().connections().get("site-c").authentication();
            assertTrue(configured.key().isDestroyed(), "the configuration's pre-shared key is wiped");

            // The data plane's acquire for site-c's reqid goes to the daemon.
            SecurityPolicy trap = SecurityPolicy.protect("site-c/trap", TrafficSelector.between(
                    AddressPool.parse("192.0.2.0/26"), AddressPool.parse("2001:db8:c::/48")), reqid);
            a.kernel().addPolicy(trap);
            InstalledPolicy hit = a.kernel().spd().get("site-c/trap");
            assertNotNull(hit);
            a.kernel().reportAcquire(hit, System.nanoTime());
            assertEquals(1, ike.acquires.size());
            assertSame(hit, ike.acquires.get(0));

            // /status lists the daemon's IKE SA above its child SA.
            ike.sas = List.of(new IkeSaSnapshot("site-c", new InetSocketAddress("198.51.100.1", 4500),
                    new InetSocketAddress("198.51.100.33", 4500), "0011223344556677", "8899aabbccddeeff", "initiator",
                    "ESTABLISHED", "AES_CBC-128/HMAC_SHA2_256/MODP_2048", 12, true,
                    List.of(new ChildSaSnapshot(0xc0000001, 0xc0000002, "ESP:AES_GCM_16-128", "192.0.2.0/26",
                            "2001:db8:c::/48", "198.51.100.1", "198.51.100.33", 10))));
            String status = get(a.server().address().getPort(), "/status");
            assertTrue(status.contains("  site-c: ESTABLISHED, IKEv1, initiator, 0011223344556677_i 8899aabbccddeeff_r\n"
                    + "    local 198.51.100.1[4500], remote 198.51.100.33[4500], NAT-T\n"), status);
            assertTrue(status.contains("      in  c0000001,          0 bytes,        0 packets, outer - -> -\n"), status);

            // A changed IKE connection is handed over again with the same reqid (the engine renegotiates it).
            ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("start-action: start", "start-action: trap"));
            assertNotNull(a.reload());
            assertEquals(2, ike.configures.size());
            assertEquals(StartAction.TRAP, single(ike.configures.get(1)).startAction());
            assertEquals(reqid, single(ike.configures.get(1)).reqid());
            assertEquals(1, ike.starts.size(), "the daemon is started once");
            assertEquals(List.of(20_000L, 20_000L), ike.natKeepalives, "the default NAT-keepalive, on start and reload");

            // ike.nat-keepalive applies at a reload, to the running daemon (its established IKE SAs included)
            ConfigFixture.writeYaml(dir, "ike:\n  nat-keepalive: 0\n" + ConfigFixture.YAML);
            assertNotNull(a.reload());
            assertEquals(List.of(20_000L, 20_000L, 0L), ike.natKeepalives);
            assertEquals(1, ike.starts.size());
        } finally {
            int manualSas = a.kernel().listSas().size();
            a.close();
            assertEquals(1, ike.closes);
            assertEquals(manualSas, ike.sasAtClose, "closed before the SAs were removed and the kernel flushed");
            assertTrue(a.kernel().listSas().isEmpty());
            a.close();
            assertEquals(1, ike.closes, "close is idempotent");
        }
    }

    @Test
    void daemonStartsOnTheFirstReloadThatBringsAnIkeConnection() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        RecordingIkeDaemon ike = new RecordingIkeDaemon();
        try (Appliance a = Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, null, ike)) {
            assertEquals(0, ike.starts.size(), "no IKE connection, no IKE sockets");
            ConfigFixture.writeYaml(dir, ConfigFixture.YAML);
            assertNotNull(a.reload());
            assertEquals(1, ike.starts.size());
            assertEquals("site-c", single(ike.configures.get(0)).name());
        }
        assertEquals(1, ike.closes);
    }

    @Test
    void portsThatCannotBeBoundAreAStartupFailureThatUndoesEverything() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        RecordingIkeDaemon ike = new RecordingIkeDaemon();
        ike.failStart = new IOException("bind(198.51.100.1:500): Address already in use");
        RecordingDataPathProvider dp = new RecordingDataPathProvider();
        Appliance.StartupException e = assertThrows(Appliance.StartupException.class,
                () -> Appliance.start(ConfigLoader.load(cfg), dp, "test", null, null, ike));
        assertEquals("IKE: cannot open UDP ports 500/4500: bind(198.51.100.1:500): Address already in use (another IKE "
                + "daemon, such as strongSwan's charon, or another poolsa holds them on that address: stop it, or take the "
                + "address out of the IKE connections' local-outer)", e.getMessage());
        assertTrue(dp.stopped, "the data path that had started was stopped again");
        assertTrue(dp.context.kernel().listSas().isEmpty(), "no SA left installed");

        // The other errors an operator meets say what to do too.
        ike.failStart = new IOException("bind(198.51.100.1:500) failed: Permission denied");
        e = assertThrows(Appliance.StartupException.class,
                () -> Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, null, ike));
        assertTrue(e.getMessage().endsWith("Permission denied (ports below 1024 need CAP_NET_BIND_SERVICE: run as root, "
                + "or under the packaged unit, which grants it)"), e.getMessage());
        ike.failStart = new IOException("bind(198.51.100.1:500) failed: Cannot assign requested address");
        e = assertThrows(Appliance.StartupException.class,
                () -> Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, null, ike));
        assertTrue(e.getMessage().endsWith("(the address is on no interface of this host: bring the uplink up, or fix "
                + "data-path.uplinks)"), e.getMessage());
        // the message IkeTransport gives when SO_MARK is refused
        ike.failStart = new IOException("cannot mark the IKE socket 198.51.100.1:500 with 0x5053 (SO_MARK): CAP_NET_ADMIN is missing");
        e = assertThrows(Appliance.StartupException.class,
                () -> Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, null, ike));
        assertTrue(e.getMessage().endsWith("CAP_NET_ADMIN is missing (the IKE sockets carry the data plane's mark 0x5053 so "
                + "that the divert routes them normally: run as root, or under the packaged unit, which grants CAP_NET_ADMIN)"),
                e.getMessage());
    }

    /**
     * The stop line says keys=zeroed only when the IKE daemon's shutdown wiped its keys too: the engine gives up on its
     * shutdown after 3 s on a busy loop, and the line used to check only the configuration and the kernel's SAs, so it
     * said keys=zeroed with the engine's pre-shared key copies and IKE SA keys still in memory. Fails on the old code.
     */
    @Test
    void theStopLineNamesAnIkeDaemonThatDidNotWipeItsKeys() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Appliance.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            for (boolean wipes : new boolean[] {true, false}) {
                log.list.clear();
                Path cfg = ConfigFixture.write(dir);
                RecordingIkeDaemon ike = new RecordingIkeDaemon();
                ike.wipes = wipes;
                Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, null, ike).close();
                assertEquals(1, ike.closes);
                List<String> stopped = log.list.stream().map(e -> e.getFormattedMessage())
                        .filter(m -> m.startsWith("event=stopped")).toList();
                assertEquals(List.of(wipes ? "event=stopped keys=zeroed" : "event=stopped keys=not_zeroed left=\"IKE "
                        + "engine (its shutdown did not complete: pre-shared key copies, IKE SA keys)\""), stopped);
            }
        } finally {
            logger.detachAppender(log);
        }
    }

    /** The per-connection series of an IKE connection read the SAs the engine installed under its reqid. */
    @Test
    void tunnelMetersOfAnIkeConnectionFollowItsSasInTheKernel() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        RecordingIkeDaemon ike = new RecordingIkeDaemon();
        try (Appliance a = Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, null, ike)) {
            assertTrue(a.metrics().scrape().contains("poolsa_tunnel_up{connection=\"site-c\",} 0.0"), a.metrics().scrape());
            int reqid = a.connections().reqid("site-c");
            for (Direction d : Direction.values()) {
                SecurityAssociation sa = SecurityAssociation.builder().spi(d == Direction.INBOUND ? 0xc0000001 : 0xc0000002)
                        .direction(d).reqid(reqid).localOuter(AddressPool.parse("198.51.100.1/32"))
                        .remoteOuter(AddressPool.parse("198.51.100.33/32"))
                        .selector(TrafficSelector.between(AddressPool.parse("192.0.2.0/26"), AddressPool.parse("2001:db8:c::/48")))
                        .keys(new SaKeys("aes-gcm-16", new byte[20], "none", null)).build();
                a.kernel().addSa(sa);
                sa.account(1000);
            }
            String scrape = a.metrics().scrape();
            assertTrue(scrape.contains("poolsa_tunnel_up{connection=\"site-c\",} 1.0"), scrape);
            assertTrue(scrape.contains("poolsa_packets_total{connection=\"site-c\",direction=\"in\",} 1.0"), scrape);
            assertTrue(scrape.contains("poolsa_bytes_total{connection=\"site-c\",direction=\"out\",} 1000.0"), scrape);
        }
    }

    /**
     * The data plane's soft and hard expiries of an IKE connection's child SAs reach the IKE daemon (which rekeys at
     * the soft one and takes the pair down at the hard one, {@code RekeyTest}); a manual connection's do not.
     */
    @Test
    void softAndHardExpiriesOfIkeChildSasReachTheDaemon() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        RecordingIkeDaemon ike = new RecordingIkeDaemon();
        try (Appliance a = Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, null, ike)) {
            int reqid = a.connections().reqid("site-c");
            for (Direction d : Direction.values()) {
                a.kernel().addSa(SecurityAssociation.builder().spi(d == Direction.INBOUND ? 0xc0000001 : 0xc0000002)
                        .direction(d).reqid(reqid).localOuter(AddressPool.parse("198.51.100.1/32"))
                        .remoteOuter(AddressPool.parse("198.51.100.33/32"))
                        .selector(TrafficSelector.between(AddressPool.parse("192.0.2.0/26"), AddressPool.parse("2001:db8:c::/48")))
                        .keys(new SaKeys("aes-gcm-16", new byte[20], "none", null))
                        .lifetime(new net.poolsa.esp.sa.Lifetime(5, 10, 0, 0, 0, 0)).createdNanos(0).build());
            }
            a.kernel().expireTick(6_000_000_000L);
            assertEquals(List.of("c0000001 soft", "c0000002 soft"), ike.expiries.stream().sorted().toList());
            a.kernel().expireTick(11_000_000_000L);
            assertEquals(List.of("c0000001 hard", "c0000001 soft", "c0000002 hard", "c0000002 soft"),
                    ike.expiries.stream().sorted().toList());
            // site-b's (manual) SAs expiring do not reach IKE.
            a.kernel().expireTick(Long.MAX_VALUE / 2);
            assertEquals(4, ike.expiries.size(), ike.expiries.toString());
            assertEquals(List.of(), ike.commands.stream().filter(c -> c.startsWith("terminate")).toList(),
                    "the engine handles expiries; the appliance terminates nothing");
        }
    }

    private static IkeConnection single(List<IkeConnection> l) {
        assertEquals(1, l.size(), l.toString());
        return l.get(0);
    }

    private static String get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }
}

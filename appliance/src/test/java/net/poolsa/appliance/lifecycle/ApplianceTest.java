package net.poolsa.appliance.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.keying.ConnectionDiff;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.config.Secret;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.transform.SaTransformContext;
import net.poolsa.esp.sa.SecurityAssociation;

class ApplianceTest {
    @TempDir
    Path dir;

    private static int get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void startReloadAndOrderlyShutdown() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        RecordingDataPathProvider dp = new RecordingDataPathProvider();
        Appliance a = Appliance.start(ConfigLoader.load(cfg), dp, "test");
        int port = a.server().address().getPort();
        try {
            assertNotNull(dp.context);
            assertSame(a.kernel(), dp.context.kernel());
            assertEquals(200, get(port, "/health"));
            assertEquals(4, a.kernel().listSas().size());
            InstalledConnection b = a.connections().installed("site-b");

            // A refused file changes nothing.
            ConfigFixture.writeYaml(dir, ConfigFixture.TWO_MANUAL.replace("encryption: aes-cbc", "encryption: aes-cbc-99"));
            assertNull(a.reload());
            assertSame(b, a.connections().installed("site-b"));

            ConfigFixture.writeYaml(dir, ConfigFixture.TWO_MANUAL.replace("replay-window: 128", "replay-window: 256"));
            ConnectionDiff d = a.reload();
            assertEquals(List.of("site-b"), d.changed());
            assertNotSame(b, a.connections().installed("site-b"));
            assertEquals(256, a.connections().installed("site-b").inbound().replayWindow());
            assertTrue(a.metrics().scrape().contains("poolsa_config_reloads_total{result=\"failure\",} 1.0"));
        } finally {
            List<SecurityAssociation> sas = a.kernel().listSas();
            a.close();
            assertTrue(dp.stopped, "diversion removed through the data-path seam");
            assertTrue(a.kernel().listSas().isEmpty());
            for (SecurityAssociation sa : sas) {
                assertTrue(sa.keys().isDestroyed(), "key material zeroed: " + sa);
            }
            assertThrows(IOException.class, () -> get(port, "/health"));
            a.close();
        }
    }

    @Test
    void busyMetricsPortIsAStartupFailureThatLeavesNothingBehind() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path cfg = ConfigFixture.writeYaml(dir, "");
            ConfigFixture.writeTwoManual(dir);
            ConfigFixture.writeYaml(dir, ConfigFixture.TWO_MANUAL.replace("127.0.0.1:0", "127.0.0.1:" + taken.getLocalPort()));
            RecordingDataPathProvider dp = new RecordingDataPathProvider();
            Appliance.StartupException e = assertThrows(Appliance.StartupException.class,
                    () -> Appliance.start(ConfigLoader.load(cfg), dp, "test"));
            assertTrue(e.getMessage().contains("cannot listen on"), e.getMessage());
            assertNull(dp.context, "data path never started");
        }
    }

    /** site-c (AES-CBC + HMAC-SHA-256, manual) with a lifetime added: a changed connection, the same key files. */
    private static final String SITE_C_NEW_LIFETIME = ConfigFixture.TWO_MANUAL.replace("    reqid: 7\n",
            "    reqid: 7\n    lifetime: {life-time: 7200}\n");

    private static OutboundSequence sequence(InstalledConnection c) throws Exception {
        return SaTransformContext.of(c.outbound()).outbound();
    }

    @Test
    void aManualSaContinuesItsSequenceAcrossAReloadThatReinstallsItAndAcrossARestart() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        Path state = dir.resolve("state");
        Appliance a = Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, state);
        try {
            InstalledConnection c = a.connections().installed("site-c");
            OutboundSequence seq = sequence(c);
            for (long n = 1; n <= 10; n++) {
                assertEquals(n, seq.next());
            }
            ConfigFixture.writeYaml(dir, SITE_C_NEW_LIFETIME);
            ConnectionDiff d = a.reload();
            assertEquals(List.of("site-c"), d.changed());
            InstalledConnection c2 = a.connections().installed("site-c");
            assertNotSame(c, c2);
            assertEquals(7200, c2.outbound().lifetime().hardSeconds());
            assertEquals(11, sequence(c2).next(), "the reinstalled SA continues: no number twice under one key");
        } finally {
            a.close();
        }
        Appliance b = Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null, state);
        try {
            assertEquals(12, sequence(b.connections().installed("site-c")).next(), "and so does the restarted one");
        } finally {
            b.close();
        }
    }

    @Test
    void configurationKeysAreWipedOnceInstalledAndTheStopLineSaysSoOnlyWhenTrue() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Appliance.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            PoolsaConfig config = ConfigLoader.load(cfg);
            Appliance a = Appliance.start(config, new RecordingDataPathProvider(), "test", null, dir.resolve("state"));
            Secret key = config.connections().get("site-c").manual().integrityKeyOut();
            assertTrue(key.isDestroyed(), "the configuration's copy is wiped once the SAs hold theirs");
            assertThrows(IllegalStateException.class, key::copy);
            ConfigFixture.writeYaml(dir, SITE_C_NEW_LIFETIME);
            assertEquals(List.of("site-c"), a.reload().changed(), "fingerprints still compare after the wipe");
            for (ConnectionConfig c : a.connections().connections().values()) {
                assertTrue(c.keysDestroyed(), c.name());
            }
            ConfigFixture.writeYaml(dir, SITE_C_NEW_LIFETIME);
            assertTrue(a.reload().isEmpty(), "an identical file changes nothing");
            List<SecurityAssociation> sas = a.kernel().listSas();
            a.close();
            assertTrue(log.list.stream().anyMatch(e -> e.getFormattedMessage().equals("event=stopped keys=zeroed")), log.list::toString);
            assertEquals(List.of(), Appliance.keysLeft(config, sas));

            // The check behind the line: a secret or an SA not wiped is named (never shown).
            assertEquals(List.of("configuration of site-b", "configuration of site-c"),
                    Appliance.keysLeft(ConfigLoader.load(cfg), List.of()));
            SecurityAssociation live = SecurityAssociation.builder().spi(0x9999).direction(net.poolsa.esp.sa.Direction.OUTBOUND)
                    .localOuter(AddressPool.parse("192.0.2.0/24")).remoteOuter(AddressPool.parse("198.51.100.0/24"))
                    .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY))
                    .keys(new SaKeys("aes-cbc", new byte[16], "hmac-sha2-256-128", new byte[32])).build();
            assertEquals(List.of("SA 0x00009999"), Appliance.keysLeft(config, List.of(live)));
            live.kill();
            assertEquals(List.of(), Appliance.keysLeft(config, List.of(live)));
        } finally {
            logger.detachAppender(log);
        }
    }

    @Test
    void aStateDirectoryThatCannotBeUsedIsAStartupErrorNamingIt() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        Path blocker = dir.resolve("not-a-dir");
        java.nio.file.Files.writeString(blocker, "x");
        PoolsaConfig config = ConfigLoader.load(cfg);
        RecordingDataPathProvider dp = new RecordingDataPathProvider();
        Appliance.StartupException e = assertThrows(Appliance.StartupException.class,
                () -> Appliance.start(config, dp, "test", null, blocker.resolve("state")));
        assertTrue(e.getMessage().contains(blocker.resolve("state").toString()), e.getMessage());
        assertNull(dp.context, "nothing started");
        assertTrue(config.connections().get("site-c").keysDestroyed(), "keys wiped on the way out too");
    }
}

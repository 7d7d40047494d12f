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
}

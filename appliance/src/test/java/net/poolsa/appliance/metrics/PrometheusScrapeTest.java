package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks our exposition against the real thing: Debian's {@code promtool} lints the scrape output and
 * Debian's {@code prometheus} server scrapes poolsa on loopback, after which its HTTP API must return our
 * series. Needs the apt package {@code prometheus} (CI installs it). The server is our child process,
 * stopped by handle in {@code finally}.
 */
@Tag("root")
class PrometheusScrapeTest {
    @TempDir
    Path dir;

    @Test
    void promtoolAcceptsTheScrape() throws Exception {
        try (MetricsFixture f = new MetricsFixture(dir)) {
            Path scrape = dir.resolve("scrape.txt");
            Files.writeString(scrape, Http.get(f.url("/metrics")).body());
            Process p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(scrape.toFile())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            assertEquals("", out.strip(), "promtool lint findings");
        }
    }

    @Test
    void realPrometheusScrapesOurSeries() throws Exception {
        try (MetricsFixture f = new MetricsFixture(dir)) {
            int promPort;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                promPort = s.getLocalPort();
            }
            Path cfg = dir.resolve("prometheus.yml");
            Files.writeString(cfg, """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: poolsa
                        static_configs:
                          - targets: ["127.0.0.1:%d"]
                    """.formatted(f.server.address().getPort()));
            Process prom = new ProcessBuilder("prometheus", "--config.file=" + cfg,
                    "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                String api = "http://127.0.0.1:" + promPort + "/api/v1/query?query=";
                String found = null;
                for (int i = 0; i < 150 && found == null; i++) {
                    Thread.sleep(200);
                    try {
                        String body = Http.get(api + URLEncoder.encode("poolsa_drops_total{reason=\"bad_icv\"}",
                                StandardCharsets.UTF_8)).body();
                        if (body.contains("\"job\":\"poolsa\"")) {
                            found = body;
                        }
                    } catch (java.io.IOException notYetListening) {
                        // Prometheus is still starting.
                    }
                }
                assertTrue(found != null, () -> "no scrape seen; log:\n" + read(dir.resolve("prometheus.log")));
                assertTrue(found.contains("\"3\"]"), found);
                String up = Http.get(api + URLEncoder.encode("up{job=\"poolsa\"}", StandardCharsets.UTF_8)).body();
                assertTrue(up.contains("\"1\"]"), up);
                String hist = Http.get(api + URLEncoder.encode("poolsa_sad_lookup_seconds_bucket{le=\"1.0E-7\"}",
                        StandardCharsets.UTF_8)).body();
                assertTrue(hist.contains("\"1\"]"), hist);
                String sw = Http.get(api + URLEncoder.encode("poolsa_tunnel_outer_switches_total",
                        StandardCharsets.UTF_8)).body();
                assertTrue(sw.contains("\"connection\":\"site-b\""), sw);
            } finally {
                prom.destroy();
                if (!prom.waitFor(10, TimeUnit.SECONDS)) {
                    prom.destroyForcibly().waitFor();
                }
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}

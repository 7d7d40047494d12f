package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsEndpointTest {
    @TempDir
    Path dir;
    MetricsFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = new MetricsFixture(dir);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void metricsFollowPrometheusNaming() throws Exception {
        HttpResponse<String> r = Http.get(f.url("/metrics"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        // simpleclient writes label sets as {a="x",}; the trailing comma is valid exposition format.
        String body = r.body().replace(",}", "}");
        for (String expected : new String[] {
            "poolsa_drops_total{reason=\"bad_icv\"} 3.0",
            "poolsa_drops_total{reason=\"unknown_spi\"} 0.0",
            "poolsa_tunnel_outer_switches_total{connection=\"site-b\"} 1.0",
            "poolsa_tunnel_up{connection=\"site-b\"} 1.0",
            "poolsa_packets_total{connection=\"site-b\",direction=\"out\"} 1.0",
            "poolsa_bytes_total{connection=\"site-b\",direction=\"out\"} 1400.0",
            "poolsa_bytes_total{connection=\"site-b\",direction=\"in\"} 1000.0",
            "poolsa_tunnel_path_active{connection=\"site-b\",path=\"203.0.113.17/32\",side=\"remote\"} 1.0",
            "poolsa_tunnel_path_active{connection=\"site-b\",path=\"198.51.100.17/32\",side=\"remote\"} 0.0",
            "poolsa_sas{direction=\"in\"} 2.0",
            "poolsa_sad_lookup_seconds_bucket{le=\"1.0E-7\"} 1.0",
            "poolsa_sad_lookup_seconds_count 2.0",
            "poolsa_spd_lookup_seconds_bucket{le=\"5.0E-8\"} 1.0",
            "poolsa_spd_lookup_seconds_count 1.0",
            "poolsa_ike_exchanges_total{exchange=\"ike_auth\",result=\"success\",version=\"2\"} 0.0",
            "poolsa_config_reloads_total{result=\"success\"} 0.0",
            "poolsa_build_info{version=\"0.0.0-test\"} 1.0",
            "jvm_memory_used_bytes{",
        }) {
            assertTrue(body.contains(expected), () -> "missing " + expected + " in\n" + body);
        }
        assertTrue(body.matches("(?s).*poolsa_sa_expiry_seconds\\{connection=\"site-b\",direction=\"out\"} 3[56]\\d\\d\\.\\d+.*"),
                "site-b has a 3600 s hard lifetime");
    }

    @Test
    void healthAndStatus() throws Exception {
        HttpResponse<String> h = Http.get(f.url("/health"));
        assertEquals(200, h.statusCode());
        assertEquals("{\"status\":\"up\"}\n", h.body());
        String status = Http.get(f.url("/status")).body();
        assertTrue(status.startsWith("site-b: INSTALLED, manual keys, TUNNEL, ESP\n"), status);
        assertTrue(status.contains("    out 00002001,       1400 bytes,        1 packets, outer - -> 203.0.113.17, switches 1"), status);
        // Cipher key sizes, without any salt: AES-128 and a 256-bit HMAC key.
        assertTrue(status.contains("ESP:aes-cbc/128 hmac-sha2-256-128/256"), status);
        String json = Http.get(f.url("/status.json")).body();
        assertTrue(json.contains("\"name\":\"site-c\""), json);
        assertTrue(json.contains("\"spi\":\"00004001\""), json);
        // Key material never leaves the process.
        assertFalse(json.contains("2122232425") || status.contains("2122232425"));
        assertEquals(404, Http.get(f.url("/metricsx")).statusCode());
    }
}

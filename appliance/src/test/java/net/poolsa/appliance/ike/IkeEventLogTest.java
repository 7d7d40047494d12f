package net.poolsa.appliance.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import net.poolsa.appliance.metrics.IkeMeters;
import net.poolsa.ike.exchange.IkeDropReason;
import net.poolsa.ike.transport.TransportDropReason;

/**
 * The engine's events as Prometheus series: exchanges by type and result, drops by reason with a bounded label set,
 * ID_LIST fallbacks, the half-open SAs; labels outside the fixed exchange set are not counted (and never thrown back at the engine).
 */
class IkeEventLogTest {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final IkeEventLog events = new IkeEventLog(new IkeMeters(registry));

    private double sample(String series) {
        for (String l : registry.scrape().split("\n")) {
            if (l.startsWith(series + " ")) {
                return Double.parseDouble(l.substring(series.length() + 1).trim());
            }
        }
        return Double.NaN;
    }

    private static String exchange(String type, String result) {
        return "poolsa_ike_exchanges_total{exchange=\"" + type + "\",result=\"" + result + "\",version=\"1\",}";
    }

    @Test
    void exchangesAreCountedByTypeAndResult() {
        events.exchange("main_mode", "ok");
        events.exchange("main_mode", "ok");
        events.exchange("quick_mode", "refused");
        events.exchange("quick_mode", "timeout");
        events.exchange("informational", "failed");
        events.exchange("aggressive_mode", "refused");
        assertEquals(2, sample(exchange("main_mode", "success")));
        assertEquals(0, sample(exchange("main_mode", "failure")));
        assertEquals(1, sample(exchange("quick_mode", "refused")));
        assertEquals(1, sample(exchange("quick_mode", "timeout")));
        assertEquals(0, sample(exchange("quick_mode", "success")));
        assertEquals(1, sample(exchange("informational", "failure")));
        assertEquals(1, sample(exchange("aggressive_mode", "refused")));
        // Outside the label set: not counted, no exception into the engine's loop.
        events.exchange("new_group_mode", "ok");
        events.exchange("main_mode", "maybe");
        assertEquals(Double.NaN, sample(exchange("new_group_mode", "success")));
        assertEquals(2, sample(exchange("main_mode", "success")));
    }

    @Test
    void dpdOutcomesAreCountedPerPeerAddressAndItsAnswersReachThePathMonitor() throws Exception {
        java.util.List<String> confirmed = new java.util.ArrayList<>();
        events.pathEvidence((local, remote) -> confirmed.add(local.getHostAddress() + ">" + remote.getHostAddress()));
        java.net.InetAddress b1 = java.net.InetAddress.getByName("198.51.100.2");
        java.net.InetAddress b2 = java.net.InetAddress.getByName("2001:db8:100:2::2");
        events.dpd("c", b1, "sent");
        events.dpd("c", b1, "sent");
        events.dpd("c", b1, "acked");
        events.dpd("c", b2, "timeout");
        events.dpd("c", b2, "maybe"); // outside the label set: not counted, nothing thrown into the engine
        events.dpdPeerDead("c", "restart");
        events.pathConfirmed(java.net.InetAddress.getByName("198.51.100.1"), b1);
        assertEquals(2, sample("poolsa_ike_dpd_total{outcome=\"sent\",peer=\"198.51.100.2\",}"));
        assertEquals(1, sample("poolsa_ike_dpd_total{outcome=\"acked\",peer=\"198.51.100.2\",}"));
        assertEquals(1, sample("poolsa_ike_dpd_total{outcome=\"timeout\",peer=\"2001:db8:100:2::2\",}"));
        assertEquals(Double.NaN, sample("poolsa_ike_dpd_total{outcome=\"maybe\",peer=\"2001:db8:100:2::2\",}"));
        assertEquals(1, sample("poolsa_ike_dpd_peers_dead_total{action=\"restart\",}"));
        assertEquals(0, sample("poolsa_ike_dpd_peers_dead_total{action=\"clear\",}"));
        assertEquals(java.util.List.of("198.51.100.1>198.51.100.2"), confirmed);
    }

    @Test
    void dropsAreCountedByReasonWithABoundedLabelSet() {
        for (int i = 0; i < 3; i++) {
            events.dropped("bad_hash");
        }
        events.dropped("Not A Label!");
        assertEquals(3, sample("poolsa_ike_drops_total{reason=\"bad_hash\",}"));
        assertEquals(1, sample("poolsa_ike_drops_total{reason=\"other\",}"));
        // Every reason of the engine and its transport has a series from the start.
        assertEquals(0, sample("poolsa_ike_drops_total{reason=\"unknown_cookie\",}"));
        assertEquals(0, sample("poolsa_ike_drops_total{reason=\"esp_in_udp\",}"));
        long known = registry.scrape().lines().filter(l -> l.startsWith("poolsa_ike_drops_total{")).count();
        assertEquals(1 + IkeDropReason.values().length + TransportDropReason.values().length, known);
        for (int i = 0; i < 100; i++) {
            events.dropped("reason_" + i);
        }
        long series = registry.scrape().lines().filter(l -> l.startsWith("poolsa_ike_drops_total{")).count();
        assertEquals(IkeMeters.MAX_DROP_REASONS, series);
        // New reasons got series up to the cap; the rest went to "other" (plus the one bad label above).
        long spilled = 100 - (IkeMeters.MAX_DROP_REASONS - known);
        assertEquals(1 + spilled, sample("poolsa_ike_drops_total{reason=\"other\",}"));
    }

    @Test
    void idListFallbacksAreCounted() {
        events.compatibilityFallback("site-c", "198.51.100.33");
        events.compatibilityFallback("site-c", "198.51.100.33");
        assertEquals(2, sample("poolsa_ike_id_list_fallbacks_total"));
    }

    @Test
    void rekeysAreCountedByKindAndResultFromZero() {
        String childOk = "poolsa_ike_rekeys_total{kind=\"child\",result=\"success\",}";
        String ikeFailed = "poolsa_ike_rekeys_total{kind=\"ike\",result=\"failure\",}";
        assertEquals(0, sample(childOk), "registered at start, so the alert sees a series");
        assertEquals(0, sample(ikeFailed));
        events.rekey("child", "ok");
        events.rekey("child", "ok");
        events.rekey("ike", "failed");
        events.rekey("phase3", "ok"); // outside the label set: not counted
        assertEquals(2, sample(childOk));
        assertEquals(1, sample(ikeFailed));
        assertEquals(0, sample("poolsa_ike_rekeys_total{kind=\"child\",result=\"failure\",}"));
        assertEquals(4, registry.scrape().lines().filter(l -> l.startsWith("poolsa_ike_rekeys_total{")).count());
    }

    @Test
    void natKeepalivesAreCountedByDirectionFromZero() {
        String sent = "poolsa_ike_nat_keepalives_total{direction=\"sent\",}";
        String received = "poolsa_ike_nat_keepalives_total{direction=\"received\",}";
        assertEquals(0, sample(sent), "registered at start");
        assertEquals(0, sample(received));
        events.natKeepalive(net.poolsa.ike.IkeEvents.KEEPALIVE_SENT);
        events.natKeepalive(net.poolsa.ike.IkeEvents.KEEPALIVE_SENT);
        events.natKeepalive(net.poolsa.ike.IkeEvents.KEEPALIVE_RECEIVED);
        events.natKeepalive("sideways"); // outside the label set: not counted
        assertEquals(2, sample(sent));
        assertEquals(1, sample(received));
        assertEquals(2, registry.scrape().lines().filter(l -> l.startsWith("poolsa_ike_nat_keepalives_total{")).count());
    }

    @Test
    void halfOpenSasAreAGaugeBesideTheirLimitAndEvictionsACounter() {
        assertEquals(0, sample("poolsa_ike_half_open"));
        events.halfOpen(17);
        events.halfOpen(12);
        events.halfOpenEvicted();
        events.halfOpenEvicted();
        assertEquals(12, sample("poolsa_ike_half_open"));
        assertEquals(net.poolsa.ike.sa.IkeSaTable.MAX_HALF_OPEN, sample("poolsa_ike_half_open_limit"));
        assertEquals(2, sample("poolsa_ike_half_open_evicted_total"));
    }
}

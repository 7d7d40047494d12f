package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import net.poolsa.appliance.control.Json;

/**
 * Needs root: make-before-break rekeying between two {@code poolsa run} appliances keyed by IKE, under continuous
 * traffic. The side under test has a child rekey time of 6 s, the other 25 s (child life time 30 s on both, grace
 * 2 s), so every rekey in the 20 s of traffic is started by the side under test; run once with each side.
 *
 * <p>400 numbered echo requests (ping's icmp_seq), one every 50 ms, from host A to host B through the tunnel: every
 * one is answered (0 lost), at least two rekeys happened, no ESP packet reached either gateway on an SPI it no longer
 * had ({@code poolsa_drops_total{reason="unknown_spi"}} stays 0: nothing was sent on a retired SA), and afterwards the
 * first pair is gone from both status reports. The requests after the first retirement (about 8 s into the 20 s) can
 * only have been carried by the new pairs, since the retired SPIs are no longer installed on either side.
 */
@Tag("root")
class IkeRekeyNetnsTest {
    private static final int COUNT = 400;

    @ParameterizedTest(name = "{0} starts the rekeys")
    @ValueSource(strings = {ApplianceLab.GW_A, ApplianceLab.GW_B})
    void rekeysUnderContinuousTrafficLoseNoPacket(String rekeying) throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-rekey")) {
            Path cfgB = lab.writeConfig(ApplianceLab.GW_B, yaml(lab, ApplianceLab.GW_B, rekeying));
            Path cfgA = lab.writeConfig(ApplianceLab.GW_A, yaml(lab, ApplianceLab.GW_A, rekeying));
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, cfgB);
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, cfgA);
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(20)), a.log());
            List<Map<String, Object>> first = children(a.status(true));
            String firstIn = (String) first.get(0).get("spi_in");

            ApplianceLab.PingResult r = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", COUNT,
                    Duration.ofMillis(50)).await();
            assertEquals(COUNT, r.transmitted(), r.output());
            assertEquals(COUNT, r.repliesBetween(1, COUNT), () -> "every numbered request answered:\n" + r.output()
                    + logs(a, b));

            ApplianceLab.Poolsa starter = rekeying.equals(ApplianceLab.GW_A) ? a : b;
            ApplianceLab.Poolsa other = starter == a ? b : a;
            int started = starter.logLines("event=child_rekey_start").size();
            assertTrue(started >= 2, () -> "rekeys in 20 s of traffic: " + started + logs(a, b));
            assertEquals(0, other.logLines("event=child_rekey_start").size(), () -> logs(a, b));
            assertTrue(starter.logLines("event=child_sa_retired").size() + other.logLines("event=child_sa_retired").size()
                    >= 2, () -> logs(a, b));
            for (ApplianceLab.Poolsa p : List.of(a, b)) {
                assertEquals(0, p.metric("poolsa_drops_total{reason=\"unknown_spi\"}"),
                        () -> "a packet on a retired SPI:\n" + logs(a, b));
                assertEquals(0, p.metric("poolsa_ike_rekeys_total{kind=\"child\",result=\"failure\"}"));
                assertTrue(p.metric("poolsa_ike_rekeys_total{kind=\"child\",result=\"success\"}") >= 2);
            }

            // the first pair is retired on both sides; the current one carries the traffic
            String statusA = a.status(true);
            String statusB = b.status(true);
            assertFalse(statusA.contains(firstIn), statusA);
            assertFalse(statusB.contains(firstIn), statusB);
            for (Map<String, Object> ch : children(statusA)) {
                assertNotEquals(firstIn, ch.get("spi_in"), statusA);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> children(String statusJson) throws Exception {
        Map<String, Object> status = (Map<String, Object>) Json.parse(statusJson);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : (List<Object>) status.get("connections")) {
            Map<String, Object> c = (Map<String, Object>) o;
            if (c.get("name").equals("rk")) {
                for (Object s : (List<Object>) c.get("ike_sas")) {
                    for (Object ch : (List<Object>) ((Map<String, Object>) s).get("children")) {
                        out.add((Map<String, Object>) ch);
                    }
                }
            }
        }
        assertFalse(out.isEmpty(), statusJson);
        return out;
    }

    private static String logs(ApplianceLab.Poolsa a, ApplianceLab.Poolsa b) {
        try {
            return "\nA:\n" + a.log() + "\nB:\n" + b.log();
        } catch (Exception e) {
            return e.toString();
        }
    }

    static String yaml(ApplianceLab lab, String gw, String rekeying) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        int rekeyTime = gw.equals(rekeying) ? 6 : 25;
        return ApplianceLab.dataPathYaml(gw) + lab.ikeConnection(gw, "rk",
                a ? "[198.51.100.1/32]" : "[198.51.100.2/32]", a ? "[198.51.100.2/32]" : "[198.51.100.1/32]",
                a ? "[192.0.2.0/25]" : "[192.0.2.128/25]", a ? "[192.0.2.128/25]" : "[192.0.2.0/25]",
                "aes128-sha256-modp2048", "aes128gcm16-modp2048", "poolsa-rekey-test-only-psk",
                "start-action: trap", "lifetime: {rekey-time: " + rekeyTime + ", life-time: 30}",
                "rekey: {grace: 2}");
    }
}

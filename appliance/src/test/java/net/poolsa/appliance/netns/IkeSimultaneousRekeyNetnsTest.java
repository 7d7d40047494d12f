package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;


/**
 * Needs root: two {@code poolsa run} appliances with the same child rekey time (6 s, life time 30 s, grace 2 s) and
 * no jitter, so that both start the first rekey of the pair at the same moment (their pairs went in within a
 * millisecond of each other) and both Quick Modes complete (RFC 2409 has no collision handling).
 *
 * <p>400 numbered echo requests, one every 50 ms, through the tunnel: every one is answered; both ends log the
 * collision ({@code event=child_rekey_collision}) and keep the same pair (A's kept inbound SPI is B's kept outbound
 * one); nothing arrives on an SPI either end lacks ({@code poolsa_drops_total{reason="unknown_spi"}} 0); every
 * redundant pair of a collision older than the grace is removed at each end and at most three pairs are live there
 * (no leak).
 */
@Tag("root")
class IkeSimultaneousRekeyNetnsTest {
    private static final int COUNT = 400;
    private static final Pattern INSTALLED_IN = Pattern.compile(" spi_in=0x([0-9a-f]{8})");
    private static final Pattern REDUNDANT_IN = Pattern.compile("redundant_spi_in=0x([0-9a-f]{8})");
    private static final Pattern KEPT = Pattern.compile("kept_spi_in=0x([0-9a-f]{8}) kept_spi_out=0x([0-9a-f]{8})");

    @Test
    void bothEndsRekeyAtOnceKeepOnePairAndLoseNoPacket() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-simultaneous-rekey")) {
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, lab.writeConfig(ApplianceLab.GW_B,
                    yaml(lab, ApplianceLab.GW_B)));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, lab.writeConfig(ApplianceLab.GW_A,
                    yaml(lab, ApplianceLab.GW_A)));
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(20)), a.log());

            ApplianceLab.PingResult r = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", COUNT,
                    Duration.ofMillis(50)).await();
            assertEquals(COUNT, r.transmitted(), r.output());
            assertEquals(COUNT, r.repliesBetween(1, COUNT), () -> "every numbered request answered:\n" + r.output()
                    + logs(a, b));

            List<String> atA = a.logLines("event=child_rekey_collision");
            List<String> atB = b.logLines("event=child_rekey_collision");
            assertFalse(atA.isEmpty(), () -> "no simultaneous rekey at A" + logs(a, b));
            assertFalse(atB.isEmpty(), () -> "no simultaneous rekey at B" + logs(a, b));
            String[] keptA = kept(atA.get(0));
            String[] keptB = kept(atB.get(0));
            assertEquals(keptA[0], keptB[1], () -> "both ends kept the same pair" + logs(a, b));
            assertEquals(keptA[1], keptB[0], () -> "both ends kept the same pair" + logs(a, b));
            for (ApplianceLab.Poolsa p : List.of(a, b)) {
                assertEquals(0, p.metric("poolsa_drops_total{reason=\"unknown_spi\"}"),
                        () -> "a packet on an SPI its receiver lacks:\n" + logs(a, b));
            }

            // no pair leaks: the ends keep rekeying every 6 s, so judge from one reading of each log: every redundant
            // pair of a collision more than a grace (2 s) old was removed, and at most three pairs are live (the
            // current one, and during a collision's grace the replaced and the redundant one)
            Thread.sleep(3000);
            for (ApplianceLab.Poolsa p : List.of(a, b)) {
                java.time.Instant now = java.time.Instant.now();
                List<String> installed = spis(p.logLines("event=child_sa_installed"), INSTALLED_IN);
                java.util.Set<String> removed = new java.util.HashSet<>(spis(p.logLines("event=child_sa_removed"),
                        INSTALLED_IN));
                long live = installed.stream().filter(x -> !removed.contains(x)).count();
                assertTrue(live >= 1 && live <= 3, () -> p + ": live pairs " + live + logs(a, b));
                for (String c : p.logLines("event=child_rekey_collision")) {
                    java.time.Instant at = java.time.Instant.parse(c.substring(0, c.indexOf(' ')));
                    Matcher m = REDUNDANT_IN.matcher(c);
                    assertTrue(m.find(), c);
                    if (at.isBefore(now.minusSeconds(3))) {
                        assertTrue(removed.contains(m.group(1)), () -> p + ": redundant pair not removed: " + c);
                    }
                }
            }
        }
    }

    private static List<String> spis(List<String> lines, Pattern p) {
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            Matcher m = p.matcher(l);
            assertTrue(m.find(), l);
            out.add(m.group(1));
        }
        return out;
    }

    private static String[] kept(String line) {
        Matcher m = KEPT.matcher(line);
        assertTrue(m.find(), line);
        return new String[] {m.group(1), m.group(2)};
    }

    private static String logs(ApplianceLab.Poolsa a, ApplianceLab.Poolsa b) {
        try {
            return "\nA:\n" + a.log() + "\nB:\n" + b.log();
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static String yaml(ApplianceLab lab, String gw) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        return ApplianceLab.dataPathYaml(gw) + lab.ikeConnection(gw, "rk",
                a ? "[198.51.100.1/32]" : "[198.51.100.2/32]", a ? "[198.51.100.2/32]" : "[198.51.100.1/32]",
                a ? "[192.0.2.0/25]" : "[192.0.2.128/25]", a ? "[192.0.2.128/25]" : "[192.0.2.0/25]",
                "aes128-sha256-modp2048", "aes128gcm16-modp2048", "poolsa-rekey-test-only-psk",
                "start-action: trap", "lifetime: {rekey-time: 6, life-time: 30}", "rekey: {grace: 2, jitter-percent: 0}");
    }
}

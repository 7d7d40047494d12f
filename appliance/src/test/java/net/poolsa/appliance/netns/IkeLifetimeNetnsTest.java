package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root: two {@code poolsa run} appliances keyed by IKE with a child lifetime of 20 s and start action trap on
 * both sides and no soft limit ({@code rekey-time: 0}; without the key it would be 9/10 of the life time), so nothing
 * rekeys it: a child SA at its hard lifetime is removed, the engine deletes the pair (Delete to the peer) and
 * negotiates it again: under a steady ping the tunnel comes back with a new SA pair, and at least 90 % of the
 * requests sent after the expiry plus 5 s are answered. Rekeying before the hard lifetime, without loss, is
 * {@link IkeRekeyNetnsTest}.
 */
@Tag("root")
class IkeLifetimeNetnsTest {
    @Test
    void aChildSaAtItsHardLifetimeIsReplacedByANewNegotiation() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-lifetime")) {
            Path cfgB = lab.writeConfig(ApplianceLab.GW_B, yaml(lab, ApplianceLab.GW_B));
            Path cfgA = lab.writeConfig(ApplianceLab.GW_A, yaml(lab, ApplianceLab.GW_A));
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, cfgB);
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, cfgA);
            // trap: the first packets bring the tunnel up
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(20)), a.log());
            Map<String, Object> first = StrongSwanIkeInteropTest.ikeChild(a.status(true), "life");
            long age = ((Number) first.get("age_seconds")).longValue();

            // Ping across the expiry (20 s after install) and 15 s beyond it.
            int count = (int) (20 - age + 15) * 5;
            ApplianceLab.PingResult r = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", count,
                    Duration.ofMillis(200)).await();
            Map<String, Object> second = StrongSwanIkeInteropTest.ikeChild(a.status(true), "life");
            assertNotEquals(first.get("spi_in"), second.get("spi_in"), "a new SA pair after the hard lifetime");
            assertNotEquals(first.get("spi_out"), second.get("spi_out"));
            Map<String, Object> onB = StrongSwanIkeInteropTest.ikeChild(b.status(true), "life");
            assertEquals(second.get("spi_in"), onB.get("spi_out"));
            int fromSeq = (int) (20 - age + 5) * 5;
            long answered = r.repliesBetween(fromSeq, count);
            long sent = count - fromSeq + 1;
            assertTrue(answered >= sent * 9 / 10, () -> "answered " + answered + " of " + sent + " after the expiry:\n"
                    + r.output());
            assertTrue(a.log().contains("event=ike_child_expired connection=life") || b.log().contains(
                    "event=ike_child_expired connection=life"), "the expiry was handled");
        }
    }

    static String yaml(ApplianceLab lab, String gw) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        return ApplianceLab.dataPathYaml(gw) + lab.ikeConnection(gw, "life",
                a ? "[198.51.100.1/32]" : "[198.51.100.2/32]", a ? "[198.51.100.2/32]" : "[198.51.100.1/32]",
                a ? "[192.0.2.0/25]" : "[192.0.2.128/25]", a ? "[192.0.2.128/25]" : "[192.0.2.0/25]",
                "aes128-sha256-modp2048", "aes128gcm16-modp2048", "poolsa-lifetime-test-only-psk",
                "start-action: trap", "lifetime: {rekey-time: 0, life-time: 20}");
    }
}

package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root: SIGHUP on an appliance with two IKE connections to the same peer, "keep" (hA's first range to hB's first)
 * and "change" (the second ranges). gA's file changes only "change" (its start action, none to start): after the
 * reload "change" has a new SA pair (both SPIs differ, on both sides), "keep" the very same one, the reload line says
 * one changed and one unchanged, and both carry traffic.
 */
@Tag("root")
class IkeReloadNetnsTest {
    static final String PSK = "poolsa-reload-test-only-psk";

    static String yaml(ApplianceLab lab, String gw, String changeStart) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        String outerA = IkePoolPairNetnsTest.OUTER_A;
        String outerB = IkePoolPairNetnsTest.OUTER_B;
        return ApplianceLab.dataPathYaml(gw)
                + lab.ikeConnection(gw, "keep", a ? outerA : outerB, a ? outerB : outerA, a ? "[192.0.2.0/27]"
                : "[192.0.2.128/27]", a ? "[192.0.2.128/27]" : "[192.0.2.0/27]", "aes128-sha256-modp2048",
                "aes128gcm16-modp2048", PSK, "start-action: none")
                + lab.ikeConnection(gw, "change", a ? outerA : outerB, a ? outerB : outerA, a ? "[192.0.2.64/27]"
                : "[192.0.2.192/27]", a ? "[192.0.2.192/27]" : "[192.0.2.64/27]", "aes128-sha256-modp2048",
                "aes128gcm16-modp2048", PSK, "start-action: " + changeStart);
    }

    @Test
    void aChangedConnectionIsRenegotiatedAndAnUnchangedOneKeepsItsSpis() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-reload")) {
            IkePoolPairNetnsTest.secondAddressOnHostB(lab);
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, lab.writeConfig(ApplianceLab.GW_B,
                    yaml(lab, ApplianceLab.GW_B, "none")));
            Path cfgA = lab.writeConfig(ApplianceLab.GW_A, yaml(lab, ApplianceLab.GW_A, "none"));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, cfgA);
            assertEquals(0, a.control("initiate", "keep").exitCode(), a.log());
            assertEquals(0, a.control("initiate", "change").exitCode(), a.log());
            Map<String, Object> keep = StrongSwanIkeInteropTest.ikeChild(a.status(true), "keep");
            Map<String, Object> change = StrongSwanIkeInteropTest.ikeChild(a.status(true), "change");
            ping(lab, "192.0.2.10", "192.0.2.130");
            ping(lab, "192.0.2.74", "192.0.2.200");

            Files.writeString(cfgA, yaml(lab, ApplianceLab.GW_A, "start"));
            String outcome = a.reload();
            assertTrue(outcome.contains("event=reloaded added=0 removed=0 changed=1 unchanged=1"), outcome);
            Map<String, Object> changed = awaitNewChild(a, "change", change, Duration.ofSeconds(20));
            assertNotEquals(change.get("spi_in"), changed.get("spi_in"));
            assertNotEquals(change.get("spi_out"), changed.get("spi_out"));
            Map<String, Object> changedOnB = StrongSwanIkeInteropTest.ikeChild(b.status(true), "change");
            assertEquals(changed.get("spi_in"), changedOnB.get("spi_out"));
            assertEquals(changed.get("spi_out"), changedOnB.get("spi_in"));
            Map<String, Object> kept = StrongSwanIkeInteropTest.ikeChild(a.status(true), "keep");
            assertEquals(keep.get("spi_in"), kept.get("spi_in"), "keep's inbound SPI");
            assertEquals(keep.get("spi_out"), kept.get("spi_out"), "keep's outbound SPI");
            ping(lab, "192.0.2.10", "192.0.2.130");
            ping(lab, "192.0.2.74", "192.0.2.200");
        }
    }

    private static void ping(ApplianceLab lab, String src, String dst) throws Exception {
        assertTrue(lab.waitForPing(ApplianceLab.HOST_A, src, dst, Duration.ofSeconds(15)), src + " -> " + dst);
        ApplianceLab.PingResult r = lab.startPing(ApplianceLab.HOST_A, src, dst, 20, Duration.ofMillis(50)).await();
        assertTrue(r.received() >= 18, r.output());
    }

    /** Waits until {@code name}'s only child SA differs from {@code before} (the renegotiation completed). */
    private static Map<String, Object> awaitNewChild(ApplianceLab.Poolsa p, String name, Map<String, Object> before,
                                                     Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        AssertionError last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<String, Object> now = StrongSwanIkeInteropTest.ikeChild(p.status(true), name);
                if (!now.get("spi_in").equals(before.get("spi_in"))) {
                    return now;
                }
            } catch (AssertionError e) {
                last = e; // between the Delete and the new Quick Mode there is no child SA
            }
            Thread.sleep(300);
        }
        throw new AssertionError("connection " + name + " was not renegotiated within " + timeout + ":\n" + p.log(), last);
    }
}

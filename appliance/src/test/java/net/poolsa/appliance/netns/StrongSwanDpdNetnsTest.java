package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root and strongSwan 5.9.8: strongSwan as the dead peer detection initiator (RFC 3706 §5) against
 * {@code poolsa run}, in the set-up of {@link StrongSwanIkeInteropTest} (charon in gB, poolsa in gA, IKEv1 Main Mode
 * PSK + Quick Mode with NAT-T). poolsa's own DPD is off here ({@code delay: 0}), so whatever keeps charon's IKE SA
 * alive is poolsa's answers. charon, with {@code dpd_delay = 1s} and {@code dpd_timeout = 4s}, sends an R-U-THERE
 * after each idle second; poolsa answers each with an R-U-THERE-ACK under HASH(1), and charon, which verifies the
 * hash before it takes the answer, keeps its SAs (its log: every DPD request answered, no DPD timeout). Then poolsa is
 * killed (SIGKILL, no Delete): charon declares it dead after its timeout and applies {@code dpd_action = clear}.
 */
@Tag("root")
class StrongSwanDpdNetnsTest {
    private static final String IKE = "aes128-sha256-modp2048";
    private static final String ESP = "aes128gcm16-modp2048";
    /** charon's log lines at ike = 4 (5.9.8): the DPD request it sends, and the answer it parsed (after HASH(1)). */
    private static final Pattern REQUEST = Pattern.compile("generating INFORMATIONAL_V1 request \\d+ \\[ HASH N\\(DPD\\) \\]");
    private static final Pattern ACK = Pattern.compile("parsed INFORMATIONAL_V1 request \\d+ \\[ HASH N\\(DPD_ACK\\) \\]");
    private static final String TIMEOUT = "DPD check timed out, enforcing DPD action";

    /** {@link StrongSwanIkeInteropTest#charonConf} with DPD: {@code dpd_delay}, {@code dpd_timeout}, {@code dpd_action}. */
    static String charonConf() {
        String plain = StrongSwanIkeInteropTest.charonConf(IKE, ESP, "dpd_action = clear");
        String proposals = "proposals = " + IKE + "\n";
        if (!plain.contains(proposals)) {
            throw new IllegalStateException("the interop test's charon configuration changed shape:\n" + plain);
        }
        return plain.replace(proposals, proposals + "                        dpd_delay = 1s\n"
                + "                        dpd_timeout = 4s\n");
    }

    private static int count(Pattern p, String log) {
        Matcher m = p.matcher(log);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void poolsaAnswersCharonsRuTheresAndCharonDeclaresAKilledPoolsaDead() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-strongswan-dpd")) {
            Path cfg = lab.writeConfig(ApplianceLab.GW_A, ApplianceLab.dataPathYaml(ApplianceLab.GW_A)
                    + lab.ikeConnection(ApplianceLab.GW_A, "sswan", "[198.51.100.1/32]", "[198.51.100.2/32]",
                    "[192.0.2.0/25]", "[192.0.2.128/25]", IKE, ESP, StrongSwanIkeInteropTest.PSK, "start-action: none",
                    "dpd: {delay: 0}"));
            ApplianceLab.Poolsa poolsa = lab.start(ApplianceLab.GW_A, cfg);
            StrongSwanLab charon = StrongSwanLab.start(lab, ApplianceLab.GW_B, charonConf());
            charon.initiate("sswan", "sswan");
            StrongSwanLab.ChildSa child = charon.awaitChild("sswan", Duration.ofSeconds(20));
            assertNotNull(child, () -> StrongSwanIkeInteropTest.logs(poolsa, charon));

            // Idle for 8 DPD delays, twice charon's DPD timeout: it asks about once a second and every ask is answered.
            Thread.sleep(8000);
            String log = charon.log();
            int requests = count(REQUEST, log);
            int acks = count(ACK, log);
            assertTrue(requests >= 5 && requests <= 9, "charon's R-U-THEREs in 8 s with dpd_delay 1 s: " + requests
                    + "\n" + StrongSwanIkeInteropTest.logs(poolsa, charon));
            assertTrue(acks >= requests - 1 && acks <= requests, "answered " + acks + " of " + requests + "\n"
                    + StrongSwanIkeInteropTest.logs(poolsa, charon));
            assertFalse(log.contains(TIMEOUT), log);
            assertEquals(List.of(child), charon.childSas(), "charon keeps the same CHILD_SA");
            assertEquals(0.0, poolsa.metric("poolsa_ike_drops_total{reason=\"bad_hash\"}"), poolsa.metrics());

            // poolsa dies without a word: charon's next R-U-THEREs go unanswered and it clears the SAs.
            poolsa.kill9();
            long killed = System.nanoTime();
            long deadline = killed + Duration.ofSeconds(15).toNanos();
            while (!charon.childSas().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            double seconds = (System.nanoTime() - killed) / 1e9;
            String after = charon.log();
            assertTrue(charon.childSas().isEmpty(), "charon still holds the SA " + seconds + " s after the kill:\n" + after);
            assertTrue(after.contains(TIMEOUT), after);
            // dpd_timeout 4 s counted from the last answer, checked each dpd_delay: gone within 4 + 1 s and the poll
            assertTrue(seconds < 4 + 1 + 2, "charon cleared the SA " + seconds + " s after the kill");
            assertTrue(seconds > 2, "cleared after " + seconds + " s: before its DPD timeout could run out");
        }
    }
}

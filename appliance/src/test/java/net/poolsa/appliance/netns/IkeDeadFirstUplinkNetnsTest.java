package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root and nft: two dual-homed {@code poolsa run} appliances ({@link ApplianceLab}) keyed by IKE, gA with start
 * action trap, and gB's first uplink dead before either starts (its egress drops everything), so Main Mode's first
 * pair of addresses, 198.51.100.1 > 198.51.100.2, never answers. hA's pings bring the tunnel up over the second
 * uplinks within one wait of message 1 (4 s) plus the exchanges: the first reply comes within 12 s of the first
 * request, and every request from then on is answered (one loss allowed). Before, each initiation, the trap's included, went over the
 * first pair and retransmitted there for 2.75 minutes: no reply at all in this test's 25 s.
 */
@Tag("root")
class IkeDeadFirstUplinkNetnsTest {
    private static Path config(ApplianceLab lab, String gw) throws Exception {
        return IkePoolPairNetnsTest.pairConfig(lab, gw, "trap", gw.equals(ApplianceLab.GW_A) ? "trap" : "none");
    }

    @Test
    void aTrapWithThePeersFirstUplinkDeadComesUpOverTheSecondWithinOneWait() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-deadfirst")) {
            lab.cut(ApplianceLab.GW_B, "l1b");
            lab.start(ApplianceLab.GW_B, config(lab, ApplianceLab.GW_B));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, config(lab, ApplianceLab.GW_A));
            ApplianceLab.Ping ping = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 100,
                    Duration.ofMillis(250));
            ApplianceLab.PingResult r = ping.await();
            int first = r.replies().keySet().stream().mapToInt(Integer::intValue).min().orElse(Integer.MAX_VALUE);
            String context = r.output() + "\n" + a.log();
            assertTrue(first <= 48, "the first reply answers request " + first + " (250 ms apart):\n" + context);
            long after = 100 - first + 1;
            assertTrue(r.repliesBetween(first, 100) >= after - 1, "all but one request after the first reply: "
                    + r.repliesBetween(first, 100) + " of " + after + "\n" + context);
            List<String> moved = a.logLines("event=main_mode_next_pair connection=trap from=198\\.51\\.100\\.1:500>"
                    + "198\\.51\\.100\\.2:500 to=203\\.0\\.113\\.1:500>203\\.0\\.113\\.2:500");
            assertEquals(1, moved.size(), context);
            a.awaitLog("event=ike_sa_established connection=trap role=initiator local=203\\.0\\.113\\.1:500 "
                    + "remote=203\\.0\\.113\\.2:500", Duration.ofSeconds(1));
        }
    }
}

package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.netns.Netns;

/**
 * Needs root, nftables and strongSwan 5.9.8: NAT-keepalives (RFC 3948 §2.3) keep a real NAT's UDP mapping while nothing else is sent.
 * gA sits behind a router that maps its address and every UDP port (as {@link RolesNetnsTest}'s NAT) and forgets a
 * UDP mapping after {@value #NAT_UDP_TIMEOUT_S} s without packets; dead peer detection is off on both ends, so no
 * R-U-THERE keeps the mapping:
 *
 * <pre>
 *  hA ha0 192.0.2.10/26 ── ga0 192.0.2.1/26 gA l1a 198.51.100.1/29 ── nin 198.51.100.2/29 nN nout 203.0.113.1/29 ── l1b 203.0.113.2/29 gB gb0 192.0.2.129/26 ── hb0 192.0.2.130/26 hB
 * </pre>
 *
 * <p>With {@code ike.nat-keepalive: 2s} on gA, hB reaches hA after {@value #IDLE_MS} ms of silence, longer than the NAT's
 * timeout (every ping answered); a reload to {@code nat-keepalive: 0} stops the keepalives, and after the same silence
 * hB's pings die at the NAT (measured before keepalives existed: 0 of 20).
 */
@Tag("root")
class NatKeepaliveNetnsTest {
    /** Namespace names start with this (unique to this test class). */
    static final String PREFIX = "h22k";
    static final String NAT = NatLab.NAT;
    static final String PSK = "poolsa-keepalive-test-only-psk";
    static final String IKE = "aes128-sha256-modp2048";
    static final String ESP = "aes128gcm16-modp2048";
    /** conntrack's UDP timeouts in the NAT's namespace (unreplied and stream alike), in seconds. */
    static final int NAT_UDP_TIMEOUT_S = 5;
    /** How long nobody sends before hB pings: past the NAT's timeout. */
    static final long IDLE_MS = 8000;
    static final int PINGS = 20;
    static final int NAT_PORT_LOW = 40000;
    static final int NAT_PORT_HIGH = 40999;

    @Test
    void keepalivesFromTheSideBehindTheNatKeepThePeerReachableWhileIdleAndWithoutThemItIsCutOff() throws Exception {
        try (ApplianceLab lab = natLab()) {
            String connectionA = lab.ikeConnection(ApplianceLab.GW_A, "nat", "[198.51.100.1/32]", "[203.0.113.2/32]",
                    "[192.0.2.0/26]", "[192.0.2.128/26]", IKE, ESP, PSK, "start-action: none", "dpd: {delay: 0}");
            String dataPathA = NatLab.dataPath("ga0", "192.0.2.1/26", "l1a", "198.51.100.1/29");
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, lab.writeConfig(ApplianceLab.GW_A,
                    "ike:\n  nat-keepalive: 2s\n" + dataPathA + connectionA));
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, lab.writeConfig(ApplianceLab.GW_B,
                    NatLab.dataPath("gb0", "192.0.2.129/26", "l1b", "203.0.113.2/29") + lab.ikeConnection(ApplianceLab.GW_B, "nat",
                            "[203.0.113.2/32]", "[203.0.113.1/32]", "[192.0.2.128/26]", "[192.0.2.0/26]", IKE, ESP, PSK,
                            "start-action: none", "dpd: {delay: 0}")));
            HostCommands.Result r = a.control("initiate", "nat");
            assertEquals(0, r.exitCode(), () -> r.output() + "\n" + NatLab.logs(a, b));
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)),
                    () -> "no ping through the tunnel\n" + NatLab.logs(a, b));
            a.awaitLog("event=nat_keepalive_started connection=nat .*interval_ms=2000", Duration.ofSeconds(1));

            // 1. Keepalives every 2 s: the NAT keeps gA's mapping through the silence, and gB reaches hA through it.
            Thread.sleep(IDLE_MS);
            ApplianceLab.PingResult kept = lab.startPing(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.10", PINGS,
                    Duration.ofMillis(50)).await();
            // gB's count first: gA may send another one meanwhile, but cannot have sent fewer than gB received
            double receivedB = b.metric("poolsa_ike_nat_keepalives_total{direction=\"received\"}");
            double sentA = a.metric("poolsa_ike_nat_keepalives_total{direction=\"sent\"}");
            double sentB = b.metric("poolsa_ike_nat_keepalives_total{direction=\"sent\"}");
            System.out.println("[keepalive] nat-keepalive 2s, " + IDLE_MS + " ms idle, NAT UDP timeout " + NAT_UDP_TIMEOUT_S
                    + " s: pings hB->hA " + kept.received() + "/" + kept.transmitted() + "; keepalives sent by gA "
                    + sentA + ", received by gB " + receivedB + ", sent by gB " + sentB);
            assertEquals(PINGS, kept.received(), () -> kept.output() + NatLab.logs(a, b));
            // about one per 2 s (the exact schedule is NatKeepaliveTest's, on a virtual clock)
            assertTrue(sentA >= 2, "gA sent keepalives: " + sentA);
            assertTrue(receivedB >= 2 && receivedB <= sentA, "gB got and discarded them: " + receivedB);
            assertEquals(0, sentB, "gB is not behind a NAT");
            assertEquals(List.of(), a.logLines("event=\\S*keepalive(?!_started)"), "nothing logged per keepalive");

            // 2. A reload turns them off (the IKE SA stays): after the same silence the NAT has forgotten gA.
            lab.writeConfig(ApplianceLab.GW_A, "ike:\n  nat-keepalive: 0\n" + dataPathA + connectionA);
            String reloaded = a.reload();
            assertTrue(reloaded.contains("event=reloaded"), reloaded);
            Thread.sleep(IDLE_MS);
            ApplianceLab.PingResult lost = lab.startPing(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.10", PINGS,
                    Duration.ofMillis(50)).await();
            double sentAfter = a.metric("poolsa_ike_nat_keepalives_total{direction=\"sent\"}");
            System.out.println("[keepalive] nat-keepalive 0, " + IDLE_MS + " ms idle: pings hB->hA " + lost.received() + "/"
                    + lost.transmitted() + "; gA's keepalives " + sentAfter);
            assertEquals(0, lost.received(), () -> "the NAT kept the mapping without keepalives\n" + lost.output()
                    + NatLab.logs(a, b));
            // hA speaks first: its packets make a new mapping and the tunnel carries traffic again both ways
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)),
                    () -> NatLab.logs(a, b));
        }
    }

    /**
     * strongSwan 5.9.8 on either side of the same NAT, DPD off on both ends (swanctl's default): poolsa behind the NAT
     * keeps the mapping towards a charon responder with its keepalives; charon behind the NAT ({@code keep_alive = 2s})
     * keeps it towards poolsa with its own, which poolsa counts and discards without a drop.
     */
    @Test
    void withStrongSwanOnEitherSideOfTheNatTheMappingOutlivesTheSilence() throws Exception {
        try (ApplianceLab lab = natLab()) {
            // 1. poolsa (gA, behind the NAT) initiates to charon (gB).
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, lab.writeConfig(ApplianceLab.GW_A,
                    "ike:\n  nat-keepalive: 2s\n" + NatLab.dataPath("ga0", "192.0.2.1/26", "l1a", "198.51.100.1/29")
                            + lab.ikeConnection(ApplianceLab.GW_A, "sswan", "[198.51.100.1/32]", "[203.0.113.2/32]",
                            "[192.0.2.0/26]", "[192.0.2.128/26]", IKE, ESP, PSK, "start-action: none", "dpd: {delay: 0}")));
            StrongSwanLab charonB = StrongSwanLab.start(lab, ApplianceLab.GW_B, charonConf("203.0.113.2", "203.0.113.1",
                    "192.0.2.128/26", "192.0.2.0/26"));
            HostCommands.Result r = a.control("initiate", "sswan");
            assertEquals(0, r.exitCode(), () -> r.output() + "\n" + StrongSwanIkeInteropTest.logs(a, charonB));
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)),
                    () -> StrongSwanIkeInteropTest.logs(a, charonB));
            Thread.sleep(IDLE_MS);
            ApplianceLab.PingResult toPoolsa = lab.startPing(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.10", PINGS,
                    Duration.ofMillis(50)).await();
            System.out.println("[keepalive] poolsa behind the NAT, charon responder, " + IDLE_MS + " ms idle: pings hB->hA "
                    + toPoolsa.received() + "/" + toPoolsa.transmitted());
            assertEquals(PINGS, toPoolsa.received(), () -> toPoolsa.output() + StrongSwanIkeInteropTest.logs(a, charonB));
            charonB.stop();
            a.stop();

            // 2. charon (gA, behind the NAT, keepalives every 2 s) initiates to poolsa (gB).
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, lab.writeConfig(ApplianceLab.GW_B,
                    NatLab.dataPath("gb0", "192.0.2.129/26", "l1b", "203.0.113.2/29") + lab.ikeConnection(ApplianceLab.GW_B,
                            "sswan", "[203.0.113.2/32]", "[203.0.113.1/32]", "[192.0.2.128/26]", "[192.0.2.0/26]", IKE,
                            ESP, PSK, "start-action: none", "dpd: {delay: 0}")));
            StrongSwanLab charonA = StrongSwanLab.start(lab, ApplianceLab.GW_A, charonConf("198.51.100.1", "203.0.113.2",
                    "192.0.2.0/26", "192.0.2.128/26"), 1, "keep_alive = 2s");
            charonA.initiate("sswan", "sswan");
            assertTrue(charonA.awaitChild("sswan", Duration.ofSeconds(20)) != null,
                    () -> StrongSwanIkeInteropTest.logs(b, charonA));
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)),
                    () -> StrongSwanIkeInteropTest.logs(b, charonA));
            double dropsBefore = drops(b);
            Thread.sleep(IDLE_MS);
            ApplianceLab.PingResult toCharon = lab.startPing(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.10", PINGS,
                    Duration.ofMillis(50)).await();
            double received = b.metric("poolsa_ike_nat_keepalives_total{direction=\"received\"}");
            double dropsAfter = drops(b);
            System.out.println("[keepalive] charon behind the NAT (keep_alive 2s), poolsa responder, " + IDLE_MS
                    + " ms idle: pings hB->hA " + toCharon.received() + "/" + toCharon.transmitted()
                    + "; keepalives received by poolsa " + received + ", IKE drops " + dropsBefore + " -> " + dropsAfter);
            assertEquals(PINGS, toCharon.received(), () -> toCharon.output() + StrongSwanIkeInteropTest.logs(b, charonA));
            assertTrue(received >= 2, "charon's keepalives reached poolsa: " + received);
            assertEquals(dropsBefore, dropsAfter, "keepalives are discarded, not dropped as malformed");
            assertEquals(0, b.metric("poolsa_ike_nat_keepalives_total{direction=\"sent\"}"), "poolsa is not behind the NAT");
        }
    }

    /** IKEv1 with the pre-shared key, one CHILD_SA "sswan"; DPD off (swanctl's default {@code dpd_delay = 0}). */
    private static String charonConf(String local, String remote, String localTs, String remoteTs) {
        return """
                connections {
                    sswan {
                        version = 1
                        local_addrs = %s
                        remote_addrs = %s
                        proposals = %s
                        local { auth = psk }
                        remote { auth = psk }
                        children {
                            sswan { local_ts = %s
                                    remote_ts = %s
                                    esp_proposals = %s }
                        }
                    }
                }
                secrets { ike-sswan { secret = "%s" } }
                """.formatted(local, remote, IKE, localTs, remoteTs, ESP, PSK);
    }

    /** Every IKE datagram {@code gw} dropped so far, all reasons. */
    private static double drops(ApplianceLab.Poolsa gw) throws Exception {
        double n = 0;
        for (String line : gw.metrics().split("\n")) {
            if (line.startsWith("poolsa_ike_drops_total{")) {
                n += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return n;
    }

    /**
     * {@link NatLab}'s topology, and a NAT that forgets a UDP mapping after {@value #NAT_UDP_TIMEOUT_S} s of silence
     * (conntrack's timeouts of its namespace).
     */
    private static ApplianceLab natLab() throws Exception {
        ApplianceLab lab = NatLab.create("netns-nat-keepalive", PREFIX, "h22knat", NAT_PORT_LOW, NAT_PORT_HIGH);
        try {
            // a UDP flow seen both ways is "stream" to conntrack, with its own (longer) timeout: both short
            lab.exec(NAT, List.of("sysctl", "-q", "-w", "net.netfilter.nf_conntrack_udp_timeout=" + NAT_UDP_TIMEOUT_S,
                    "net.netfilter.nf_conntrack_udp_timeout_stream=" + NAT_UDP_TIMEOUT_S), Duration.ofSeconds(10));
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }
}

package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root, nft, tcpdump and tshark: dead peer detection (RFC 3706) between two {@code poolsa run} appliances, both
 * dual-homed ({@link ApplianceLab}), keyed by IKE with {@code dpd: {delay: 250ms, timeout: 2s}} (Quick Mode's Diffie-Hellman can hold either IKE
 * event loop for a second on a loaded test host).
 * <ul>
 * <li>Uplink 1 stops carrying anything but ICMP (and ARP): its echo replies are genuine and keep coming, as forged ones
 *     would, but IPsec is dead on it. Traffic moves to uplink 2 with the same two SPIs and no Quick Mode (read from the
 *     captures, decrypted with the test-only key export); then uplink 2 is cut too and the SAs are deleted within the
 *     DPD timeout plus a delay and the time to cut (bounded by 5 s).</li>
 * <li>{@code action: restart}: gB crashes (SIGKILL, no Delete) and is started again, without any SA; gA notices
 *     through DPD (gB drops the R-U-THEREs of an IKE SA it does not know) and the tunnel is back within 15 s,
 *     negotiated again by gA.</li>
 * <li>{@code action: restart} and a path that returns: every uplink of both gateways drops what arrives (an nftables
 *     ingress hook, so tcpdump on gB still sees what gA sends); the SAs go within the DPD timeout, gA's attempts to
 *     negotiate again are one Main Mode message 1 per timeout (no retransmission storm, counted on gB's uplinks with
 *     tshark); then uplink 2 only comes back (Main Mode's first choice of addresses, uplink 1, stays dead): numbered
 *     pings are answered again within one attempt per path, and all of them from then on.</li>
 * </ul>
 */
@Tag("root")
class IkeDpdNetnsTest {
    private static final String DPD = "dpd: {delay: 250ms, timeout: 2s, action: %s}";

    private static Path config(ApplianceLab lab, String gw, String action) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        String outerA = IkePoolPairNetnsTest.OUTER_A;
        String outerB = IkePoolPairNetnsTest.OUTER_B;
        return lab.writeConfig(gw, ApplianceLab.dataPathYaml(gw) + lab.ikeConnection(gw, "dpd", a ? outerA : outerB,
                a ? outerB : outerA, a ? IkePoolPairNetnsTest.SIDE_A : IkePoolPairNetnsTest.SIDE_B,
                a ? IkePoolPairNetnsTest.SIDE_B : IkePoolPairNetnsTest.SIDE_A, "aes128-sha256-modp2048",
                "aes128gcm16-modp2048", IkePoolPairNetnsTest.PSK, "start-action: none", String.format(DPD, action)));
    }

    /** {@code dev} in {@code role} sends only ICMP and ARP from now on (an nftables netdev egress chain). */
    private static void onlyIcmp(ApplianceLab lab, String role, String dev) throws Exception {
        lab.exec(role, List.of("nft", "add table netdev psaicmp_" + dev + "; add chain netdev psaicmp_" + dev
                + " out { type filter hook egress device \"" + dev + "\" priority 0; policy drop; }; add rule netdev psaicmp_"
                + dev + " out ether type arp accept; add rule netdev psaicmp_" + dev + " out ip protocol icmp accept"),
                Duration.ofSeconds(10));
    }

    @Test
    void echoRepliesDoNotHoldTrafficOnAnUplinkWhereIpsecIsDeadAndASilentPeerIsCleared() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-dpd")) {
            Path keys = Files.createDirectories(lab.dir().resolve("keys"));
            lab.jvmOptions(ApplianceLab.GW_A, "-Dpoolsa.ike.keyExportDir=" + keys);
            ApplianceLab.Capture ike1 = lab.startCapture(ApplianceLab.GW_A, "l1a", "udp port 500 or udp port 4500");
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, config(lab, ApplianceLab.GW_B, "clear"));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, config(lab, ApplianceLab.GW_A, "clear"));
            assertEquals(0, a.control("initiate", "dpd").exitCode(), a.log());
            Map<String, Object> child = StrongSwanIkeInteropTest.ikeChild(a.status(true), "dpd");
            Set<String> spis = new TreeSet<>(Set.of("0x" + child.get("spi_in"), "0x" + child.get("spi_out")));
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)), a.log());
            a.awaitLog("event=dpd_started connection=dpd paths=198\\.51\\.100\\.1>198\\.51\\.100\\.2,", Duration.ofSeconds(5));

            ApplianceLab.Capture on2 = lab.startCapture(ApplianceLab.GW_A, "l2a", "udp port 500 or udp port 4500 or esp");
            ApplianceLab.Ping during = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 60,
                    Duration.ofMillis(100));
            Thread.sleep(1500);
            double cut = System.currentTimeMillis() / 1000.0;
            onlyIcmp(lab, ApplianceLab.GW_A, "l1a");
            onlyIcmp(lab, ApplianceLab.GW_B, "l1b");
            ApplianceLab.PingResult r = during.await();
            // Requests from 3 s after the cut on (sequence numbers 46-60) are answered (at least 14 of 15): the probes'
            // echo replies kept coming over uplink 1, yet traffic left it.
            long late = r.repliesBetween(46, 60);
            assertTrue(late >= 14, "traffic stayed on the uplink that answers ICMP only:\n" + r.output() + "\n" + a.log());
            a.awaitLog("event=dpd_path_dead connection=dpd local=198\\.51\\.100\\.1:500 remote=198\\.51\\.100\\.2:500",
                    Duration.ofSeconds(5));
            Path pcap1 = ike1.stop();
            Path pcap2 = on2.stop();
            assertEquals(spis, Tshark.espSpis(pcap2), "uplink 2 carries the same SA pair");
            List<Tshark.Ike> after = new ArrayList<>();
            for (Path p : List.of(pcap1, pcap2)) {
                for (Tshark.Ike m : Tshark.ike(p, keys)) {
                    if (m.time() > cut) {
                        after.add(m);
                    }
                }
            }
            assertEquals(List.of(), after.stream().filter(m -> m.exchangeType() != 5).toList(),
                    "after the cut only Informational (DPD) exchanges, no Quick Mode");
            assertTrue(after.size() >= 10, "DPD keeps probing uplink 2: " + after.size());
            assertTrue(a.metric("poolsa_ike_dpd_total{outcome=\"timeout\",peer=\"198.51.100.2\"}") >= 1, a.metrics());

            // Everything silent: the peer is dead once no path answered for the timeout, and the SAs go.
            long silent = System.nanoTime();
            lab.cut(ApplianceLab.GW_A, "l2a");
            lab.cut(ApplianceLab.GW_B, "l2b");
            a.awaitLog("event=dpd_peer_dead connection=dpd .* action=clear", Duration.ofSeconds(5));
            double seconds = (System.nanoTime() - silent) / 1e9;
            assertTrue(seconds < 5, "declared dead after " + seconds + " s (timeout 2 s, delay 250 ms)");
            a.awaitLog("event=ike_sa_removed connection=dpd .*reason=\"dead peer detection", Duration.ofSeconds(2));
            assertTrue(!a.status(true).contains("\"spi_in\""), a.status(true));
            assertEquals(1.0, a.metric("poolsa_ike_dpd_peers_dead_total{action=\"clear\"}"), a.metrics());
            b.awaitLog("event=dpd_peer_dead connection=dpd", Duration.ofSeconds(5));
        }
    }

    /**
     * {@code dev} in {@code role} drops every IPv4 packet it receives from now on (an nftables netdev ingress chain, so
     * tcpdump still sees them); ARP still passes, so the sender keeps the neighbour and its packets reach the wire.
     */
    private static void dropIngress(ApplianceLab lab, String role, String dev) throws Exception {
        lab.exec(role, List.of("nft", "add table netdev psain_" + dev + "; add chain netdev psain_" + dev
                + " in { type filter hook ingress device \"" + dev + "\" priority 0; policy accept; }; add rule netdev psain_"
                + dev + " in ether type ip drop"), Duration.ofSeconds(10));
    }

    private static void acceptIngress(ApplianceLab lab, String role, String dev) throws Exception {
        lab.exec(role, List.of("nft", "delete", "table", "netdev", "psain_" + dev), Duration.ofSeconds(10));
    }

    /** gA's ISAKMP messages in a capture on gB's side: [epoch seconds, exchange type, initiator and responder cookie]. */
    private static List<String[]> ikeFromA(Path pcap) throws Exception {
        return Tshark.fields(pcap, null, "isakmp && (ip.src == 198.51.100.1 || ip.src == 203.0.113.1)",
                "frame.time_epoch", "isakmp.exchangetype", "isakmp.ispi", "isakmp.rspi");
    }

    /** The time stamp (epoch seconds) of a log line of poolsa's ("2026-01-01T00:00:00.000Z level=..."). */
    private static double stamp(String line) {
        java.time.Instant t = java.time.Instant.parse(line.substring(0, line.indexOf(' ')));
        return t.getEpochSecond() + t.getNano() / 1e9;
    }

    @Test
    void withRestartTheTunnelComesBackOverTheUplinkThatReturnsAndTheAttemptsDoNotFlood() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-dpd-return")) {
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, config(lab, ApplianceLab.GW_B, "clear"));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, config(lab, ApplianceLab.GW_A, "restart"));
            assertEquals(0, a.control("initiate", "dpd").exitCode(), a.log());
            String before = (String) StrongSwanIkeInteropTest.ikeChild(a.status(true), "dpd").get("spi_out");
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)), a.log());
            a.awaitLog("event=dpd_started connection=dpd ", Duration.ofSeconds(5));

            ApplianceLab.Capture on1 = lab.startCapture(ApplianceLab.GW_B, "l1b", "udp port 500 or udp port 4500");
            ApplianceLab.Capture on2 = lab.startCapture(ApplianceLab.GW_B, "l2b", "udp port 500 or udp port 4500");
            long cut = System.nanoTime();
            for (String[] end : new String[][] {{ApplianceLab.GW_A, "l1a"}, {ApplianceLab.GW_A, "l2a"},
                {ApplianceLab.GW_B, "l1b"}, {ApplianceLab.GW_B, "l2b"}}) {
                dropIngress(lab, end[0], end[1]);
            }
            a.awaitLog("event=dpd_peer_dead connection=dpd .* action=restart", Duration.ofSeconds(8));
            double seconds = (System.nanoTime() - cut) / 1e9;
            assertTrue(seconds < 5, "declared dead after " + seconds + " s (timeout 2 s, delay 250 ms)");
            a.awaitLog("event=ike_sa_removed connection=dpd .*reason=\"dead peer detection", Duration.ofSeconds(2));
            double dead = stamp(a.logLines("event=dpd_peer_dead connection=dpd ").get(0));
            assertTrue(!a.status(true).contains("\"spi_in\""), a.status(true));
            Thread.sleep(9000); // the outage goes on: gA keeps trying
            Path pcap1 = on1.stop();
            Path pcap2 = on2.stop();
            double outageEnd = System.currentTimeMillis() / 1000.0;
            List<String[]> sent = new ArrayList<>(ikeFromA(pcap1));
            sent.addAll(ikeFromA(pcap2));
            List<String[]> afterDead = sent.stream().filter(f -> Double.parseDouble(f[0]) >= dead - 0.001).toList();
            List<String[]> firstMessages = afterDead.stream().filter(f -> f[1].equals("2") && f[3].matches("0+")).toList();
            long attempts = firstMessages.stream().map(f -> f[2]).distinct().count();
            double outage = outageEnd - dead;
            // one fresh Main Mode message 1 at the verdict and one per DPD timeout (2 s) after it, nothing else: no
            // retransmission (each attempt one packet), no R-U-THERE without an SA
            long expected = 1 + (long) Math.floor(outage / 2);
            assertTrue(attempts >= expected - 1 && attempts <= expected + 1, attempts + " attempts in " + outage
                    + " s after the verdict, expected " + expected);
            assertEquals(attempts, firstMessages.size(), "one packet per attempt");
            // besides them only the Deletes of the dead SAs, sent at the verdict (best effort)
            List<String[]> others = afterDead.stream().filter(f -> !firstMessages.contains(f)).toList();
            assertTrue(others.size() <= 3 && others.stream().allMatch(f -> f[1].equals("5")
                    && Double.parseDouble(f[0]) - dead < 0.2), "after the verdict, not Main Mode message 1: "
                    + others.stream().map(f -> String.join("|", f)).toList());
            // before it: DPD rounds every 250 ms over 4 paths for the 2 s timeout, plus at most as many R-U-THEREs
            // asked for by the data plane's path monitor
            long beforeVerdict = sent.size() - afterDead.size();
            assertTrue(beforeVerdict <= 2 * 4 * (2000 / 250 + 1), "R-U-THEREs between the cut and the verdict: "
                    + beforeVerdict);

            // Uplink 2 returns, uplink 1 stays dead: numbered pings every 100 ms from 0.5 s before the return on.
            ApplianceLab.Ping ping = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 200,
                    Duration.ofMillis(100));
            Thread.sleep(500);
            double restored = System.currentTimeMillis() / 1000.0;
            acceptIngress(lab, ApplianceLab.GW_A, "l2a");
            acceptIngress(lab, ApplianceLab.GW_B, "l2b");
            ApplianceLab.PingResult r = ping.await();
            String logA = a.log();
            int first = r.replies().keySet().stream().min(Integer::compare).orElseThrow(
                    () -> new AssertionError("no reply after uplink 2 came back:\n" + r.output() + "\n" + logA));
            double back = r.replies().get(first) - restored;
            // one attempt per path of the pools (2 x 2) every timeout, plus Main Mode and Quick Mode
            assertTrue(back < 4 * 2 + 3, "tunnel back " + back + " s after uplink 2 returned\n" + a.log());
            long lostAfter = (200 - first + 1) - r.repliesBetween(first, 200);
            assertTrue(lostAfter <= 2, lostAfter + " of the pings after the first answered one were lost:\n" + r.output());
            String after = (String) StrongSwanIkeInteropTest.ikeChild(a.status(true), "dpd").get("spi_out");
            assertTrue(!before.equals(after), "a new SA pair: " + before + " " + after);
            assertEquals(1.0, a.metric("poolsa_ike_dpd_peers_dead_total{action=\"restart\"}"), a.metrics());
            b.awaitLog("event=dpd_peer_dead connection=dpd", Duration.ofSeconds(1));
        }
    }

    @Test
    void aRestartedPeerIsNoticedByDpdAndTheTunnelIsBack() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-dpd-restart")) {
            Path configB = config(lab, ApplianceLab.GW_B, "clear");
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, configB);
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, config(lab, ApplianceLab.GW_A, "restart"));
            assertEquals(0, a.control("initiate", "dpd").exitCode(), a.log());
            String before = (String) StrongSwanIkeInteropTest.ikeChild(a.status(true), "dpd").get("spi_out");
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)), a.log());

            b.kill9(); // a crash: no Delete tells gA
            ApplianceLab.Poolsa b2 = lab.start(ApplianceLab.GW_B, configB);
            long restarted = System.nanoTime();
            a.awaitLog("event=dpd_peer_dead connection=dpd .* action=restart", Duration.ofSeconds(10));
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)),
                    a.log() + "\n" + b2.log());
            double seconds = (System.nanoTime() - restarted) / 1e9;
            assertTrue(seconds < 15, "tunnel back after " + seconds + " s");
            String after = (String) StrongSwanIkeInteropTest.ikeChild(a.status(true), "dpd").get("spi_out");
            assertTrue(!before.equals(after), "a new SA pair: " + before + " " + after);
            assertEquals(1.0, a.metric("poolsa_ike_dpd_peers_dead_total{action=\"restart\"}"), a.metrics());
        }
    }
}

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
            a.awaitLog("event=dpd_path_dead connection=dpd local=/198\\.51\\.100\\.1:500 remote=/198\\.51\\.100\\.2:500",
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

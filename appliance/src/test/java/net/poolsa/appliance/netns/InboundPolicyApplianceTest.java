package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.poolsa.esp.divert.HostCommands;

/**
 * Needs root, scapy ({@code /usr/bin/python3}), tcpdump and tshark. RFC 4301 §5.2 on the product: gB's side of the
 * uplink sends cleartext to hA with a source in gA's remote protected pool (hB's addresses, IPv4 and IPv6) straight
 * onto l1 while both {@code poolsa run} appliances carry the tunnel. gA runs with loose rp_filter, as the deploy role
 * sets it, so only the inbound-policy rules stand between the spoofed packets and hA. hA must never see them,
 * {@code poolsa_drops_total{reason="inbound_cleartext"}} must count each one, and tunnel traffic and cleartext that
 * no inbound policy covers must still pass.
 */
@Tag("root")
class InboundPolicyApplianceTest {
    @Test
    void spoofedCleartextFromTheRemotePoolNeverReachesTheProtectedHost() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-inbound-policy-appliance")) {
            lab.exec(ApplianceLab.GW_A, List.of("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2",
                    "net.ipv4.conf.default.rp_filter=2", "net.ipv4.conf.l1a.rp_filter=2"), Duration.ofSeconds(10));
            ApplianceLab.Keys keys = ApplianceLab.Keys.random();
            ApplianceLab.Poolsa gwA = lab.start(ApplianceLab.GW_A, lab.standardConfig(ApplianceLab.GW_A, keys));
            lab.start(ApplianceLab.GW_B, lab.standardConfig(ApplianceLab.GW_B, keys));
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(30)),
                    "the tunnel did not come up");
            String l1a = Scapy.mac(lab, ApplianceLab.GW_A, "l1a");

            ApplianceLab.Capture cap = lab.startCapture(ApplianceLab.HOST_A, "ha0", "udp port 9");
            Scapy.send(lab, ApplianceLab.GW_B, "l1b", l1a,
                    "IP(src='192.0.2.130', dst='192.0.2.10') / UDP(sport=40000, dport=9) / Raw(b'spoofed')", 5);
            Scapy.send(lab, ApplianceLab.GW_B, "l1b", l1a,
                    "IPv6(src='2001:db8:2::10', dst='2001:db8:1::10') / UDP(sport=40000, dport=9) / Raw(b'spoofed')", 3);
            // Cleartext no inbound policy covers (its source is gB's uplink, not a protected pool) is the host's to forward.
            Scapy.send(lab, ApplianceLab.GW_B, "l1b", l1a,
                    "IP(src='203.0.113.2', dst='192.0.2.10') / UDP(sport=40000, dport=9) / Raw(b'not covered')", 2);
            ApplianceLab.PingResult v4 = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 20,
                    Duration.ofMillis(50)).await();
            ApplianceLab.PingResult v6 = lab.startPing(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", 20,
                    Duration.ofMillis(50)).await();
            Path pcap = cap.stop();

            assertEquals(Map.of("203.0.113.2", 2), sources(pcap), "what reached hA on udp/9");
            assertTrue(v4.received() >= 18, () -> "tunnel (IPv4) after the spoofing:\n" + v4.output());
            assertTrue(v6.received() >= 18, () -> "tunnel (IPv6) after the spoofing:\n" + v6.output());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            double dropped = 0;
            while (System.nanoTime() < deadline) { // the counters are read every 2 s
                dropped = gwA.metric("poolsa_drops_total{reason=\"inbound_cleartext\"}");
                if (dropped >= 8) {
                    break;
                }
                Thread.sleep(500);
            }
            String drops = gwA.metrics().lines().filter(l -> l.startsWith("poolsa_drops_total") && !l.endsWith(" 0.0"))
                    .toList().toString();
            assertEquals(8, dropped, () -> "inbound_cleartext drops: " + drops);
            assertEquals(0, gwA.metric("poolsa_drops_total{reason=\"inbound_discard\"}"));
            // Each packet is taken once: an uplink with two addresses is still one capture (no ESP seen twice as a
            // replay, no probe reply refused as already answered).
            assertEquals(0, gwA.metric("poolsa_drops_total{reason=\"replayed\"}"), drops);
            assertEquals(0, gwA.metric("poolsa_drops_total{reason=\"unsupported\"}"), drops);
            String rules = lab.exec(ApplianceLab.GW_A, List.of("nft", "list", "chain", "inet", "poolsa", "inbound_policy"),
                    Duration.ofSeconds(10));
            assertTrue(rules.contains("ip saddr 192.0.2.128/25 ip daddr 192.0.2.0/25 counter name \"inbound_cleartext\" drop"),
                    rules);
        }
    }

    /** Packets by source address. */
    private static Map<String, Integer> sources(Path pcap) {
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-T", "fields",
                "-e", "ip.src", "-e", "ipv6.src"));
        assertTrue(r.ok(), r.output());
        Map<String, Integer> m = new TreeMap<>();
        for (String l : r.output().split("\n")) {
            String src = l.replace("\t", "").trim();
            if (!src.isEmpty() && !l.startsWith("Running as")) {
                m.merge(src, 1, Integer::sum);
            }
        }
        return m;
    }
}

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
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.netns.NetnsLab;
import net.poolsa.esp.pipeline.DataPlaneConfig;

/**
 * Needs root (namespaces, raw sockets, libpcap), tcpdump, tshark and iperf3: the product, two {@code poolsa run}
 * processes with YAML configurations (manual keys, ESP AES-CBC + HMAC-SHA-256-128, the pcap data path), carries
 * ICMP, TCP and UDP over IPv4 and IPv6 between the dual-homed client hA and hB (TCP with the hosts' 1500-byte MTU,
 * so path-MTU discovery through the tunnel must work). On both uplinks nothing travels but
 * ESP of the one SA pair (SPIs 0xa001, 0xb001), the ICMP path probes between outer addresses and IPv6 neighbour
 * discovery; tshark decrypts every ESP packet with the configured keys, verifies every ICV and finds the inner
 * traffic of all six kinds. The UDP tests assert the loss iperf3 reports. Own topology, deleted at the end.
 */
@Tag("root")
class ApplianceTrafficNetnsTest {
    /** UDP through the tunnel at 2 Mbit/s: far below what the data path carries, so loss means a defect, not load. */
    private static final double MAX_UDP_LOSS_PERCENT = 1.0;

    @Test
    void icmpTcpUdpOverBothFamiliesTravelOnlyAsEspOfTheSaPairThatTsharkDecryptsAndVerifies() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-appliance-traffic")) {
            ApplianceLab.Keys keys = ApplianceLab.Keys.random();
            ApplianceLab.Pair pair = lab.startStandard(keys);
            lab.spawn(ApplianceLab.HOST_B, List.of("iperf3", "-s"), lab.dir().resolve("iperf3-server.log"));
            Thread.sleep(500);
            List<ApplianceLab.Capture> caps = List.of(lab.startCapture(ApplianceLab.GW_A, "l1a", "ip or ip6"),
                    lab.startCapture(ApplianceLab.GW_A, "l2a", "ip or ip6"));

            List<ApplianceLab.Ping> pings = List.of(
                    lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 10, Duration.ofMillis(100)),
                    lab.startPing(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", 10, Duration.ofMillis(100)));
            for (ApplianceLab.Ping p : pings) {
                ApplianceLab.PingResult r = p.await();
                assertEquals(10, r.received(), () -> "every ping answered:\n" + r.output());
            }
            byte[] data = new byte[1 << 20];
            new java.security.SecureRandom().nextBytes(data);
            Path file = Files.write(lab.dir().resolve("tcp-payload"), data);
            for (String dst : List.of("192.0.2.130", "2001:db8:2::10")) {
                String family = dst.contains(":") ? "-6" : "-4";
                Path got = lab.dir().resolve("tcp-received" + family);
                Process server = lab.spawn(ApplianceLab.HOST_B, List.of("sh", "-c", "exec nc " + family + " -l 5001 > " + got),
                        lab.dir().resolve("nc-server" + family + ".log"));
                Thread.sleep(300);
                lab.exec(ApplianceLab.HOST_A, List.of("sh", "-c", "exec nc " + family + " -N -w 30 " + dst + " 5001 < " + file),
                        Duration.ofSeconds(60));
                assertTrue(server.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "TCP receiver in hB finished");
                assertTrue(java.util.Arrays.equals(data, Files.readAllBytes(got)), "TCP to " + dst + ": 1 MiB arrived intact");
                Map<?, ?> udp = iperf(lab, dst, "-u", "-b", "2M", "-l", "1000", "-t", "2");
                long sent = number(udp, "end", "sum", "packets");
                double lost = ((Number) get(udp, "end", "sum", "lost_percent")).doubleValue();
                assertTrue(sent >= 400, "UDP to " + dst + ": " + sent + " datagrams sent");
                assertTrue(lost <= MAX_UDP_LOSS_PERCENT, "UDP to " + dst + ": " + lost + " % lost (iperf3's count)");
            }

            Map<String, Integer> inner = new TreeMap<>();
            Set<String> spis = new TreeSet<>();
            long captureLost = 0;
            for (ApplianceLab.Capture c : caps) {
                Path pcap = c.stop();
                captureLost += Math.max(0, c.droppedByKernel());
                assertOnlyEspProbesAndNeighbourDiscovery(pcap);
                for (String row : NetnsLab.tsharkEsp(lab.dir().resolve("wireshark"), pcap, ApplianceLab.espSaTable(keys),
                        "esp.spi", "esp.icv_good", "ip.proto", "ipv6.nxt")) {
                    String[] f = row.split("\t", -1);
                    assertTrue(f[1].equals("1") || f[1].equalsIgnoreCase("true"), "ICV verified by tshark: " + row);
                    spis.add(f[0]);
                    // Last occurrence: the inner header's protocol (IPv6 inner: ip.proto is the outer 50).
                    String kind = f[3].isEmpty() ? "v4/" + f[2] : "v6/" + f[3];
                    inner.merge(kind, 1, Integer::sum);
                }
            }
            assertEquals(Set.of(String.format("0x%08x", ApplianceLab.SPI_AB), String.format("0x%08x", ApplianceLab.SPI_BA)), spis);
            // Both directions of: 10 echoes per family; 1 MiB of TCP (full-size segments do not fit the tunnel, so the
            // gateway's "fragmentation needed" / "packet too big" must shrink them below 1400 bytes: over 750 data
            // segments, ACKs on top); 2 s of UDP at 2 Mbit/s.
            // What tcpdump could not keep up with (a loaded host) may be of any kind: each floor allows it, and it must
            // stay a small part of the capture for the floors to mean anything.
            int captured = inner.values().stream().mapToInt(Integer::intValue).sum();
            assertTrue(captureLost * 10 <= captured, "the capture lost " + captureLost + " of " + (captured + captureLost)
                    + " packets (tcpdump: dropped by kernel): too many to check the floors");
            for (String[] k : new String[][] {{"v4/1", "20"}, {"v6/58", "20"}, {"v4/6", "750"}, {"v6/6", "750"},
                {"v4/17", "400"}, {"v6/17", "400"}}) {
                int seen = inner.getOrDefault(k[0], 0);
                assertTrue(seen + captureLost >= Integer.parseInt(k[1]), "decrypted inner " + k[0] + ": " + seen
                        + " packets, " + captureLost + " lost by the capture; all: " + inner);
            }

            // The emit path's counters tell how the ESP left: every packet the SAs sealed went through a transmit ring
            // (the default) or the raw socket, and on these veth uplinks the rings took nearly all (the raw socket only
            // until a next hop's neighbour entry is known).
            // gA sends the data (TCP segments, UDP datagrams), gB mostly TCP acknowledgements: how many depends on how
            // many segments the receiver's GRO and delayed ACKs take per ACK (459 to over 770 seen for the same
            // traffic), so gB's floor lies between what it must send in any case (20 echo replies and an ACK per 64 KiB
            // of the 2 MiB of TCP: 52) and the fewest seen.
            for (ApplianceLab.Poolsa gw : List.of(pair.a(), pair.b())) {
                double sealed = gw.metric("poolsa_packets_total{connection=\"demo\",direction=\"out\"}");
                double ring = gw.metric("poolsa_emit_packets_total{path=\"ring\"}");
                double raw = gw.metric("poolsa_emit_packets_total{path=\"raw\"}");
                assertTrue(sealed >= (gw == pair.a() ? 2000 : 200), gw + ": ESP sealed: " + sealed);
                assertTrue(ring + raw >= 0.99 * sealed && ring + raw <= sealed, gw + ": ring " + ring + " + raw " + raw
                        + " against " + sealed + " sealed");
                assertTrue(ring >= 0.9 * sealed, gw + ": ring " + ring + " of " + sealed + " sealed");
                // And every packet the SAs opened left towards the host, through the host link's ring but for the
                // first ones to each host (until its neighbour entry is known) and those a stale entry re-confirms.
                double opened = gw.metric("poolsa_packets_total{connection=\"demo\",direction=\"in\"}");
                double decapsulatedRing = gw.metric("poolsa_emit_decapsulated_packets_total{path=\"ring\"}");
                double decapsulatedRaw = gw.metric("poolsa_emit_decapsulated_packets_total{path=\"raw\"}");
                assertTrue(decapsulatedRing + decapsulatedRaw >= 0.99 * opened && decapsulatedRing + decapsulatedRaw <= opened,
                        gw + ": decapsulated ring " + decapsulatedRing + " + raw " + decapsulatedRaw + " against " + opened + " opened");
                assertTrue(decapsulatedRing >= 0.9 * opened, gw + ": decapsulated ring " + decapsulatedRing + " of " + opened + " opened");
                // The default number of loops (the core count, at most 4), and the hand-off counter is exported.
                assertEquals(DataPlaneConfig.defaultEventLoops(), gw.metric("poolsa_datapath_event_loops"), 0.0, gw + ": event loops");
                assertTrue(gw.metrics().contains("\npoolsa_datapath_handoff_packets_total"), gw + ": hand-off counter exported");
            }
        }
    }

    /** Runs an iperf3 client in hA against hB's server; its JSON report. */
    private static Map<?, ?> iperf(ApplianceLab lab, String dst, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("iperf3", "-J", "-c", dst));
        cmd.addAll(List.of(args));
        String json = lab.exec(ApplianceLab.HOST_A, cmd, Duration.ofSeconds(60));
        Files.writeString(lab.dir().resolve("iperf3-" + dst.replace(':', '_') + "-" + System.nanoTime() + ".json"), json);
        // iperf3 indents its JSON with tabs, which YAML does not allow; JSON does not need them.
        return (Map<?, ?>) new Yaml(new SafeConstructor(new LoaderOptions())).load(json.replace('\t', ' '));
    }

    private static Object get(Map<?, ?> m, String... path) {
        Object o = m;
        for (String k : path) {
            o = ((Map<?, ?>) o).get(k);
        }
        return o;
    }

    private static long number(Map<?, ?> m, String... path) {
        return ((Number) get(m, path)).longValue();
    }

    /**
     * Every packet on the uplink is ESP, an ICMP echo between outer (uplink) addresses (the path probes), or IPv6
     * neighbour discovery / MLD on the link; no inner address ever appears in the clear.
     */
    static void assertOnlyEspProbesAndNeighbourDiscovery(Path pcap) {
        HostCommands.Result t = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-T", "fields",
                "-e", "ip.proto", "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type", "-e", "ipv6.src", "-e", "ipv6.dst",
                "-e", "icmpv6.type"));
        assertTrue(t.ok(), t.output());
        for (String line : t.output().split("\n")) {
            String[] f = line.split("\t", -1);
            if (line.isBlank() || line.startsWith("Running as") || f.length < 7) {
                continue;
            }
            if (!f[0].isEmpty()) {
                boolean outer = (f[1].startsWith("198.51.100.") || f[1].startsWith("203.0.113."))
                        && (f[2].startsWith("198.51.100.") || f[2].startsWith("203.0.113."));
                assertTrue(outer, "only outer addresses on the uplink: " + line);
                assertTrue(f[0].equals("50") || f[0].equals("1") && (f[3].equals("8") || f[3].equals("0")),
                        "ESP or a path probe: " + line);
            } else {
                assertTrue(Set.of("130", "131", "132", "133", "134", "135", "136", "143").contains(f[6]),
                        "IPv6 on the uplink is neighbour discovery or MLD only: " + line);
                assertTrue(!f[4].startsWith("2001:db8:1:") && !f[4].startsWith("2001:db8:2:") && !f[4].startsWith("2001:db8:3:")
                        && !f[5].startsWith("2001:db8:1:") && !f[5].startsWith("2001:db8:2:") && !f[5].startsWith("2001:db8:3:"),
                        "no inner IPv6 address in the clear: " + line);
            }
        }
    }
}

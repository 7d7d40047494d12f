package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Needs root, tcpdump and tshark: two {@code poolsa run} appliances, both dual-homed ({@link ApplianceLab}), keyed by
 * IKE. Each side's protected pool has two ranges that are not one prefix (hA: 192.0.2.0/27 + 192.0.2.64/27, hB:
 * 192.0.2.128/27 + 192.0.2.192/27, hB answering on 192.0.2.130 and 192.0.2.200), so gA proposes them as RFC 3554
 * ID_LIST: exactly one Quick Mode (three messages, read from the capture; the IDs decrypted with the engine's
 * test-only key export are type 12) gives one SA pair, and that pair carries every source x destination combination.
 * Then gA's uplink 1 goes down: traffic continues over uplink 2 with the same two SPIs, and no Main Mode or Quick Mode
 * message is sent after the cut on either uplink (only dead peer detection's Informationals).
 */
@Tag("root")
class IkePoolPairNetnsTest {
    static final String PSK = "poolsa-pair-test-only-psk";
    static final String SIDE_A = "[192.0.2.0/27, 192.0.2.64/27]";
    static final String SIDE_B = "[192.0.2.128/27, 192.0.2.192/27]";
    static final String OUTER_A = "[198.51.100.1/32, 203.0.113.1/32]";
    static final String OUTER_B = "[198.51.100.2/32, 203.0.113.2/32]";

    /** hB answers on a second address in its second range, routed on gb0 by gB. */
    static void secondAddressOnHostB(ApplianceLab lab) {
        lab.ns(ApplianceLab.HOST_B).exec("ip", "addr", "add", "192.0.2.200/32", "dev", "hb0");
        lab.ns(ApplianceLab.GW_B).exec("ip", "route", "add", "192.0.2.200/32", "dev", "gb0");
    }

    static Path pairConfig(ApplianceLab lab, String gw, String name, String startAction) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        return lab.writeConfig(gw, ApplianceLab.dataPathYaml(gw) + lab.ikeConnection(gw, name, a ? OUTER_A : OUTER_B,
                a ? OUTER_B : OUTER_A, a ? SIDE_A : SIDE_B, a ? SIDE_B : SIDE_A, "aes128-sha256-modp2048",
                "aes128gcm16-modp2048", PSK, "start-action: " + startAction));
    }

    @Test
    void oneIdListQuickModeCarriesEveryPairOfPoolsAndFailsOverWithoutIke() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-pool-pair")) {
            secondAddressOnHostB(lab);
            Path keys = java.nio.file.Files.createDirectories(lab.dir().resolve("keys"));
            lab.jvmOptions(ApplianceLab.GW_A, "-Dpoolsa.ike.keyExportDir=" + keys);
            ApplianceLab.Capture ike1 = lab.startCapture(ApplianceLab.GW_A, "l1a", "udp port 500 or udp port 4500");
            ApplianceLab.Capture ike2 = lab.startCapture(ApplianceLab.GW_A, "l2a", "udp port 500 or udp port 4500 or esp");
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, pairConfig(lab, ApplianceLab.GW_B, "pair", "none"));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, pairConfig(lab, ApplianceLab.GW_A, "pair", "none"));
            assertEquals(0, a.control("initiate", "pair").exitCode(), a.log());

            Map<String, Object> childA = StrongSwanIkeInteropTest.ikeChild(a.status(true), "pair");
            Map<String, Object> childB = StrongSwanIkeInteropTest.ikeChild(b.status(true), "pair");
            assertEquals(childA.get("spi_in"), childB.get("spi_out"));
            assertEquals(childA.get("spi_out"), childB.get("spi_in"));
            assertEquals("192.0.2.0/27, 192.0.2.64/27", childA.get("local_protected"), childA.toString());
            assertEquals("192.0.2.128/27, 192.0.2.192/27", childA.get("remote_protected"), childA.toString());

            // Every source (hA's two ranges) to every destination (hB's two ranges), one SA pair.
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)), a.log());
            // Both SAs send over link 1, the first pair of the pools. With DPD the paths are verified only by
            // authenticated answers, after Main Mode; when link 2's answer comes first, the SA moves to link 1 at link 1's
            // first answer (first placement). A loaded host's false probe timeout can still hold it on link 2 for the
            // hysteresis, which this waits for.
            assertTrue(onLinkOne(a, "198.51.100.1", "198.51.100.2", Duration.ofSeconds(20)), a.log());
            assertTrue(onLinkOne(b, "198.51.100.2", "198.51.100.1", Duration.ofSeconds(20)), b.log());
            ApplianceLab.Capture esp1 = lab.startCapture(ApplianceLab.GW_A, "l1a", "esp or udp port 4500");
            List<ApplianceLab.Ping> pings = new ArrayList<>();
            for (String src : List.of("192.0.2.10", "192.0.2.74")) {
                for (String dst : List.of("192.0.2.130", "192.0.2.200")) {
                    pings.add(lab.startPing(ApplianceLab.HOST_A, src, dst, 20, Duration.ofMillis(50)));
                }
            }
            for (ApplianceLab.Ping p : pings) {
                ApplianceLab.PingResult r = p.await();
                assertEquals(20, r.transmitted(), r.output());
                assertTrue(r.received() >= 18, () -> "fewer than 90 % replies:\n" + r.output());
            }
            Set<String> spis = Tshark.espSpis(esp1.stop());
            assertEquals(new TreeSet<>(Set.of("0x" + childA.get("spi_in"), "0x" + childA.get("spi_out"))), spis);
            countersMatchTheTrafficExactly(lab, a, b);

            // Fail uplink 1 under traffic: same SPIs on uplink 2, no IKE datagram after the cut.
            ApplianceLab.Ping during = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.200", 60,
                    Duration.ofMillis(100));
            Thread.sleep(1500);
            double cut = System.currentTimeMillis() / 1000.0;
            lab.ns(ApplianceLab.GW_A).exec("ip", "link", "set", "l1a", "down");
            ApplianceLab.PingResult r = during.await();
            Path pcap1 = ike1.stop();
            Path pcap2 = ike2.stop();
            // Requests sent from 3 s after the cut (sequence numbers from 45 on) are all answered (90 %).
            assertTrue(r.repliesBetween(46, 60) >= 14, () -> "no recovery on uplink 2:\n" + r.output());
            List<Tshark.Ike> ikeAfter = new ArrayList<>();
            for (Path p : List.of(pcap1, pcap2)) {
                for (Tshark.Ike m : Tshark.ike(p, keys)) {
                    if (m.time() > cut) {
                        ikeAfter.add(m);
                    }
                }
            }
            // DPD (on by default) keeps asking over every path (Informational, 5); nothing is negotiated again
            assertEquals(List.of(), ikeAfter.stream().filter(m -> m.exchangeType() != 5).toList(),
                    "Main Mode or Quick Mode messages after the cut");
            Set<String> espOn2 = Tshark.espSpis(pcap2);
            assertEquals(new TreeSet<>(Set.of("0x" + childA.get("spi_in"), "0x" + childA.get("spi_out"))), espOn2,
                    "uplink 2 carries the same SA pair");

            // One Quick Mode of three messages, its IDs an ID_LIST (12) each way.
            List<Tshark.Ike> all = Tshark.ike(pcap1, keys);
            List<Tshark.Ike> quick = all.stream().filter(m -> m.exchangeType() == 32).toList();
            assertEquals(3, quick.size(), all.toString());
            assertEquals(List.of("12,12", "12,12"), quick.subList(0, 2).stream().map(Tshark.Ike::idTypes).toList(),
                    quick.toString());
        }
    }

    /** Datagrams of the exact-count check; 5 ms apart, far below what the tunnel carries, so none may be lost. */
    private static final int UDP_DATAGRAMS = 200;

    /**
     * 200 numbered UDP datagrams hA to hB and their echoes (sizes known: ApplianceLab's client sends
     * "poolsa-udp-N " plus 64 bytes) move each gateway's per-connection series (deploy/METRICS.md: packets and bytes
     * of the inner IP packets) by exactly that, both ways, and the per-SA counters of {@code poolsa status} equal the
     * series (one SA pair since the start). The SAD's histogram samples one inbound lookup in 64 per event loop: its
     * count lies within what the loops' inbound ESP allows (it used to take the outbound SPD lookups in too, about
     * twice as many here).
     */
    private static void countersMatchTheTrafficExactly(ApplianceLab lab, ApplianceLab.Poolsa a, ApplianceLab.Poolsa b)
            throws Exception {
        lab.startUdpEcho(ApplianceLab.HOST_B, "192.0.2.130", 7000);
        Map<ApplianceLab.Poolsa, double[]> before = Map.of(a, traffic(a), b, traffic(b));
        int echoed = lab.udpEchoes(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 7000, UDP_DATAGRAMS,
                Duration.ofMillis(5));
        assertEquals(UDP_DATAGRAMS, echoed, "UDP datagrams echoed");
        long bytes = 0;
        for (int i = 0; i < UDP_DATAGRAMS; i++) {
            bytes += 20 + 8 + ("poolsa-udp-" + i + " ").length() + 64; // IPv4 + UDP headers, the client's payload
        }
        for (ApplianceLab.Poolsa gw : List.of(a, b)) {
            double[] now = traffic(gw);
            double[] was = before.get(gw);
            String all = gw + ": " + java.util.Arrays.toString(was) + " -> " + java.util.Arrays.toString(now);
            assertEquals(UDP_DATAGRAMS, now[0] - was[0], "packets in, " + all);
            assertEquals(UDP_DATAGRAMS, now[1] - was[1], "packets out, " + all);
            assertEquals(bytes, now[2] - was[2], "bytes in, " + all);
            assertEquals(bytes, now[3] - was[3], "bytes out, " + all);
            Map<String, Object> child = StrongSwanIkeInteropTest.ikeChild(gw.status(true), "pair");
            double[] after = traffic(gw);
            @SuppressWarnings("unchecked")
            Map<String, Object> in = (Map<String, Object>) child.get("inbound");
            @SuppressWarnings("unchecked")
            Map<String, Object> out = (Map<String, Object>) child.get("outbound");
            assertEquals(List.of(after[0], after[1], after[2], after[3]), List.of(((Number) in.get("packets")).doubleValue(),
                    ((Number) out.get("packets")).doubleValue(), ((Number) in.get("bytes")).doubleValue(),
                    ((Number) out.get("bytes")).doubleValue()), gw + ": status per SA against the series");
            // At most every packet opened plus every one dropped (dummy packets of path moves among them).
            double inboundEsp = after[0] + gw.metrics().lines().filter(l -> l.startsWith("poolsa_drops_total{"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            double sampled = gw.metric("poolsa_sad_lookup_seconds_count");
            double loops = gw.metric("poolsa_datapath_event_loops");
            assertTrue(sampled <= Math.floor(inboundEsp / 64) && sampled >= Math.floor(after[0] / 64) - (loops - 1),
                    gw + ": " + sampled + " SAD lookups sampled for " + inboundEsp + " inbound ESP packets on " + loops
                            + " loops");
        }
    }

    /** Packets in, out, bytes in, out of connection "pair" from /metrics. */
    private static double[] traffic(ApplianceLab.Poolsa gw) throws Exception {
        double[] t = new double[4];
        int i = 0;
        for (String series : List.of("poolsa_packets_total", "poolsa_bytes_total")) {
            for (String direction : List.of("in", "out")) {
                t[i++] = gw.metric(series + "{connection=\"pair\",direction=\"" + direction + "\"}");
            }
        }
        return new double[] {t[0], t[1], t[2], t[3]};
    }

    /** Waits until {@code gw}'s outbound child SA of "pair" sends from {@code local} to {@code remote}. */
    @SuppressWarnings("unchecked")
    private static boolean onLinkOne(ApplianceLab.Poolsa gw, String local, String remote, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        do {
            Map<String, Object> out = (Map<String, Object>) StrongSwanIkeInteropTest.ikeChild(gw.status(true), "pair")
                    .get("outbound");
            if (out != null && local.equals(out.get("current_local")) && remote.equals(out.get("current_remote"))) {
                return true;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return false;
    }
}

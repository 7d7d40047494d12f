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

import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.sa.IpLiterals;

/**
 * Needs root, tcpdump and tshark: two {@code poolsa run} appliances of the {@link ApplianceLab}, both dual-homed, keyed
 * by IKEv1 over IPv6 outer addresses only (outer pools 2001:db8:100:1::N/128 + 2001:db8:100:2::N/128 each side; the
 * uplinks' IPv4 addresses are in no connection). Two connections share the one IKE SA: "v6" protects hA's two IPv6
 * networks (an ID_LIST) and hB's one, "v4" IPv4 inside IPv6 (brought up by its trap). Checked: Main Mode identities are
 * ID_IPV6_ADDR of the uplinks, Quick Mode identities IPv6 subnets (tshark decodes the single one, the ID_LIST's entries
 * are read from its bytes), {@code poolsa status} shows the IPv6 endpoints, ESP on the wire is IPv6 with the
 * negotiated SPIs and verifies with the exported keys; pings and UDP echoes both ways in both inner families arrive
 * exactly, and each gateway's per-connection series move by exactly the echoed traffic. Then gA's uplink 1 goes down
 * under traffic: both SA pairs continue over uplink 2 with the same SPIs, without any Main Mode or Quick Mode message.
 */
@Tag("root")
class IkeIpv6OuterNetnsTest {
    static final String PSK = "poolsa-ipv6-outer-test-only-psk";
    static final String OUTER_A = "[2001:db8:100:1::1/128, 2001:db8:100:2::1/128]";
    static final String OUTER_B = "[2001:db8:100:1::2/128, 2001:db8:100:2::2/128]";
    static final String V6_A = "[2001:db8:1::/64, 2001:db8:3::/64]";
    static final String V6_B = "[2001:db8:2::/64]";
    static final String V4_A = "[192.0.2.0/25]";
    static final String V4_B = "[192.0.2.128/25]";
    static final int PINGS = 20;
    /** 5 ms apart, far below what the tunnel carries, so none may be lost. */
    static final int DATAGRAMS = 100;

    static Path config(ApplianceLab lab, String gw) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        return lab.writeConfig(gw, ApplianceLab.dataPathYaml(gw)
                + lab.ikeConnection(gw, "v6", a ? OUTER_A : OUTER_B, a ? OUTER_B : OUTER_A, a ? V6_A : V6_B,
                a ? V6_B : V6_A, "aes128-sha256-modp2048", "aes128gcm16-modp2048", PSK, "start-action: none")
                + lab.ikeConnection(gw, "v4", a ? OUTER_A : OUTER_B, a ? OUTER_B : OUTER_A, a ? V4_A : V4_B,
                a ? V4_B : V4_A, "aes128-sha256-modp2048", "aes128gcm16-modp2048", PSK,
                "start-action: " + (a ? "trap" : "none")));
    }

    @Test
    void ikeOverIpv6OuterCarriesBothInnerFamiliesAndFailsOverWithTheSameSpis() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-ipv6-outer")) {
            Path keys = Files.createDirectories(lab.dir().resolve("keys"));
            lab.jvmOptions(ApplianceLab.GW_A, "-Dpoolsa.ike.keyExportDir=" + keys);
            String filter = "udp port 500 or udp port 4500 or esp";
            ApplianceLab.Capture cap1 = lab.startCapture(ApplianceLab.GW_A, "l1a", filter);
            ApplianceLab.Capture cap2 = lab.startCapture(ApplianceLab.GW_A, "l2a", filter);
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, config(lab, ApplianceLab.GW_B));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, config(lab, ApplianceLab.GW_A));
            HostCommands.Result init = a.control("initiate", "v6");
            assertEquals(0, init.exitCode(), init.output() + "\n" + a.log());
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", Duration.ofSeconds(15)),
                    a.log());
            // "v4" has start-action trap: its first packet brings it up over the same IKE SA.
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)), a.log());

            // Both gateways settle on uplink 1, the first pair of the pools (DPD's first placement, IkePoolPairNetnsTest).
            String statusA = outboundOn(a, "2001:db8:100:1::1", "2001:db8:100:1::2", Duration.ofSeconds(20));
            String statusB = outboundOn(b, "2001:db8:100:1::2", "2001:db8:100:1::1", Duration.ofSeconds(20));
            Map<String, Map<String, Object>> child = new java.util.HashMap<>();
            for (String conn : List.of("v6", "v4")) {
                Map<String, Object> ike = StrongSwanIkeInteropTest.ikeSa(statusA, conn);
                assertEquals("2001:db8:100:1::1[500]", ike.get("local"), ike.toString());
                assertEquals("2001:db8:100:1::2[500]", ike.get("remote"), ike.toString());
                Map<String, Object> ours = StrongSwanIkeInteropTest.ikeChild(statusA, conn);
                Map<String, Object> peer = StrongSwanIkeInteropTest.ikeChild(statusB, conn);
                assertEquals(ours.get("spi_in"), peer.get("spi_out"));
                assertEquals(ours.get("spi_out"), peer.get("spi_in"));
                assertEquals(OUTER_A.substring(1, OUTER_A.length() - 1), ours.get("local_outer"));
                assertEquals(OUTER_B.substring(1, OUTER_B.length() - 1), ours.get("remote_outer"));
                child.put(conn, ours);
            }
            assertEquals("2001:db8:1::/64, 2001:db8:3::/64", child.get("v6").get("local_protected"));
            assertEquals("2001:db8:2::/64", child.get("v6").get("remote_protected"));
            String text = a.status(false);
            assertTrue(text.contains("local 2001:db8:100:1::1[500], remote 2001:db8:100:1::2[500]"), text);
            assertTrue(text.contains("outer 2001:db8:100:1::1 -> 2001:db8:100:1::2"), text);

            everyPingAnswered(lab);
            exactEchoes(lab, a, b, true);

            // Uplink 1 of gA goes down under traffic in both inner families.
            List<ApplianceLab.Ping> during = List.of(
                    lab.startPing(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", 40, Duration.ofMillis(100)),
                    lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 40, Duration.ofMillis(100)));
            Thread.sleep(1500);
            double cut = System.currentTimeMillis() / 1000.0;
            lab.ns(ApplianceLab.GW_A).exec("ip", "link", "set", "l1a", "down");
            for (ApplianceLab.Ping p : during) {
                PingBounds.assertAfter(p.await(), 0.1, cut, "cut", 20, 0.9, 2.0);
            }
            String afterA = outboundOn(a, "2001:db8:100:2::1", "2001:db8:100:2::2", Duration.ofSeconds(5));
            outboundOn(b, "2001:db8:100:2::2", "2001:db8:100:2::1", Duration.ofSeconds(5));
            for (String conn : List.of("v6", "v4")) {
                Map<String, Object> now = StrongSwanIkeInteropTest.ikeChild(afterA, conn);
                assertEquals(child.get(conn).get("spi_in"), now.get("spi_in"), conn + " kept its SA pair");
                assertEquals(child.get(conn).get("spi_out"), now.get("spi_out"), conn + " kept its SA pair");
            }
            exactEchoes(lab, a, b, false);
            Path pcap1 = cap1.stop();
            Path pcap2 = cap2.stop();

            // Main Mode (2) between the uplinks' IPv6 addresses, identities ID_IPV6_ADDR (5); then only Quick Modes
            // (32) and, after the cut, nothing but dead peer detection's Informationals (5).
            List<Tshark.Ike> all = Tshark.ike(pcap1, keys);
            Set<String> uplinks = Set.of("2001:db8:100:1::1", "2001:db8:100:1::2", "2001:db8:100:2::1", "2001:db8:100:2::2");
            for (Tshark.Ike m : all) {
                assertTrue(uplinks.contains(m.source()) && uplinks.contains(m.destination()), m.toString());
                assertTrue(!m.malformed() && m.maxSeverity() < Tshark.SEVERITY_ERROR, m.toString());
            }
            List<Tshark.Ike> main = all.stream().filter(m -> m.exchangeType() == 2).toList();
            assertEquals(6, main.size(), all.toString());
            assertEquals(List.of("5", "5"), main.subList(4, 6).stream().map(Tshark.Ike::idTypes).toList());
            List<Tshark.Ike> quick = all.stream().filter(m -> m.exchangeType() == 32).toList();
            assertEquals(List.of("12,6", "12,6", "", "4,4", "4,4", ""), quick.stream().map(Tshark.Ike::idTypes).toList());
            List<Tshark.Ike> after = new ArrayList<>();
            for (Path p : List.of(pcap1, pcap2)) {
                Tshark.ike(p, keys).stream().filter(m -> m.time() > cut && m.exchangeType() != 5).forEach(after::add);
            }
            assertEquals(List.of(), after, "Main Mode or Quick Mode after the cut");
            quickModeIdentitiesAreIpv6(pcap1, keys);

            // The ESP of both pairs is IPv6 on the wire and verifies with the exported keys, on uplink 1 before the
            // cut and on uplink 2 after it.
            Set<String> pairs = new TreeSet<>();
            for (String conn : List.of("v6", "v4")) {
                pairs.add("0x" + child.get(conn).get("spi_in"));
                pairs.add("0x" + child.get(conn).get("spi_out"));
            }
            for (Path p : List.of(pcap1, pcap2)) {
                Set<String> spis = new TreeSet<>();
                for (String[] f : Tshark.fields(p, keys, List.of("esp.enable_encryption_decode:TRUE",
                        "esp.enable_authentication_check:TRUE"), "esp", "esp.spi", "esp.icv_good", "ipv6.nxt")) {
                    assertEquals("1", f[1], () -> "ICV not verified: " + String.join("|", f));
                    assertTrue(f[2].startsWith("50"), () -> "ESP not in IPv6: " + String.join("|", f));
                    spis.add(f[0]);
                }
                assertEquals(pairs, spis, p.toString());
            }
        }
    }

    /**
     * poolsa in gA against strongSwan 5.9.8 in gB ({@link StrongSwanLab}) over IPv6 outer addresses, IPv6 inside (the
     * IPv4-inside case is in {@link StrongSwanIkeInteropTest}): charon's kernel-libipsec speaks only ESP in UDP, so
     * poolsa forces UDP encapsulation. charon initiates; the Quick Mode identities are ID_IPV6_ADDR_SUBNET both ways
     * (tshark decrypts them with poolsa's exported keys), the SPIs charon lists are poolsa's the other way round, the
     * uplink carries that pair only, as ESP in UDP/4500 over IPv6, and pings and UDP echoes both ways all come back.
     */
    @Test
    void strongSwanOverIpv6OuterCarriesIpv6InsideEspInUdp() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-ipv6-strongswan")) {
            Path keys = Files.createDirectories(lab.dir().resolve("keys"));
            lab.jvmOptions(ApplianceLab.GW_A, "-Dpoolsa.ike.keyExportDir=" + keys);
            Path cfg = lab.writeConfig(ApplianceLab.GW_A, ApplianceLab.dataPathYaml(ApplianceLab.GW_A)
                    + lab.ikeConnection(ApplianceLab.GW_A, "sswan", "[2001:db8:100:1::1/128]", "[2001:db8:100:1::2/128]",
                    "[2001:db8:1::/64]", "[2001:db8:2::/64]", "aes128-sha256-modp2048", "aes128gcm16-modp2048", PSK,
                    "start-action: none", "udp-encapsulation: {}"));
            ApplianceLab.Poolsa poolsa = lab.start(ApplianceLab.GW_A, cfg);
            StrongSwanLab charon = StrongSwanLab.start(lab, ApplianceLab.GW_B, """
                    connections {
                        sswan {
                            version = 1
                            local_addrs = 2001:db8:100:1::2
                            remote_addrs = 2001:db8:100:1::1
                            proposals = aes128-sha256-modp2048
                            local { auth = psk }
                            remote { auth = psk }
                            children {
                                sswan { local_ts = 2001:db8:2::/64
                                        remote_ts = 2001:db8:1::/64
                                        esp_proposals = aes128gcm16-modp2048 }
                            }
                        }
                    }
                    secrets { ike-sswan { secret = "%s" } }
                    """.formatted(PSK));
            ApplianceLab.Capture cap = lab.startCapture(ApplianceLab.GW_A, "l1a", "udp port 500 or udp port 4500 or esp");
            charon.initiate("sswan", "sswan");
            StrongSwanLab.ChildSa theirs = charon.awaitChild("sswan", Duration.ofSeconds(20));
            assertTrue(theirs != null, () -> "no CHILD_SA in charon:\n" + StrongSwanIkeInteropTest.logs(poolsa, charon));
            Map<String, Object> ours = StrongSwanIkeInteropTest.ikeChild(poolsa.status(true), "sswan");
            assertEquals(theirs.spiIn(), ours.get("spi_out"), "charon's inbound SPI is our outbound one");
            assertEquals(theirs.spiOut(), ours.get("spi_in"), "charon's outbound SPI is our inbound one");
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", Duration.ofSeconds(15)),
                    () -> StrongSwanIkeInteropTest.logs(poolsa, charon));

            String before = traffic(poolsa, "sswan");
            long answered = 0;
            for (ApplianceLab.Ping p : List.of(
                    lab.startPing(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", PINGS, Duration.ofMillis(50)),
                    lab.startPing(ApplianceLab.HOST_B, "2001:db8:2::10", "2001:db8:1::10", PINGS, Duration.ofMillis(50)))) {
                ApplianceLab.PingResult r = p.await();
                assertEquals(PINGS, r.transmitted(), r.output());
                assertEquals(PINGS, r.received(), r.output());
                answered += r.received();
            }
            lab.startUdpEcho(ApplianceLab.HOST_B, "2001:db8:2::10", 7000);
            lab.startUdpEcho(ApplianceLab.HOST_A, "2001:db8:1::10", 7001);
            assertEquals(DATAGRAMS, lab.udpEchoes(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", 7000, DATAGRAMS,
                    Duration.ofMillis(5)), "UDP echoes hA -> hB");
            assertEquals(DATAGRAMS, lab.udpEchoes(ApplianceLab.HOST_B, "2001:db8:2::10", "2001:db8:1::10", 7001, DATAGRAMS,
                    Duration.ofMillis(5)), "UDP echoes hB -> hA");
            // poolsa's series: every request and reply, datagram and echo once each way (the waitForPing above is
            // before the first reading).
            long packets = answered + 2L * DATAGRAMS;
            String after = traffic(poolsa, "sswan");
            assertEquals(List.of((double) packets, (double) packets),
                    List.of(delta(before, after, 0), delta(before, after, 1)), "packets in, out: " + before + " -> " + after);

            // On the wire: Quick Mode identities IPv6 subnets, ESP in UDP/4500 over IPv6 with exactly this pair.
            Path pcap = cap.stop();
            List<String[]> ids = Tshark.fields(pcap, keys, "isakmp.exchangetype == 32 && isakmp.id.type",
                    "isakmp.id.type", "isakmp.id.data.ipv6_addr");
            assertEquals(List.of("6,6|2001:db8:2::,2001:db8:1::", "6,6|2001:db8:2::,2001:db8:1::"),
                    ids.stream().map(f -> String.join("|", f)).toList(), "IDci (charon's side), IDcr of messages 1 and 2");
            Set<String> spis = new TreeSet<>();
            long inUdp = 0;
            for (String[] f : Tshark.fields(pcap, keys, List.of("esp.enable_encryption_decode:TRUE",
                    "esp.enable_authentication_check:TRUE"), "esp", "esp.spi", "esp.icv_good", "ipv6.nxt", "udp.dstport")) {
                assertEquals("1", f[1], () -> "ICV not verified: " + String.join("|", f));
                // The outer header's next header first (the decrypted inner IPv6 header's follows).
                assertTrue(f[2].startsWith("17,") || f[2].equals("17"), () -> "ESP not in UDP over IPv6: " + String.join("|", f));
                spis.add(f[0]);
                inUdp += f[3].split(",")[0].equals("4500") ? 1 : 0; // then the inner UDP's, if any
            }
            assertEquals(new TreeSet<>(Set.of("0x" + theirs.spiIn(), "0x" + theirs.spiOut())), spis);
            assertTrue(inUdp >= 2 * packets, inUdp + " ESP-in-UDP packets for " + packets + " each way");
        }
    }

    private static void everyPingAnswered(ApplianceLab lab) throws Exception {
        List<ApplianceLab.Ping> pings = List.of(
                lab.startPing(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", PINGS, Duration.ofMillis(50)),
                lab.startPing(ApplianceLab.HOST_A, "2001:db8:3::10", "2001:db8:2::10", PINGS, Duration.ofMillis(50)),
                lab.startPing(ApplianceLab.HOST_B, "2001:db8:2::10", "2001:db8:3::10", PINGS, Duration.ofMillis(50)),
                lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", PINGS, Duration.ofMillis(50)),
                lab.startPing(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.74", PINGS, Duration.ofMillis(50)));
        for (ApplianceLab.Ping p : pings) {
            ApplianceLab.PingResult r = p.await();
            assertEquals(PINGS, r.transmitted(), r.output());
            assertEquals(PINGS, r.received(), r.output());
        }
    }

    /** The next echo port: the echo servers of an earlier round still listen on theirs. */
    private static int echoPort = 7000;

    /**
     * {@link #DATAGRAMS} UDP datagrams hA to hB and hB to hA in each inner family, all echoed, and each gateway's series
     * of "v6" and "v4" move by exactly those packets and bytes (inner IP packets: 40 or 20 bytes of IP header, 8 of UDP,
     * the client's payload "poolsa-udp-N " plus 64 bytes).
     */
    private static void exactEchoes(ApplianceLab lab, ApplianceLab.Poolsa a, ApplianceLab.Poolsa b, boolean bothWays)
            throws Exception {
        List<String[]> flows = new ArrayList<>(List.of(
                new String[] {"v6", ApplianceLab.HOST_A, "2001:db8:1::10", ApplianceLab.HOST_B, "2001:db8:2::10"},
                new String[] {"v4", ApplianceLab.HOST_A, "192.0.2.10", ApplianceLab.HOST_B, "192.0.2.130"}));
        if (bothWays) {
            flows.add(new String[] {"v6", ApplianceLab.HOST_B, "2001:db8:2::10", ApplianceLab.HOST_A, "2001:db8:3::10"});
            flows.add(new String[] {"v4", ApplianceLab.HOST_B, "192.0.2.130", ApplianceLab.HOST_A, "192.0.2.74"});
        }
        Map<String, double[]> before = new java.util.HashMap<>();
        for (ApplianceLab.Poolsa gw : List.of(a, b)) {
            before.putAll(traffic(gw));
        }
        for (String[] f : flows) {
            int port = echoPort++;
            lab.startUdpEcho(f[3], f[4], port);
            assertEquals(DATAGRAMS, lab.udpEchoes(f[1], f[2], f[4], port, DATAGRAMS, Duration.ofMillis(5)),
                    "UDP datagrams echoed " + String.join(" ", f));
        }
        Map<String, double[]> after = new java.util.HashMap<>();
        for (ApplianceLab.Poolsa gw : List.of(a, b)) {
            after.putAll(traffic(gw));
        }
        for (String conn : List.of("v6", "v4")) {
            long bytes = 0;
            for (int i = 0; i < DATAGRAMS; i++) {
                bytes += (conn.equals("v6") ? 40 : 20) + 8 + ("poolsa-udp-" + i + " ").length() + 64;
            }
            // Per family one flow or two, each a datagram and its echo through both gateways.
            double n = bothWays ? 2 : 1;
            for (ApplianceLab.Poolsa gw : List.of(a, b)) {
                double[] now = after.get(gw + conn);
                double[] was = before.get(gw + conn);
                String all = gw + " " + conn + ": " + java.util.Arrays.toString(was) + " -> " + java.util.Arrays.toString(now);
                assertEquals(List.of(n * DATAGRAMS, n * DATAGRAMS, n * bytes, n * bytes),
                        List.of(now[0] - was[0], now[1] - was[1], now[2] - was[2], now[3] - was[3]), all);
            }
        }
    }

    /** Packets in and out of connection {@code conn} from /metrics, as "in,out". */
    private static String traffic(ApplianceLab.Poolsa gw, String conn) throws Exception {
        return (long) gw.metric("poolsa_packets_total{connection=\"" + conn + "\",direction=\"in\"}") + ","
                + (long) gw.metric("poolsa_packets_total{connection=\"" + conn + "\",direction=\"out\"}");
    }

    private static double delta(String before, String after, int i) {
        return Long.parseLong(after.split(",")[i]) - Long.parseLong(before.split(",")[i]);
    }

    /** Packets in, out, bytes in, out of "v6" and "v4" from one read of /metrics, by gateway and connection name. */
    private static Map<String, double[]> traffic(ApplianceLab.Poolsa gw) throws Exception {
        String metrics = gw.metrics().replace(",} ", "} "); // the simpleclient exposition ends label sets with a comma
        Map<String, double[]> out = new java.util.HashMap<>();
        for (String conn : List.of("v6", "v4")) {
            double[] t = new double[4];
            int i = 0;
            for (String series : List.of("poolsa_packets_total", "poolsa_bytes_total")) {
                for (String direction : List.of("in", "out")) {
                    String name = series + "{connection=\"" + conn + "\",direction=\"" + direction + "\"} ";
                    t[i++] = metrics.lines().filter(l -> l.startsWith(name))
                            .mapToDouble(l -> Double.parseDouble(l.substring(name.length()).trim())).sum();
                }
            }
            out.put(gw + conn, t);
        }
        return out;
    }

    /**
     * Waits until {@code gw}'s outbound child SAs of "v6" and "v4" both send from {@code local} to {@code remote}, and
     * returns that status (JSON); fails after {@code limit}.
     */
    @SuppressWarnings("unchecked")
    private static String outboundOn(ApplianceLab.Poolsa gw, String local, String remote, Duration limit)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String status;
        do {
            status = gw.status(true);
            boolean both = true;
            for (String conn : List.of("v6", "v4")) {
                Map<String, Object> out = (Map<String, Object>) StrongSwanIkeInteropTest.ikeChild(status, conn).get("outbound");
                both &= out != null && local.equals(out.get("current_local")) && remote.equals(out.get("current_remote"));
            }
            if (both) {
                return status;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(gw + " does not send from " + local + " to " + remote + " within " + limit + ":\n" + status
                + "\n" + gw.log());
    }

    /**
     * gA's first Quick Mode message of "v6" as tshark decrypts it: IDcr ID_IPV6_ADDR_SUBNET 2001:db8:2::/64 as tshark
     * decodes it; IDci an ID_LIST of ID_IPV6_ADDR_SUBNET 2001:db8:1::/64 and 2001:db8:3::/64, and the outer-pool
     * notification (38400) an ID_LIST of ID_IPV6_ADDR 2001:db8:100:1::1 and 2001:db8:100:2::1 (docs/ikev1-pools.md
     * section 2): tshark does not decode ID_LIST, so those are read from the decrypted bytes tshark prints.
     */
    private static void quickModeIdentitiesAreIpv6(Path pcap, Path keys) throws Exception {
        String first = "isakmp.exchangetype == 32 && isakmp.id.type == 12 && ipv6.src == 2001:db8:100:1::1";
        String[] idcr = Tshark.fields(pcap, keys, first, "isakmp.id.data.ipv6_addr", "isakmp.id.data.ipv6_subnet").get(0);
        assertEquals(List.of("2001:db8:2::", "ffff:ffff:ffff:ffff::"), List.of(idcr));
        HostCommands.Result hex = HostCommands.local().run(List.of("env", "WIRESHARK_CONFIG_DIR=" + keys, "tshark", "-n",
                "-r", pcap.toString(), "-Y", first, "-x"));
        assertTrue(hex.ok(), hex.output());
        byte[] body = decrypted(hex.output());
        // The payload chain after the ISAKMP header: HASH(1) first, then each generic header names the next.
        List<String> ids = new ArrayList<>();
        List<String> outerPool = List.of();
        int type = 8;
        for (int at = 0; type != 0 && at + 4 <= body.length; ) {
            int length = ((body[at + 2] & 0xff) << 8) | (body[at + 3] & 0xff);
            if (type == 5) {
                ids.add(body[at + 4] == 12 ? idList(body, at + 8, at + length).toString() : Integer.toString(body[at + 4]));
            } else if (type == 11 && (((body[at + 10] & 0xff) << 8) | (body[at + 11] & 0xff)) == 38400) {
                // Header, DOI, protocol, SPI size, type, SPI, then the ID_LIST's type, protocol and port.
                assertEquals(12, body[at + 12 + body[at + 9]]);
                outerPool = idList(body, at + 12 + body[at + 9] + 4, at + length);
            }
            type = body[at] & 0xff;
            at += length;
        }
        assertEquals(List.of("[6 2001:db8:1::/ffff:ffff:ffff:ffff::, 6 2001:db8:3::/ffff:ffff:ffff:ffff::]", "6"), ids);
        assertEquals(List.of("5 2001:db8:100:1::1", "5 2001:db8:100:2::1"), outerPool);
    }

    /** The entries of an ID_LIST's data in {@code body[from, to)}: type and address (and mask), IPv6 only. */
    private static List<String> idList(byte[] body, int from, int to) throws Exception {
        List<String> entries = new ArrayList<>();
        for (int at = from; at + 8 <= to; ) {
            int length = ((body[at + 2] & 0xff) << 8) | (body[at + 3] & 0xff);
            int type = body[at + 4] & 0xff;
            String e = type + " " + v6(body, at + 8);
            if (type == 6) {
                e += "/" + v6(body, at + 24);
            }
            entries.add(e);
            at += length;
        }
        return entries;
    }

    private static String v6(byte[] b, int at) throws Exception {
        return IpLiterals.format(java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, at, at + 16)));
    }

    /** The bytes of the first "Decrypted IKE" block of {@code tshark -x} output. */
    private static byte[] decrypted(String output) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        boolean in = false;
        for (String line : output.split("\n")) {
            if (line.startsWith("Decrypted IKE")) {
                in = true;
            } else if (in && line.isBlank()) {
                break;
            } else if (in) {
                for (String h : line.substring(6, Math.min(line.length(), 6 + 16 * 3)).trim().split(" +")) {
                    out.write(Integer.parseInt(h, 16));
                }
            }
        }
        return out.toByteArray();
    }
}

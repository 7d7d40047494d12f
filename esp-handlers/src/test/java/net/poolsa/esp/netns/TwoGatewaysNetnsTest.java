package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.poolsa.esp.divert.HostCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Needs root: four network namespaces, hostA -- gwA ==(two links)== gwB -- hostB, with a poolsa
 * {@link GatewayMain} (real ESP, AES-GCM-16, manual keys) in each gateway.
 * Checks, with the kernel's ping/iperf3 and tcpdump/tshark as oracles: ICMP, UDP and TCP over IPv4 and
 * IPv6 inner traffic; only ESP with the two expected SPIs (plus outer-address probes) on the middle links,
 * which tshark decrypts with the configured keys and whose ICVs it verifies;
 * failover to the second link with the same SPIs when the link in use goes down; forged outer sources
 * outside the pool dropped and counted; ESP leaving through the uplinks' TX rings (the default emit path). Namespaces and the processes started here are removed in
 * {@link #tearDown()}. The tests share the topology but not an order: each leaves it as it found it (links up,
 * both gateways running); since a failover may have moved the SAs, captures watch both links.
 * {@code ApplianceFailoverNetnsTest} and its neighbours run the same checks on the product ({@code poolsa run}).
 */
@Tag("root")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoGatewaysNetnsTest {
    static final String SPI_AB = "0000a001";
    static final String SPI_BA = "0000b001";
    /** AES-GCM-128 key and 4-byte salt per direction (RFC 4106 keying material), test values. */
    private static final String KEY_AB = "000102030405060708090a0b0c0d0e0f10111213";
    private static final String KEY_BA = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";
    /** Logs, status files and captures stay in target/ for inspection after a failure. */
    NetnsLab lab;
    Netns hostA;
    Netns gwA;
    Netns gwB;
    Netns hostB;
    private Process gatewayA;
    private Process gatewayB;

    @BeforeAll
    void setUp() throws Exception {
        lab = new NetnsLab("netns-two-gateways" + labSuffix());
        hostA = Netns.create("psa-hA");
        gwA = Netns.create("psa-gA");
        gwB = Netns.create("psa-gB");
        hostB = Netns.create("psa-hB");
        NetnsLab.innerSides(hostA, gwA, gwB, hostB, true);
        Netns.veth(gwA, "l1a", gwB, "l1b");
        Netns.veth(gwA, "l2a", gwB, "l2b");
        gwA.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "l1a");
        gwA.exec("ip", "addr", "add", "203.0.113.1/29", "dev", "l2a");
        gwB.exec("ip", "addr", "add", "198.51.100.2/29", "dev", "l1b");
        gwB.exec("ip", "addr", "add", "203.0.113.2/29", "dev", "l2b");
        startGateways();
    }

    private void startGateways() throws Exception {
        // NetnsLab.gateway waits for the status file: a restart must not find the previous run's.
        java.nio.file.Files.deleteIfExists(lab.dir().resolve("a.status"));
        java.nio.file.Files.deleteIfExists(lab.dir().resolve("b.status"));
        gatewayA = startGateway(gwA, "a", "l1a,198.51.100.1,29", "l2a,203.0.113.1,29", "198.51.100.2", "203.0.113.2",
                "198.51.100.1/32,203.0.113.1/32", "198.51.100.2/32,203.0.113.2/32", "192.0.2.0/26,2001:db8:1::/64",
                "192.0.2.64/26,2001:db8:2::/64", SPI_AB, SPI_BA, KEY_AB, KEY_BA, "192.0.2.2", "2001:db8:1::2");
        gatewayB = startGateway(gwB, "b", "l1b,198.51.100.2,29", "l2b,203.0.113.2,29", "198.51.100.1", "203.0.113.1",
                "198.51.100.2/32,203.0.113.2/32", "198.51.100.1/32,203.0.113.1/32", "192.0.2.64/26,2001:db8:2::/64",
                "192.0.2.0/26,2001:db8:1::/64", SPI_BA, SPI_AB, KEY_BA, KEY_AB, "192.0.2.66", "2001:db8:2::2");
        // The tests count replies: both gateways must forward first (slow on a loaded machine).
        NetnsLab.waitForPing(hostA, "192.0.2.65");
    }

    private Process startGateway(Netns ns, String tag, String up1, String up2, String peer1, String peer2,
                                        String localPool, String remotePool, String localInner, String remoteInner,
                                        String outSpi, String inSpi, String outKey, String inKey, String icmp4, String icmp6)
            throws Exception {
        return lab.gateway(ns, tag, List.of(
                "--uplink", up1, "--uplink", up2, "--sink", "psink", "--peer", peer1, "--peer", peer2,
                "--local-pool", localPool, "--remote-pool", remotePool, "--local-inner", localInner,
                "--remote-inner", remoteInner, "--out-spi", outSpi, "--in-spi", inSpi, "--out-key", outKey,
                "--in-key", inKey, "--crypto", "aes-gcm-16", "--icmp", icmp4, "--icmp", icmp6,
                "--probe-ms", "100", "--dead-ms", "800", "--sink-kind", sinkKind(), "--event-loops", String.valueOf(eventLoops())));
    }

    Map<String, String> status(String tag) throws IOException {
        return lab.status(tag);
    }

    /** The data plane's inner side, as GatewayMain's --sink-kind. */
    String sinkKind() {
        return "capture";
    }

    String labSuffix() {
        return "";
    }

    /** Event loops per gateway (GatewayMain's --event-loops). */
    int eventLoops() {
        return 1;
    }

    @AfterAll
    void tearDown() {
        for (Process p : new Process[] {gatewayA, gatewayB}) {
            if (p != null) {
                Netns.stop(p, 5000);
            }
        }
        for (Netns ns : new Netns[] {hostA, gwA, gwB, hostB}) {
            if (ns != null) {
                ns.close();
            }
        }
    }

    private static List<String> outerFields(List<Path> pcaps) {
        List<String> lines = new java.util.ArrayList<>();
        pcaps.forEach(p -> lines.addAll(NetnsLab.outerFields(p)));
        return lines;
    }

    /** Every captured packet is ESP with one of our SPIs or an outer-address probe; returns the SPIs seen. */
    private static Set<String> assertOnlyEsp(List<String> lines) {
        Set<String> spis = new HashSet<>();
        for (String l : lines) {
            String[] f = l.split("\t", -1);
            if (f[0].equals("50")) {
                spis.add(f[1].replace("0x", ""));
            } else {
                assertEquals("1", f[0], "only ESP and probes on the middle link: " + l);
                assertTrue(!f[2].startsWith("192.0.2.") && !f[3].startsWith("192.0.2."), "no inner address in clear: " + l);
            }
        }
        return spis;
    }

    /**
     * iperf3 -J from hostA to {@code dst}; its JSON report. A server still closing the previous test answers "busy" for
     * a moment (iperf3 serves one test at a time): asked again then, up to 5 s.
     */
    private String iperf(String dst, String... args) throws InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("iperf3", "-J", "-c", dst));
        cmd.addAll(List.of(args));
        String json = hostA.tryExec(cmd.toArray(new String[0])).output();
        for (int i = 0; i < 50 && json.contains("the server is busy"); i++) {
            Thread.sleep(100);
            json = hostA.tryExec(cmd.toArray(new String[0])).output();
        }
        return json;
    }

    static void run(Netns ns, String... cmd) {
        HostCommands.Result r = ns.tryExec(cmd);
        assertTrue(r.ok(), String.join(" ", cmd) + " in " + ns.name() + ":\n" + r.output());
    }

    @Test
    void icmpOverIpv4AndIpv6OnlyEspOnTheWire() throws Exception {
        List<Path> pcaps = lab.capture(gwA, List.of("l1a", "l2a"), () -> {
            run(hostA, "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.65");
            run(hostA, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "2001:db8:2::1");
        });
        List<String> lines = outerFields(pcaps);
        Set<String> spis = assertOnlyEsp(lines);
        assertEquals(Set.of(SPI_AB, SPI_BA), spis, String.join("\n", lines));

        // tshark decrypts with the keys and checks every ICV; the inner packets are the pings.
        List<String> dec = new java.util.ArrayList<>();
        for (Path pcap : pcaps) {
            dec.addAll(lab.decryptEsp(pcap, Map.of(SPI_AB, KEY_AB, SPI_BA, KEY_BA)));
        }
        int echoV4 = 0;
        int echoV6 = 0;
        for (String l : dec) {
            String[] f = l.split("\t", -1);
            assertTrue(f[1].equals("1") || f[1].equalsIgnoreCase("true"), "ICV verified by tshark: " + l);
            echoV4 += f[4].equals("8") || f[4].equals("0") ? 1 : 0;
            echoV6 += f[5].equals("128") || f[5].equals("129") ? 1 : 0;
            assertTrue(f[2].contains("192.0.2.") || f[3].contains("2001:db8:"), "inner addresses decrypted: " + l);
        }
        assertEquals(6, echoV4, String.join("\n", dec));
        assertEquals(6, echoV6, String.join("\n", dec));
    }

    @Test
    void tcpAndUdpOverIpv4AndIpv6() throws Exception {
        Process server = hostB.spawn(List.of("iperf3", "-s"), lab.dir().resolve("iperf3-server.log"));
        try {
            Thread.sleep(500);
            for (String dst : List.of("192.0.2.65", "2001:db8:2::1")) {
                String json = iperf(dst, "-n", "2M");
                assertTrue(!json.contains("\"error\""), "TCP to " + dst + ": " + json);
            }
            for (String dst : List.of("192.0.2.65", "2001:db8:2::1")) {
                // 2 Mbit/s of UDP, far below what the data path carries: loss would be a defect, not load.
                String json = iperf(dst, "-u", "-b", "2M", "-l", "1200", "-t", "2");
                String[] sumLost = HostCommands.local().run(List.of("/usr/bin/python3", "-c", "import json,sys; "
                        + "j=json.loads(sys.argv[1]); s=j['end'].get('sum'); "
                        + "print(s['packets'], s['lost_percent']) if s else print('error', j.get('error'))", json))
                        .output().trim().split(" ", 2);
                assertTrue(!sumLost[0].equals("error"), "UDP to " + dst + ": iperf3 " + String.join(" ", sumLost));
                assertTrue(Long.parseLong(sumLost[0]) >= 400, "UDP datagrams sent to " + dst + ": " + sumLost[0]);
                assertTrue(Double.parseDouble(sumLost[1]) <= 1.0, "UDP to " + dst + ": " + sumLost[1] + " % lost (iperf3)");
            }
        } finally {
            Netns.stop(server, 2000);
        }
    }

    @Test
    void espLeavesThroughTheUplinkTxRings() throws Exception {
        Thread.sleep(300); // the status file is rewritten every 100 ms
        Map<String, String> a0 = status("a");
        Map<String, String> b0 = status("b");
        // 300 requests sealed by gwA, 300 replies sealed by gwB, besides whatever else runs meanwhile.
        run(hostA, "ping", "-c", "300", "-i", "0.01", "-q", "-W", "2", "192.0.2.65");
        Thread.sleep(300);
        for (String tag : new String[] {"a", "b"}) {
            Map<String, String> before = tag.equals("a") ? a0 : b0;
            Map<String, String> s = status(tag);
            String path = s.get("emit.path");
            assertTrue(path.contains(" TX ring on l1") && path.contains(" TX ring on l2"), tag + ": " + path); // the default emit mode
            long ring = Long.parseLong(s.get("emit.ring_packets")) - Long.parseLong(before.get("emit.ring_packets"));
            long sealed = Long.parseLong(s.get("out.packets")) - Long.parseLong(before.get("out.packets"));
            // Only the first packets to a peer address whose next hop is not yet resolved take the raw socket.
            assertTrue(sealed >= 300 && ring >= sealed * 9 / 10, tag + ": " + ring + " of " + sealed + " ESP packets through the ring");
        }
    }

    /**
     * Cuts the link in use (a late probe reply on a loaded machine may already have moved the SA to the second, so
     * whichever carries it) and pings 100 times at 0.1 s from the moment of the cut. The gateways run with a 100 ms
     * probe and an 800 ms dead interval: traffic is lost for at most 0.8 s + 0.1 s (the probe tick that notices) +
     * 0.1 s (the next request), 10 requests; 0.5 s more for scheduling on a shared machine makes the bound 85 of 100
     * answered. The link is brought back up afterwards; the SAs stay on the other one until it fails in turn.
     */
    @Test
    void failoverToTheOtherLinkKeepsTheSpis() throws Exception {
        boolean firstInUse = "198.51.100.2".equals(status("a").get("out.remote"));
        String cut = firstInUse ? "l1a" : "l2a";
        String other = firstInUse ? "l2a" : "l1a";
        String expectRemoteOfA = firstInUse ? "203.0.113.2" : "198.51.100.2";
        String expectRemoteOfB = firstInUse ? "203.0.113.1" : "198.51.100.1";
        long switchesA = Long.parseLong(status("a").get("out.switches"));
        long switchesB = Long.parseLong(status("b").get("out.switches"));
        // Each gateway chooses its own path: gwB may already send over the other link (after a restart, say).
        boolean bOnCutLink = !expectRemoteOfB.equals(status("b").get("out.remote"));
        gwA.exec("ip", "link", "set", cut, "down");
        try {
            HostCommands.Result r = hostA.tryExec("ping", "-c", "100", "-i", "0.1", "-W", "1", "192.0.2.65");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("100 packets transmitted, (\\d+) received").matcher(r.output());
            assertTrue(m.find() && Integer.parseInt(m.group(1)) >= 85, "at least 85 of 100 answered after the cut:\n" + r.output());
            List<String> lines = NetnsLab.outerFields(lab.capture(gwA, other,
                    () -> run(hostA, "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.65")));
            assertEquals(Set.of(SPI_AB, SPI_BA), assertOnlyEsp(lines), String.join("\n", lines));
            Map<String, String> a = status("a");
            Map<String, String> b = status("b");
            assertEquals(expectRemoteOfA, a.get("out.remote"));
            assertEquals(expectRemoteOfB, b.get("out.remote"));
            assertEquals("0x" + SPI_AB, a.get("out.spi"));
            assertEquals("0x" + SPI_BA, b.get("out.spi"));
            assertTrue(Long.parseLong(a.get("out.switches")) > switchesA);
            assertTrue(!bOnCutLink || Long.parseLong(b.get("out.switches")) > switchesB, "gwB moved off the cut link");
        } finally {
            gwA.exec("ip", "link", "set", cut, "up");
        }
    }

    @Test
    void forgedOuterSourceIsDroppedAndCounted() throws Exception {
        long before = Long.parseLong(status("b").get("drop.pool_mismatch"));
        // ESP with gwB's inbound SPI from 203.0.113.3: on the link's subnet, outside gwA's pool.
        String py = "import socket,struct\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_RAW)\n"
                + "p=bytes.fromhex('" + SPI_AB + "')+struct.pack('!I',1)+bytes(64)\n"
                + "h=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(p),1,0,64,50,0,socket.inet_aton('203.0.113.3'),socket.inet_aton('203.0.113.2'))\n"
                + "for i in range(5): s.sendto(h+p,('203.0.113.2',0))\n";
        gwA.exec("ip", "addr", "add", "203.0.113.3/29", "dev", "l2a");
        try {
            run(gwA, "/usr/bin/python3", "-c", py);
            long after = before;
            for (int i = 0; i < 40 && after < before + 5; i++) {
                Thread.sleep(100);
                after = Long.parseLong(status("b").get("drop.pool_mismatch"));
            }
            assertEquals(before + 5, after);
        } finally {
            gwA.exec("ip", "addr", "del", "203.0.113.3/29", "dev", "l2a");
        }
    }

    /** Stops both gateways, checks, and starts them again for whichever test runs next. */
    @Test
    void stopRemovesEverythingFromTheHostAndLeaksNothing() throws Exception {
        for (Process p : new Process[] {gatewayA, gatewayB}) {
            p.destroy(); // SIGTERM: GatewayMain's shutdown hook stops the data plane
            assertTrue(p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS), "gateway stopped");
        }
        for (Netns gw : new Netns[] {gwA, gwB}) {
            assertTrue(!gw.tryExec("ip", "link", "show", "psink").ok(), "sink removed in " + gw.name());
            assertTrue(!gw.exec("ip", "rule").contains("2048"), "rule removed in " + gw.name());
            assertTrue(!gw.exec("ip", "-6", "rule").contains("2048"), "IPv6 rule removed in " + gw.name());
            assertTrue(!gw.tryExec("nft", "list", "table", "inet", "poolsa").ok(), "nftables table removed in " + gw.name());
        }
        for (String tag : new String[] {"a", "b"}) {
            String log = lab.log(tag);
            assertTrue(log.contains("data plane stopped"), log);
            assertTrue(!log.contains("LEAK"), "Netty leak detector (simple) found a leak:\n" + log);
        }
        startGateways();
    }
}

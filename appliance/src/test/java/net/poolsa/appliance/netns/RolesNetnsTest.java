package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.netns.Netns;
import net.poolsa.ike.auth.TestPki;

/**
 * Needs root, strongSwan 5.9.8, nftables and tcpdump: {@code poolsa run} in the roles and modes a reviewer runs it in,
 * with exact counts of pings and UDP echoes both ways.
 *
 * <p>Through a real NAT ({@link #throughARealNatWithPreSharedKeysAndCertificates}): gA sits behind a router that maps
 * its source address and every UDP port (500 and 4500 to 40000-40999), as a home router does:
 *
 * <pre>
 *  hA ha0 192.0.2.10/26 ── ga0 192.0.2.1/26 gA l1a 198.51.100.1/29 ── nin 198.51.100.2/29 nN nout 203.0.113.1/29 ── l1b 203.0.113.2/29 gB gb0 192.0.2.129/26 ── hb0 192.0.2.130/26 hB
 * </pre>
 *
 * in turn: poolsa in gA and gB with a pre-shared key, then the NAT forgets its mappings (they idle out while its links
 * drop everything for 1.8 s) and maps gA anew, and gB must follow gA's new port before hA sends anything; strongSwan
 * behind the NAT (gA) and poolsa (gB) with
 * certificates, charon initiating, then a second CHILD_SA that claims more than charon's certificate holds; poolsa
 * behind the NAT (gA) initiating to strongSwan (gB) with certificates.
 *
 * <p>Transport mode between two hosts ({@link #transportModeBetweenTwoPoolsaHosts}): poolsa on the end hosts, each
 * host's own address its protected pool.
 */
@Tag("root")
class RolesNetnsTest {
    /** Namespace names start with this (unique to this test class). */
    static final String PREFIX = "h21r";
    static final String NAT = NatLab.NAT;
    static final String PSK = "poolsa-roles-test-only-psk";
    /** R-U-THEREs every second (they keep the NAT's mapping), a peer dead only after 10 s (the NAT's 1.8 s outage). */
    static final String DPD = "dpd: {delay: 1s, timeout: 10s}";
    static final String IKE = "aes128-sha256-modp2048";
    static final String ESP = "aes128gcm16-modp2048";
    static final int PINGS = 20;
    static final int DATAGRAMS = 30;
    /** The NAT maps every UDP port of gA into this range (first to the lower half). */
    static final int NAT_PORT_LOW = 40000;
    static final int NAT_PORT_HIGH = 41999;
    /** After the NAT forgot its mappings it maps gA into the upper half. */
    static final int REMAP_PORT_LOW = 41000;
    private static final Pattern ENDPOINT = Pattern.compile("(.+)\\[(\\d+)]");

    @Test
    void throughARealNatWithPreSharedKeysAndCertificates() throws Exception {
        try (ApplianceLab lab = NatLab.create("netns-roles-nat", PREFIX, "h21rnat", NAT_PORT_LOW, REMAP_PORT_LOW - 1)) {
            Path pki = pki(lab.dir());

            // 1. poolsa <-> poolsa, pre-shared key; gB knows gA only by the NAT's public address.
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, lab.writeConfig(ApplianceLab.GW_A, NatLab.dataPath("ga0",
                    "192.0.2.1/26", "l1a", "198.51.100.1/29") + lab.ikeConnection(ApplianceLab.GW_A, "nat", "[198.51.100.1/32]",
                    "[203.0.113.2/32]", "[192.0.2.0/26]", "[192.0.2.128/26]", IKE, ESP, PSK, "start-action: none", DPD)));
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, lab.writeConfig(ApplianceLab.GW_B, NatLab.dataPath("gb0",
                    "192.0.2.129/26", "l1b", "203.0.113.2/29") + lab.ikeConnection(ApplianceLab.GW_B, "nat", "[203.0.113.2/32]",
                    "[203.0.113.1/32]", "[192.0.2.128/26]", "[192.0.2.0/26]", IKE, ESP, PSK, "start-action: none", DPD)));
            ApplianceLab.Capture wire = lab.startCapture(ApplianceLab.GW_B, "l1b", "udp");
            HostCommands.Result r = a.control("initiate", "nat");
            assertEquals(0, r.exitCode(), () -> r.output() + "\n" + NatLab.logs(a, b));
            traffic(lab, "poolsa behind the NAT to poolsa, PSK", true, () -> NatLab.logs(a, b));
            // Both ends see the true outer endpoints: gA its own private address, gB the NAT's address and mapped port.
            Map<String, Object> ikeA = StrongSwanIkeInteropTest.ikeSa(a.status(true), "nat");
            Map<String, Object> ikeB = StrongSwanIkeInteropTest.ikeSa(b.status(true), "nat");
            System.out.println("[roles] gA IKE SA " + ikeA.get("local") + " -> " + ikeA.get("remote") + ", gB IKE SA "
                    + ikeB.get("local") + " -> " + ikeB.get("remote"));
            assertEquals("198.51.100.1[4500]", ikeA.get("local"), ikeA.toString());
            assertEquals("203.0.113.2[4500]", ikeA.get("remote"), ikeA.toString());
            assertEquals(true, ikeA.get("nat_t"));
            assertEquals("203.0.113.2[4500]", ikeB.get("local"), ikeB.toString());
            int mapped = natPort((String) ikeB.get("remote"));
            assertEquals(true, ikeB.get("nat_t"));
            assertEquals("203.0.113.1", outbound(ikeB).get("current_remote"), ikeB.toString());
            // On gB's wire every ESP packet of the tunnel travels between 4500 and the mapped port.
            long esp = espInUdp(wire.stop(), mapped);
            assertTrue(esp >= 4L * PINGS + 4L * DATAGRAMS, "ESP-in-UDP to and from port " + mapped + ": " + esp);
            // The NAT forgets its mappings (they idle out while the link is cut) and maps gA anew, to other ports.
            lab.exec(NAT, List.of("sysctl", "-q", "-w", "net.netfilter.nf_conntrack_udp_timeout=1",
                    "net.netfilter.nf_conntrack_udp_timeout_stream=1"), Duration.ofSeconds(10));
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(5)));
            lab.exec(NAT, List.of("nft", "add table netdev h21rcut;"
                    + " add chain netdev h21rcut in { type filter hook ingress device \"nin\" priority 0; policy drop; };"
                    + " add chain netdev h21rcut out { type filter hook ingress device \"nout\" priority 0; policy drop; };"
                    + " flush chain ip h21rnat snatout;"
                    + " add rule ip h21rnat snatout oifname \"nout\" meta l4proto udp snat to 203.0.113.1:" + REMAP_PORT_LOW
                    + "-" + NAT_PORT_HIGH + ";"
                    + " add rule ip h21rnat snatout oifname \"nout\" masquerade"), Duration.ofSeconds(10));
            Thread.sleep(1800); // past the 1 s conntrack timeout, within DPD's 10 s
            lab.exec(NAT, List.of("nft", "delete table netdev h21rcut"), Duration.ofSeconds(10));
            lab.exec(NAT, List.of("sysctl", "-q", "-w", "net.netfilter.nf_conntrack_udp_timeout=30",
                    "net.netfilter.nf_conntrack_udp_timeout_stream=120"), Duration.ofSeconds(10));
            // gA's next R-U-THERE makes the new mapping; gB's IKE SA and child SAs follow it there, so gB reaches hA
            // again before hA sent anything (before the fix gB kept sending to the old port: 0 of 20 pings).
            String remapped = awaitIkeRemote(b, "nat", "203.0.113.1[" + mapped + "]", Duration.ofSeconds(10));
            int remappedPort = natPort(remapped);
            assertTrue(remappedPort >= REMAP_PORT_LOW, remapped);
            ApplianceLab.PingResult afterBa = lab.startPing(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.10", PINGS,
                    Duration.ofMillis(50)).await();
            ApplianceLab.PingResult afterAb = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", PINGS,
                    Duration.ofMillis(50)).await();
            System.out.println("[roles] NAT mapping " + mapped + " -> " + remapped + ": pings hB->hA " + afterBa.received()
                    + "/" + afterBa.transmitted() + ", hA->hB " + afterAb.received() + "/" + afterAb.transmitted());
            assertEquals(PINGS, afterBa.received(), () -> afterBa.output() + NatLab.logs(a, b));
            assertEquals(PINGS, afterAb.received(), () -> afterAb.output() + NatLab.logs(a, b));
            b.awaitLog("event=ike_sa_moved connection=nat .*cause=nat_mapping", Duration.ofSeconds(1));
            String statusB = b.status(false);
            assertTrue(statusB.contains("-> 203.0.113.1[" + remappedPort + "], switches"), statusB);
            b.stop();
            a.stop();

            // 2. strongSwan behind the NAT initiates to poolsa, certificates.
            ApplianceLab.Poolsa b2 = lab.start(ApplianceLab.GW_B, lab.writeConfig(ApplianceLab.GW_B, NatLab.dataPath("gb0", "192.0.2.129/26",
                    "l1b", "203.0.113.2/29") + certificateConnection(lab, pki, ApplianceLab.GW_B, "gwb", "CN=gwa",
                    "[203.0.113.2/32]", "[203.0.113.1/32]", "[192.0.2.128/26]", "[192.0.2.0/25]")));
            StrongSwanLab charonA = StrongSwanLab.start(lab, ApplianceLab.GW_A, charonConf(lab, ApplianceLab.GW_A, pki, "gwa", "CN=gwb",
                    "198.51.100.1", "203.0.113.2", "192.0.2.0/26", "192.0.2.128/26", "192.0.2.0/25"));
            charonA.initiate("gw", "lan");
            assertNotNull(charonA.awaitChild("lan", Duration.ofSeconds(20)), () -> logs(b2, charonA));
            traffic(lab, "strongSwan behind the NAT to poolsa, certificates", false, () -> logs(b2, charonA));
            Map<String, Object> ikeBs = StrongSwanIkeInteropTest.ikeSa(b2.status(true), "gw");
            natPort((String) ikeBs.get("remote"));
            assertEquals("203.0.113.1", outbound(ikeBs).get("current_remote"), ikeBs.toString());
            // A CHILD_SA whose claim (192.0.2.0/25) is within the configured pool but beyond charon's certificate.
            assertThrows(IllegalStateException.class, () -> charonA.initiate("gw", "wide"));
            String refusal = b2.awaitLog("is neither in its certificate's subjectAltName", Duration.ofSeconds(10));
            assertTrue(refusal.contains("[192.0.2.64/26]") && refusal.contains("[192.0.2.0/26]"), refusal);
            charonA.stop();
            b2.stop();

            // 3. poolsa behind the NAT initiates to strongSwan, certificates.
            StrongSwanLab charonB = StrongSwanLab.start(lab, ApplianceLab.GW_B, charonConf(lab, ApplianceLab.GW_B, pki, "gwb", "CN=gwa",
                    "203.0.113.2", "203.0.113.1", "192.0.2.128/26", "192.0.2.0/26", null));
            ApplianceLab.Poolsa a3 = lab.start(ApplianceLab.GW_A, lab.writeConfig(ApplianceLab.GW_A, NatLab.dataPath("ga0",
                    "192.0.2.1/26", "l1a", "198.51.100.1/29") + certificateConnection(lab, pki, ApplianceLab.GW_A, "gwa",
                    "CN=gwb", "[198.51.100.1/32]", "[203.0.113.2/32]", "[192.0.2.0/26]", "[192.0.2.128/26]")));
            HostCommands.Result r3 = a3.control("initiate", "gw");
            assertEquals(0, r3.exitCode(), () -> r3.output() + "\n" + logs(a3, charonB));
            traffic(lab, "poolsa behind the NAT to strongSwan, certificates", false, () -> logs(a3, charonB));
            assertEquals("203.0.113.2[4500]", StrongSwanIkeInteropTest.ikeSa(a3.status(true), "gw").get("remote"));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void transportModeBetweenTwoPoolsaHosts() throws Exception {
        try (ApplianceLab lab = ApplianceLab.empty("netns-roles-transport")) {
            Netns h1 = lab.addNamespace(PREFIX, "h1");
            Netns h2 = lab.addNamespace(PREFIX, "h2");
            Netns.veth(h1, "e1", h2, "e2");
            h1.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "e1");
            h2.exec("ip", "addr", "add", "198.51.100.2/29", "dev", "e2");
            ApplianceLab.Poolsa p1 = lab.start("h1", lab.writeConfig("h1", hostConfig(lab, "h1", "e1", "1", "2")));
            ApplianceLab.Poolsa p2 = lab.start("h2", lab.writeConfig("h2", hostConfig(lab, "h2", "e2", "2", "1")));
            ApplianceLab.Capture wire = lab.startCapture("h2", "e2", "ip");
            HostCommands.Result r = p1.control("initiate", "host");
            assertEquals(0, r.exitCode(), () -> r.output() + "\n" + NatLab.logs(p1, p2));
            assertTrue(lab.waitForPing("h1", "198.51.100.1", "198.51.100.2", Duration.ofSeconds(15)), () -> NatLab.logs(p1, p2));
            ApplianceLab.PingResult one = lab.startPing("h1", "198.51.100.1", "198.51.100.2", PINGS, Duration.ofMillis(50)).await();
            ApplianceLab.PingResult two = lab.startPing("h2", "198.51.100.2", "198.51.100.1", PINGS, Duration.ofMillis(50)).await();
            lab.startUdpEcho("h2", "198.51.100.2", 7000);
            lab.startUdpEcho("h1", "198.51.100.1", 7001);
            int toTwo = lab.udpEchoes("h1", "198.51.100.1", "198.51.100.2", 7000, DATAGRAMS, Duration.ofMillis(20));
            int toOne = lab.udpEchoes("h2", "198.51.100.2", "198.51.100.1", 7001, DATAGRAMS, Duration.ofMillis(20));
            System.out.println("[roles] transport mode: pings h1->h2 " + one.received() + "/" + one.transmitted()
                    + ", h2->h1 " + two.received() + "/" + two.transmitted() + ", UDP echoes " + toTwo + "/" + DATAGRAMS
                    + ", " + toOne + "/" + DATAGRAMS);
            assertEquals(PINGS, one.received(), one.output());
            assertEquals(PINGS, two.received(), two.output());
            assertEquals(DATAGRAMS, toTwo, "UDP echoes h1 -> h2");
            assertEquals(DATAGRAMS, toOne, "UDP echoes h2 -> h1");
            // Nothing of it crossed the wire in the clear (the path monitor's probes do, echo requests with 8 bytes of data, IP
            // length 36: they test the path, not the tunnel).
            Path pcap = wire.stop();
            HostCommands.Result t = HostCommands.local().run(List.of("tcpdump", "-n", "-r", pcap.toString(),
                    "(icmp and ip[2:2] != 36) or (udp and (port 7000 or port 7001))"));
            assertTrue(t.ok(), t.output());
            assertEquals("", t.output().lines().filter(l -> !l.startsWith("reading from")).reduce("", (x, y) -> x + y + "\n"));
            // ESP in transport mode, no inner IP header: with AES-GCM-128 a 64-byte echo is 100 bytes of ESP (IP
            // length 120) and a 78-byte UDP echo 120 (IP length 140); in tunnel mode they would be 140 and 160.
            HostCommands.Result lengths = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", "esp",
                    "-T", "fields", "-e", "ip.len"));
            assertTrue(lengths.ok(), lengths.output());
            Map<String, Long> byLength = lengths.output().lines().filter(l -> l.matches("\\d+"))
                    .collect(java.util.stream.Collectors.groupingBy(l -> l, java.util.stream.Collectors.counting()));
            System.out.println("[roles] transport mode: ESP packets on e2 by IP length " + byLength);
            assertTrue(byLength.getOrDefault("120", 0L) >= 4 * PINGS, byLength.toString());
            assertTrue(byLength.getOrDefault("140", 0L) >= 4 * DATAGRAMS, byLength.toString());
            assertTrue(byLength.keySet().stream().allMatch(l -> Integer.parseInt(l) < 160), byLength.toString());
            Map<String, Object> child = StrongSwanIkeInteropTest.ikeChild(p1.status(true), "host");
            Map<String, Object> in = (Map<String, Object>) child.get("inbound");
            assertTrue(((Number) in.get("packets")).longValue() >= PINGS * 2 + DATAGRAMS * 2, child.toString());
        }
    }

    private static String hostConfig(ApplianceLab lab, String host, String dev, String own, String peer) throws Exception {
        return "metrics:\n  listen: \"127.0.0.1:9742\"\n"
                + "data-path:\n  mtu: 1500\n  capture:\n    - interface: lo\n"
                + "  uplinks:\n    - interface: " + dev + "\n      addresses: [198.51.100." + own + "/29]\n"
                + "  sink:\n    interface: psink\n    type: ifb\n"
                + "connections:\n"
                + lab.ikeConnection(host, "host", "[198.51.100." + own + "/32]", "[198.51.100." + peer + "/32]",
                        "[198.51.100." + own + "/32]", "[198.51.100." + peer + "/32]", IKE, ESP, PSK, "start-action: none")
                .replace("mode: tunnel", "mode: transport");
    }

    /**
     * A CA and two gateway certificates (ECDSA P-256, valid from yesterday for 30 days: both products judge by the
     * real clock). gwa's subjectAltName holds its LAN 192.0.2.0/26 only, gwb's its LAN 192.0.2.128/26.
     */
    private static Path pki(Path labDir) throws Exception {
        Path d = Files.createDirectories(labDir.resolve("pki"));
        Instant from = Instant.now().minus(Duration.ofDays(1));
        Instant to = Instant.now().plus(Duration.ofDays(30));
        TestPki.Issued ca = TestPki.cert("CN=poolsa roles CA").keys(TestPki.ec("secp256r1")).ca(-1).validity(from, to)
                .selfSigned();
        TestPki.Issued gwa = TestPki.cert("CN=gwa").keys(TestPki.ec("secp256r1")).validity(from, to)
                .ipNet("192.0.2.0", "255.255.255.192").sign(ca);
        TestPki.Issued gwb = TestPki.cert("CN=gwb").keys(TestPki.ec("secp256r1")).validity(from, to)
                .ipNet("192.0.2.128", "255.255.255.192").sign(ca);
        TestPki.write(d.resolve("ca.pem"), ca.cert());
        TestPki.write(d.resolve("gwa.pem"), gwa.cert());
        TestPki.write(d.resolve("gwa.key"), gwa.key());
        TestPki.write(d.resolve("gwb.pem"), gwb.cert());
        TestPki.write(d.resolve("gwb.key"), gwb.key());
        return d;
    }

    /** An IKE connection "gw" with certificate {@code cert} (copied under the gateway's directory), start-action none. */
    private static String certificateConnection(ApplianceLab lab, Path pki, String gw, String cert, String remoteId,
                                                String localOuter, String remoteOuter, String localProtected,
                                                String remoteProtected) throws Exception {
        Path secrets = Files.createDirectories(lab.dir().resolve(gw).resolve("secrets"));
        Files.setPosixFilePermissions(lab.dir().resolve(gw), PosixFilePermissions.fromString("rwx------"));
        Files.copy(pki.resolve("ca.pem"), secrets.resolve("ca.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pki.resolve(cert + ".pem"), secrets.resolve(cert + ".pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path key = secrets.resolve(cert + ".key");
        Files.copy(pki.resolve(cert + ".key"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return "  gw:\n    mode: tunnel\n    protocol: esp\n"
                + "    local-outer: " + localOuter + "\n    remote-outer: " + remoteOuter + "\n"
                + "    local-protected: " + localProtected + "\n    remote-protected: " + remoteProtected + "\n"
                + "    ike-proposals: [" + IKE + "]\n    esp-proposals: [" + ESP + "]\n    start-action: none\n"
                + "    authentication:\n      certificate: secrets/" + cert + ".pem\n      private-key: secrets/" + cert + ".key\n"
                + "      ca: [secrets/ca.pem]\n      remote-id: \"" + remoteId + "\"\n";
    }

    /**
     * swanctl.conf of a charon in {@code role} with certificate {@code cert} (its files put where swanctl looks): connection "gw" with CHILD_SA "lan", and when
     * {@code wideTs} is given a second CHILD_SA "wide" whose local selector is {@code wideTs}.
     */
    private static String charonConf(ApplianceLab lab, String role, Path pki, String cert, String remoteId, String local, String remote, String localTs,
                                     String remoteTs, String wideTs) throws Exception {
        // swanctl --load-all reads the CA, the certificate and the key from these directories of StrongSwanLab's.
        Path swanctl = lab.dir().resolve("strongswan-" + role).resolve("swanctl");
        for (String[] f : List.of(new String[] {"x509ca", "ca.pem"}, new String[] {"x509", cert + ".pem"},
                new String[] {"pkcs8", cert + ".key"})) {
            Files.copy(pki.resolve(f[1]), Files.createDirectories(swanctl.resolve(f[0])).resolve(f[1]),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return """
                connections {
                    gw {
                        version = 1
                        local_addrs = %s
                        remote_addrs = %s
                        proposals = %s
                        local { auth = pubkey
                                certs = %s
                                id = "CN=%s" }
                        remote { auth = pubkey
                                 id = "%s" }
                        children {
                            lan { local_ts = %s
                                  remote_ts = %s
                                  esp_proposals = %s }
                            %s
                        }
                    }
                }
                """.formatted(local, remote, IKE, cert + ".pem", cert, remoteId, localTs, remoteTs, ESP,
                wideTs == null ? "" : "wide { local_ts = " + wideTs + "\n remote_ts = " + remoteTs + "\n esp_proposals = "
                        + ESP + " }");
    }

    /**
     * Once the tunnel carries a first ping: {@value #PINGS} pings hA -> hB and hB -> hA, and with {@code udp}
     * {@value #DATAGRAMS} UDP datagrams each way to an echo server; every one must come back.
     */
    private static void traffic(ApplianceLab lab, String what, boolean udp, java.util.function.Supplier<String> logs)
            throws Exception {
        assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)),
                () -> what + ": no ping through the tunnel\n" + logs.get());
        ApplianceLab.PingResult ab = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", PINGS,
                Duration.ofMillis(50)).await();
        ApplianceLab.PingResult ba = lab.startPing(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.10", PINGS,
                Duration.ofMillis(50)).await();
        int toB = DATAGRAMS;
        int toA = DATAGRAMS;
        if (udp) {
            lab.startUdpEcho(ApplianceLab.HOST_B, "192.0.2.130", 7000);
            lab.startUdpEcho(ApplianceLab.HOST_A, "192.0.2.10", 7001);
            toB = lab.udpEchoes(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 7000, DATAGRAMS, Duration.ofMillis(20));
            toA = lab.udpEchoes(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.10", 7001, DATAGRAMS, Duration.ofMillis(20));
        }
        System.out.println("[roles] " + what + ": pings hA->hB " + ab.received() + "/" + ab.transmitted() + ", hB->hA "
                + ba.received() + "/" + ba.transmitted() + (udp ? ", UDP echoes hA->hB " + toB + "/" + DATAGRAMS
                + ", hB->hA " + toA + "/" + DATAGRAMS : ""));
        assertEquals(PINGS, ab.received(), () -> what + "\n" + ab.output() + logs.get());
        assertEquals(PINGS, ba.received(), () -> what + "\n" + ba.output() + logs.get());
        int b = toB;
        int a = toA;
        assertEquals(DATAGRAMS, b, () -> what + ": UDP echoes hA -> hB\n" + logs.get());
        assertEquals(DATAGRAMS, a, () -> what + ": UDP echoes hB -> hA\n" + logs.get());
    }

    /** Waits until the IKE SA of {@code connection} has a remote endpoint other than {@code old}; returns it. */
    private static String awaitIkeRemote(ApplianceLab.Poolsa gw, String connection, String old, Duration limit)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String remote;
        do {
            remote = (String) StrongSwanIkeInteropTest.ikeSa(gw.status(true), connection).get("remote");
            if (!remote.equals(old)) {
                return remote;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(gw + " still sends IKE to " + old + " after " + limit + ":\n" + gw.status(false) + gw.log());
    }

    /** The port of "203.0.113.1[PORT]", checked to be a NAT mapping. */
    private static int natPort(String endpoint) {
        Matcher m = ENDPOINT.matcher(endpoint);
        assertTrue(m.matches() && m.group(1).equals("203.0.113.1"), endpoint);
        int port = Integer.parseInt(m.group(2));
        assertTrue(port >= NAT_PORT_LOW && port <= NAT_PORT_HIGH, "not a mapped port: " + endpoint);
        return port;
    }

    /** ESP-in-UDP packets (not IKE: no non-ESP marker, not a keepalive) between port 4500 and {@code port}. */
    private static long espInUdp(Path pcap, int port) throws Exception {
        HostCommands.Result t = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-Y",
                "esp && udp.port == 4500 && udp.port == " + port, "-T", "fields", "-e", "esp.spi"));
        assertTrue(t.ok(), t.output());
        return t.output().lines().filter(l -> l.startsWith("0x")).count();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> outbound(Map<String, Object> ikeSa) {
        List<Object> children = (List<Object>) ikeSa.get("children");
        assertEquals(1, children.size(), ikeSa.toString());
        return (Map<String, Object>) ((Map<String, Object>) children.get(0)).get("outbound");
    }

    private static String logs(ApplianceLab.Poolsa a, StrongSwanLab charon) {
        return StrongSwanIkeInteropTest.logs(a, charon);
    }
}

package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root, tcpdump and tshark: every ISAKMP message two {@code poolsa run} appliances send to each other, in every
 * role, is decoded by tshark without a malformed-packet flag or an expert error, and the encrypted ones decrypt with
 * the keys the engines export under {@code -Dpoolsa.ike.keyExportDir} (test only): each shows its HASH payload.
 * Covered: connection "one" over uplink 1 with ID_LIST pools and the outer-pool notify, initiated by gA, terminated
 * by gA (Informational Deletes), initiated again by gB (so gA answers Main Mode and Quick Mode); connection "two" over
 * uplink 2 with NAT-T forced (UDP/4500 with the non-ESP marker, NAT-D payloads); Deletes at shutdown. The ESP of
 * both (plain and in UDP) is checked with the exported ESP keys too: every packet's ICV verifies.
 */
@Tag("root")
class IkeTsharkNetnsTest {
    static final String PSK = "poolsa-tshark-test-only-psk";

    @Test
    void everyMessageWeSendDecodesAndDecryptsCleanly() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-tshark")) {
            IkePoolPairNetnsTest.secondAddressOnHostB(lab);
            Path keysA = Files.createDirectories(lab.dir().resolve("keys-a"));
            Path keysB = Files.createDirectories(lab.dir().resolve("keys-b"));
            lab.jvmOptions(ApplianceLab.GW_A, "-Dpoolsa.ike.keyExportDir=" + keysA);
            lab.jvmOptions(ApplianceLab.GW_B, "-Dpoolsa.ike.keyExportDir=" + keysB);
            String filter = "udp port 500 or udp port 4500 or esp";
            ApplianceLab.Capture cap1 = lab.startCapture(ApplianceLab.GW_A, "l1a", filter);
            ApplianceLab.Capture cap2 = lab.startCapture(ApplianceLab.GW_A, "l2a", filter);
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, config(lab, ApplianceLab.GW_B));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, config(lab, ApplianceLab.GW_A));
            assertEquals(0, a.control("initiate", "one").exitCode(), a.log());
            long replies = ping(lab, "192.0.2.10", "192.0.2.130");
            assertEquals(0, a.control("terminate", "one").exitCode(), a.log());
            assertEquals(0, b.control("initiate", "one").exitCode(), b.log());
            replies += ping(lab, "192.0.2.10", "192.0.2.130");
            assertEquals(0, a.control("initiate", "two").exitCode(), a.log());
            replies += ping(lab, "192.0.2.74", "192.0.2.200");
            b.stop();
            a.stop();
            List<Path> pcaps = List.of(cap1.stop(), cap2.stop());

            // One tshark configuration directory with both sides' keys.
            Path keys = Files.createDirectories(lab.dir().resolve("keys"));
            for (String table : List.of("ikev1_decryption_table", "esp_sa")) {
                for (Path side : List.of(keysA, keysB)) {
                    Files.write(keys.resolve(table), Files.readAllBytes(side.resolve(table)), StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                }
            }
            Set<String> poolsa = Set.of("198.51.100.1", "198.51.100.2", "203.0.113.1", "203.0.113.2");
            Map<Integer, Integer> byType = new TreeMap<>();
            int onNatT = 0;
            long good = 0;
            for (Path pcap : pcaps) {
                for (Tshark.Ike m : Tshark.ike(pcap, keys)) {
                    assertTrue(poolsa.contains(m.source()), "only poolsa speaks here: " + m);
                    assertFalse(m.malformed(), () -> "malformed: " + m);
                    assertTrue(m.maxSeverity() < Tshark.SEVERITY_ERROR, () -> "expert error: " + m);
                    if (m.encrypted()) {
                        assertTrue(List.of(m.payloads().split(",")).contains("8"), () -> "not decrypted (no HASH): " + m);
                    }
                    byType.merge(m.exchangeType(), 1, Integer::sum);
                }
                onNatT += Tshark.fields(pcap, keys, "isakmp && udp.port == 4500", "isakmp.exchangetype").size();
                // The ESP (plain on uplink 1, in UDP on uplink 2) authenticates with the exported keys.
                List<String[]> esp = Tshark.espChecked(pcap, keys);
                good += esp.stream().filter(f -> f[1].equals("1")).count();
                assertEquals(0, esp.stream().filter(f -> !f[1].equals("1")).count(), "ESP packets not verified in " + pcap);
            }
            // Three Main Modes (6 each), three Quick Modes (3 each), Deletes from terminate and shutdown.
            assertEquals(18, byType.getOrDefault(2, 0), byType.toString());
            assertEquals(9, byType.getOrDefault(32, 0), byType.toString());
            assertTrue(byType.getOrDefault(5, 0) >= 3, byType.toString());
            assertEquals(Set.of(2, 5, 32), byType.keySet(), "no other exchange: " + byType);
            assertTrue(onNatT >= 4 + 3, "Main Mode 5/6 and Quick Mode of 'two' on UDP/4500: " + onNatT);
            assertTrue(good >= 2 * replies, "ESP packets whose ICV tshark verified: " + good + " for " + replies + " pings");
            Files.writeString(lab.dir().resolve("summary.txt"), byType + "\n", StandardCharsets.UTF_8);
        }
    }

    private static long ping(ApplianceLab lab, String src, String dst) throws Exception {
        ApplianceLab.PingResult r = lab.startPing(ApplianceLab.HOST_A, src, dst, 10, Duration.ofMillis(50)).await();
        assertTrue(r.received() >= 9, r.output());
        return r.received();
    }

    /**
     * Connection "one": uplink 1 only, hA's first range plus one more to hB's first plus one more (ID_LIST pools).
     * Connection "two": uplink 2 only, the second ranges, NAT-T forced. Main Mode with a pre-shared key is keyed by
     * the peer's address (RFC 2409 §5.4), so two connections to one peer address share their IKE SA; on two address
     * pairs each gets its own.
     */
    static Path config(ApplianceLab lab, String gw) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        String oneA = "[192.0.2.0/27, 198.51.100.64/27]";
        String oneB = "[192.0.2.128/27, 203.0.113.64/27]";
        String twoA = "[192.0.2.64/27]";
        String twoB = "[192.0.2.192/27]";
        return lab.writeConfig(gw, ApplianceLab.dataPathYaml(gw)
                + lab.ikeConnection(gw, "one", a ? "[198.51.100.1/32]" : "[198.51.100.2/32]",
                a ? "[198.51.100.2/32]" : "[198.51.100.1/32]", a ? oneA : oneB, a ? oneB : oneA,
                "aes128-sha256-modp2048", "aes128gcm16-modp2048", PSK, "start-action: none")
                + lab.ikeConnection(gw, "two", a ? "[203.0.113.1/32]" : "[203.0.113.2/32]",
                a ? "[203.0.113.2/32]" : "[203.0.113.1/32]", a ? twoA : twoB, a ? twoB : twoA,
                "aes256-sha1-modp1024", "aes128-sha256-modp1024", PSK, "start-action: none", "udp-encapsulation: {}"));
    }
}

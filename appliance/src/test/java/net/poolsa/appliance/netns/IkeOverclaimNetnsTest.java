package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.poolsa.esp.divert.HostCommands;

/**
 * Needs root, tcpdump and tshark: configuration is policy, the exchange is the claim (RFC 3554 §4). gB is configured
 * to overclaim: its local-protected [192.0.2.128/25] is larger than gA's remote-protected [192.0.2.128/27]. gB's
 * Quick Mode is refused by gA with INVALID-ID-INFORMATION (the notify read from the capture, decrypted with gA's
 * test-only key export), gA's log line names both pools, no child SA is installed on either side, and gA counts one
 * refused Quick Mode. The same two appliances negotiate once gB claims what it was given (SIGHUP), so the claim was
 * the only reason.
 */
@Tag("root")
class IkeOverclaimNetnsTest {
    static final String PSK = "poolsa-overclaim-test-only-psk";
    static final Pattern REFUSAL = Pattern.compile("^.*192\\.0\\.2\\.128/25.*192\\.0\\.2\\.128/27.*$", Pattern.MULTILINE);

    static String yaml(ApplianceLab lab, String gw, String bLocal) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        return ApplianceLab.dataPathYaml(gw) + lab.ikeConnection(gw, "claim",
                a ? "[198.51.100.1/32]" : "[198.51.100.2/32]", a ? "[198.51.100.2/32]" : "[198.51.100.1/32]",
                a ? "[192.0.2.0/26]" : bLocal, a ? "[192.0.2.128/27]" : "[192.0.2.0/26]",
                "aes128-sha256-modp2048", "aes128gcm16-modp2048", PSK, "start-action: none");
    }

    @Test
    void aPeerClaimingMoreThanItsPoolIsRefusedWithInvalidIdInformation() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-overclaim")) {
            Path keys = Files.createDirectories(lab.dir().resolve("keys"));
            lab.jvmOptions(ApplianceLab.GW_A, "-Dpoolsa.ike.keyExportDir=" + keys);
            ApplianceLab.Capture cap = lab.startCapture(ApplianceLab.GW_A, "l1a", "udp port 500 or udp port 4500");
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, lab.writeConfig(ApplianceLab.GW_A,
                    yaml(lab, ApplianceLab.GW_A, null)));
            Path cfgB = lab.writeConfig(ApplianceLab.GW_B, yaml(lab, ApplianceLab.GW_B, "[192.0.2.128/25]"));
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, cfgB);

            HostCommands.Result r = b.control("initiate", "claim");
            assertEquals(9, r.exitCode(), "initiate refused by the running instance: " + r.output());
            assertTrue(r.output().contains("INVALID-ID-INFORMATION"), r.output());
            String logA = a.log();
            Matcher line = REFUSAL.matcher(logA);
            assertTrue(line.find(), () -> "no log line naming the claimed and the configured pool:\n" + logA);
            assertTrue(line.group().contains("INVALID-ID-INFORMATION") || line.group().contains("invalid_id"), line.group());
            assertEquals(1, a.metric("poolsa_ike_exchanges_total{exchange=\"quick_mode\",result=\"refused\",version=\"1\",}"));
            assertEquals(0, a.metric("poolsa_ike_exchanges_total{exchange=\"quick_mode\",result=\"success\",version=\"1\",}"));
            assertEquals(0, childSas(a.status(true)), "no child SA on gA");
            assertEquals(0, childSas(b.status(true)), "no child SA on gB");

            // On the wire: gA's encrypted Informational carries notify 18 (INVALID-ID-INFORMATION).
            Path pcap = cap.stop();
            List<String[]> notifies = Tshark.fields(pcap, keys, "isakmp.exchangetype == 5 && ip.src == 198.51.100.1",
                    "isakmp.notify.msgtype");
            assertTrue(notifies.stream().anyMatch(f -> List.of(f[0].split(",")).contains("18")),
                    () -> "no INVALID-ID-INFORMATION from gA: " + notifies.stream().map(f -> String.join("|", f)).toList());

            // gB claiming what gA gave it: the same pair of appliances negotiates.
            Files.writeString(cfgB, yaml(lab, ApplianceLab.GW_B, "[192.0.2.128/27]"));
            assertTrue(b.reload().contains("event=reloaded"), b.log());
            HostCommands.Result ok = b.control("initiate", "claim");
            assertEquals(0, ok.exitCode(), ok.output());
            assertEquals(1, childSas(a.status(true)));
        }
    }

    @SuppressWarnings("unchecked")
    static int childSas(String statusJson) throws Exception {
        int n = 0;
        java.util.Map<String, Object> s = (java.util.Map<String, Object>) net.poolsa.appliance.control.Json.parse(statusJson);
        for (Object c : (List<Object>) s.get("connections")) {
            Object sas = ((java.util.Map<String, Object>) c).get("ike_sas");
            for (Object sa : sas == null ? List.of() : (List<Object>) sas) {
                n += ((List<Object>) ((java.util.Map<String, Object>) sa).get("children")).size();
            }
        }
        return n;
    }
}

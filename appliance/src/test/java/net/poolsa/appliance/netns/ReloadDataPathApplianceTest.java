package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * Needs root, tcpdump and tshark. A reload reaches the data plane of a running {@code poolsa run} pair: a connection
 * added by SIGHUP, whose SAs run between the gateways' IPv6 uplink addresses (peers nobody probed before) and protect
 * a new remote pool (203.0.113.128/28 behind gB), carries traffic at once: its outbound SA got an outer address, its
 * pool is routed into the sink, its peers are probed. Then the first connection is removed by SIGHUP: its routes in
 * table 2048 and its inbound-policy rules are gone, its peers are no longer probed, and the other connection still
 * carries traffic.
 */
@Tag("root")
class ReloadDataPathApplianceTest {
    private static final int SPI_EXTRA_AB = 0x0000a002;
    private static final int SPI_EXTRA_BA = 0x0000b002;

    @Test
    void connectionsAddedAndRemovedBySighupReachTheDataPlane() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-reload-data-path")) {
            lab.exec(ApplianceLab.HOST_B, List.of("ip", "addr", "add", "203.0.113.130/28", "dev", "hb0"), Duration.ofSeconds(10));
            lab.exec(ApplianceLab.GW_B, List.of("ip", "addr", "add", "203.0.113.129/28", "dev", "gb0"), Duration.ofSeconds(10));
            lab.exec(ApplianceLab.HOST_A, List.of("ip", "route", "add", "203.0.113.128/28", "via", "192.0.2.1", "dev", "ha0"),
                    Duration.ofSeconds(10));
            ApplianceLab.Keys demoKeys = ApplianceLab.Keys.random();
            ApplianceLab.Keys extraKeys = ApplianceLab.Keys.random();
            String demoA = lab.standardConnection(ApplianceLab.GW_A, "demo", demoKeys);
            String demoB = lab.standardConnection(ApplianceLab.GW_B, "demo", demoKeys);
            String extraA = extra(lab, ApplianceLab.GW_A, extraKeys);
            String extraB = extra(lab, ApplianceLab.GW_B, extraKeys);
            Path cfgA = lab.writeConfig(ApplianceLab.GW_A, ApplianceLab.dataPathYaml(ApplianceLab.GW_A) + demoA);
            Path cfgB = lab.writeConfig(ApplianceLab.GW_B, ApplianceLab.dataPathYaml(ApplianceLab.GW_B) + demoB);
            ApplianceLab.Poolsa gwA = lab.start(ApplianceLab.GW_A, cfgA);
            ApplianceLab.Poolsa gwB = lab.start(ApplianceLab.GW_B, cfgB);
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(30)),
                    "the first connection did not come up");

            // Add "extra" on both gateways by SIGHUP.
            lab.writeConfig(ApplianceLab.GW_B, ApplianceLab.dataPathYaml(ApplianceLab.GW_B) + demoB + extraB);
            lab.writeConfig(ApplianceLab.GW_A, ApplianceLab.dataPathYaml(ApplianceLab.GW_A) + demoA + extraA);
            assertTrue(gwB.reload().contains("event=reloaded added=1 removed=0"), gwB.log());
            assertTrue(gwA.reload().contains("event=reloaded added=1 removed=0"), gwA.log());
            ApplianceLab.Capture cap = lab.startCapture(ApplianceLab.GW_A, "l1a", "ip6");
            ApplianceLab.PingResult added = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "203.0.113.130", 20,
                    Duration.ofMillis(100)).await();
            Map<String, Integer> onL1 = ipv6Packets(cap.stop());
            assertTrue(added.received() >= 18, () -> "through the added connection:\n" + added.output());
            assertTrue(onL1.getOrDefault("esp " + hex(SPI_EXTRA_AB) + " 2001:db8:100:1::1", 0) >= 18, onL1.toString());
            // Its peers are probed from the start: path probes (echo with poolsa's identifier) to gB's IPv6 addresses.
            assertTrue(onL1.getOrDefault("probe 2001:db8:100:1::1 -> 2001:db8:100:1::2", 0) >= 5, onL1.toString());
            assertTrue(routes(lab, "-4").contains("203.0.113.128/28 dev psink"), routes(lab, "-4"));
            assertTrue(inboundRules(lab).contains("ip saddr 203.0.113.128/28 ip daddr 192.0.2.0/25"), inboundRules(lab));

            // Remove "demo" on both gateways by SIGHUP.
            lab.writeConfig(ApplianceLab.GW_B, ApplianceLab.dataPathYaml(ApplianceLab.GW_B) + extraB);
            lab.writeConfig(ApplianceLab.GW_A, ApplianceLab.dataPathYaml(ApplianceLab.GW_A) + extraA);
            assertTrue(gwB.reload().contains("event=reloaded added=0 removed=1"), gwB.log());
            assertTrue(gwA.reload().contains("event=reloaded added=0 removed=1"), gwA.log());
            String v4 = routes(lab, "-4");
            String v6 = routes(lab, "-6");
            assertFalse(v4.contains("192.0.2.128/25"), v4);
            assertFalse(v6.contains("2001:db8:2::/64"), v6);
            assertTrue(v4.contains("203.0.113.128/28 dev psink"), v4);
            String rules = inboundRules(lab);
            assertFalse(rules.contains("192.0.2.128/25"), rules);
            assertFalse(rules.contains("2001:db8:2::/64"), rules);
            assertTrue(rules.contains("ip saddr 203.0.113.128/28 ip daddr 192.0.2.0/25"), rules);
            ApplianceLab.Capture v4cap = lab.startCapture(ApplianceLab.GW_A, "l1a", "icmp");
            ApplianceLab.PingResult kept = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "203.0.113.130", 20,
                    Duration.ofMillis(100)).await();
            Path v4pcap = v4cap.stop();
            assertTrue(kept.received() >= 18, () -> "through the connection kept:\n" + kept.output());
            assertEquals(List.of(), probesTo(v4pcap, "198.51.100.2"), "probes to a peer of the removed connection");
        }
    }

    /** Connection "extra": IPv6 outer pools (both uplinks), 192.0.2.0/25 on gA's side, 203.0.113.128/28 on gB's. */
    private static String extra(ApplianceLab lab, String gw, ApplianceLab.Keys k) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        lab.writeSecret(gw, "extra.enc-in", a ? k.encBa() : k.encAb());
        lab.writeSecret(gw, "extra.enc-out", a ? k.encAb() : k.encBa());
        lab.writeSecret(gw, "extra.int-in", a ? k.intBa() : k.intAb());
        lab.writeSecret(gw, "extra.int-out", a ? k.intAb() : k.intBa());
        String mine = a ? "[2001:db8:100:1::1/128, 2001:db8:100:2::1/128]" : "[2001:db8:100:1::2/128, 2001:db8:100:2::2/128]";
        String theirs = a ? "[2001:db8:100:1::2/128, 2001:db8:100:2::2/128]" : "[2001:db8:100:1::1/128, 2001:db8:100:2::1/128]";
        return "  extra:\n    mode: tunnel\n    protocol: esp\n"
                + "    local-outer: " + mine + "\n    remote-outer: " + theirs + "\n"
                + "    local-protected: [" + (a ? "192.0.2.0/25" : "203.0.113.128/28") + "]\n"
                + "    remote-protected: [" + (a ? "203.0.113.128/28" : "192.0.2.0/25") + "]\n"
                + "    manual:\n"
                + String.format("      spi-in: 0x%08x\n      spi-out: 0x%08x\n", a ? SPI_EXTRA_BA : SPI_EXTRA_AB,
                        a ? SPI_EXTRA_AB : SPI_EXTRA_BA)
                + "      encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n"
                + "      encryption-key-in: secrets/extra.enc-in\n      encryption-key-out: secrets/extra.enc-out\n"
                + "      integrity-key-in: secrets/extra.int-in\n      integrity-key-out: secrets/extra.int-out\n";
    }

    private static String hex(int spi) {
        return String.format("0x%08x", spi);
    }

    private static String routes(ApplianceLab lab, String family) throws Exception {
        return lab.exec(ApplianceLab.GW_A, List.of("ip", family, "route", "show", "table", "2048"), Duration.ofSeconds(10));
    }

    private static String inboundRules(ApplianceLab lab) throws Exception {
        return lab.exec(ApplianceLab.GW_A, List.of("nft", "list", "chain", "inet", "poolsa", "inbound_policy"),
                Duration.ofSeconds(10));
    }

    /** IPv6 packets by kind: "esp SPI SOURCE" or "probe SOURCE -> DESTINATION" (echo requests with poolsa's identifier). */
    private static Map<String, Integer> ipv6Packets(Path pcap) {
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-T", "fields",
                "-e", "esp.spi", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "icmpv6.type", "-e", "icmpv6.echo.identifier"));
        assertTrue(r.ok(), r.output());
        Map<String, Integer> m = new TreeMap<>();
        for (String l : r.output().split("\n")) {
            String[] f = l.split("\t", -1);
            if (f.length < 5) {
                continue;
            }
            if (!f[0].isEmpty()) {
                m.merge("esp " + f[0] + " " + f[1], 1, Integer::sum);
            } else if (f[3].equals("128") && f[4].equals("0x5053")) {
                m.merge("probe " + f[1] + " -> " + f[2], 1, Integer::sum);
            }
        }
        return m;
    }

    /** Echo requests with poolsa's identifier to {@code peer} in the capture. */
    private static List<String> probesTo(Path pcap, String peer) {
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-T", "fields",
                "-Y", "icmp.type == 8 && icmp.ident == 0x5053 && ip.dst == " + peer, "-e", "frame.number"));
        assertTrue(r.ok(), r.output());
        return r.output().lines().filter(l -> !l.isBlank() && !l.startsWith("Running as")).toList();
    }
}

package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.pipeline.DataPlaneConfig;

/**
 * Needs root (namespaces, raw sockets, libpcap) and tcpdump/tshark: two {@code poolsa run} appliances on the standard
 * configuration of {@link ApplianceLab} carry IPv4 and IPv6 pings from both of the dual-homed client's addresses, and
 * the uplink in use carries nothing but ESP of the one SA pair (plus the ICMP path probes between outer addresses).
 * Both run the default number of event loops (one per core, at most 4) and say so in their start line.
 */
@Tag("root")
class ApplianceLabTest {
    @Test
    void standardPoolSaPairCarriesBothFamiliesFromBothClientAddresses() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-appliance-lab")) {
            ApplianceLab.Keys keys = ApplianceLab.Keys.random();
            Path cfgA = lab.standardConfig(ApplianceLab.GW_A, keys);
            Path cfgB = lab.standardConfig(ApplianceLab.GW_B, keys);
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, cfgA);
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, cfgB);
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(20)),
                    "the tunnel did not come up");
            // Link 1 is the first pair of the pools, where their first placement puts the SAs even when link 2 answers
            // first. On a host so loaded that the event loop stalls for longer than the busy detection time, a working
            // link 1 can still be declared down (seen in this test at a load of 25) and the SAs come back after the
            // hysteresis, which this waits for.
            assertTrue(a.awaitOutbound("demo", "198.51.100.1", "198.51.100.2", Duration.ofSeconds(20)), a.log());
            assertTrue(b.awaitOutbound("demo", "198.51.100.2", "198.51.100.1", Duration.ofSeconds(20)), b.log());
            // The standard configuration leaves data-path.event-loops out: one loop per core, at most 4.
            for (ApplianceLab.Poolsa p : List.of(a, b)) {
                assertEquals(1, p.logLines("event=data_path_started .* event_loops=" + DataPlaneConfig.defaultEventLoops() + "\\b")
                        .size(), p.log());
            }
            ApplianceLab.Capture cap = lab.startCapture(ApplianceLab.GW_A, "l1a", "ip or ip6");
            List<ApplianceLab.Ping> pings = List.of(
                    lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 20, Duration.ofMillis(50)),
                    lab.startPing(ApplianceLab.HOST_A, "192.0.2.74", "192.0.2.130", 20, Duration.ofMillis(50)),
                    lab.startPing(ApplianceLab.HOST_A, "2001:db8:1::10", "2001:db8:2::10", 20, Duration.ofMillis(50)),
                    lab.startPing(ApplianceLab.HOST_A, "2001:db8:3::10", "2001:db8:2::10", 20, Duration.ofMillis(50)));
            for (ApplianceLab.Ping p : pings) {
                ApplianceLab.PingResult r = p.await();
                assertEquals(20, r.transmitted(), r.output());
                assertTrue(r.received() >= 18, () -> "fewer than 18 of 20 replies:\n" + r.output());
            }
            Path pcap = cap.stop();
            HostCommands.Result t = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-T", "fields",
                    "-e", "ip.proto", "-e", "esp.spi", "-e", "icmp.type"));
            assertTrue(t.ok(), t.output());
            Set<String> spis = new TreeSet<>();
            int esp = 0;
            for (String line : t.output().split("\n")) {
                String[] f = line.split("\t", -1);
                if (line.isBlank() || line.startsWith("Running as") || f.length < 3) {
                    continue;
                }
                if (f[0].equals("50")) {
                    esp++;
                    spis.add(f[1]);
                } else {
                    // Only the path probes (ICMP echo request 8 / reply 0 between outer addresses) travel in the clear.
                    assertTrue(f[0].equals("1") && (f[2].equals("8") || f[2].equals("0")), () -> "cleartext on the uplink: " + line);
                }
            }
            assertTrue(esp >= 4 * 18 * 2, "ESP packets on l1: " + esp);
            assertEquals(Set.of(String.format("0x%08x", ApplianceLab.SPI_AB), String.format("0x%08x", ApplianceLab.SPI_BA)), spis);
        }
    }
}

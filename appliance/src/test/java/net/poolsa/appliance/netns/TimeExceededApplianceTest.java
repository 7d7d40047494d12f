package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.poolsa.esp.divert.HostCommands;

/**
 * Needs root (namespaces, raw sockets, libpcap): the product forwards decapsulated packets as a router does. hA's TTL
 * 2 leaves gA's kernel with 1, so gB, which decapsulates and would forward, answers ICMP time exceeded from its inside
 * address (the first capture-interface address, 192.0.2.129), sealed back through the tunnel; TTL 3 reaches hB; IPv6
 * hop limits likewise.
 */
@Tag("root")
class TimeExceededApplianceTest {
    @Test
    void aPacketWhoseTtlRunsOutBehindTheTunnelIsAnsweredWithTimeExceeded() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-time-exceeded")) {
            ApplianceLab.Keys keys = ApplianceLab.Keys.random();
            Path cfgA = lab.standardConfig(ApplianceLab.GW_A, keys);
            Path cfgB = lab.standardConfig(ApplianceLab.GW_B, keys);
            lab.start(ApplianceLab.GW_A, cfgA);
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, cfgB);
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(30)),
                    "the tunnel did not come up");
            HostCommands.Result ttl2 = lab.ns(ApplianceLab.HOST_A).tryExec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    "-t", "2", "-I", "192.0.2.10", "192.0.2.130");
            assertEquals(3, ttl2.output().lines().filter(l -> l.contains("From 192.0.2.129") && l.contains("Time to live exceeded")).count(),
                    ttl2.output());
            HostCommands.Result ttl3 = lab.ns(ApplianceLab.HOST_A).tryExec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    "-t", "3", "-I", "192.0.2.10", "192.0.2.130");
            assertTrue(ttl3.ok() && ttl3.output().contains(" 0% packet loss"), ttl3.output());
            HostCommands.Result hop2 = lab.ns(ApplianceLab.HOST_A).tryExec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    "-t", "2", "-I", "2001:db8:1::10", "2001:db8:2::10");
            assertEquals(3, hop2.output().lines().filter(l -> l.contains("From 2001:db8:2::1") && l.contains("Time exceeded")).count(),
                    hop2.output());
            assertTrue(b.metric("poolsa_drops_total{reason=\"ttl_expired\",}") >= 6, b.metrics());
        }
    }
}

package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import net.poolsa.esp.divert.HostCommands;

/**
 * Needs root, scapy ({@code /usr/bin/python3}), tcpdump and tshark. What reaches the uplink captures of a
 * {@code poolsa run} pair whose pool SAs are UDP-encapsulated (RFC 3948) over uplinks with an MTU of 1280 (the
 * least the configuration takes): large pings whose outer packets are fragmented, ESP and AH behind IPv6
 * extension headers, and a lone fragment that must time out without any further fragment arriving. Each test reads the counters before and after, so the order of
 * the tests does not matter.
 */
@Tag("root")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FragmentsApplianceTest {
    private static final int MTU = 1280;
    private ApplianceLab lab;
    private ApplianceLab.Poolsa gwA;
    private String l1a;

    @BeforeAll
    void start() throws Exception {
        lab = ApplianceLab.create("netns-fragments");
        for (String[] link : new String[][] {{ApplianceLab.GW_A, "l1a"}, {ApplianceLab.GW_A, "l2a"}, {ApplianceLab.GW_B, "l1b"},
                {ApplianceLab.GW_B, "l2b"}}) {
            lab.exec(link[0], List.of("ip", "link", "set", link[1], "mtu", Integer.toString(MTU)), Duration.ofSeconds(10));
        }
        ApplianceLab.Keys keys = ApplianceLab.Keys.random();
        gwA = lab.start(ApplianceLab.GW_A, natT(ApplianceLab.GW_A, keys));
        lab.start(ApplianceLab.GW_B, natT(ApplianceLab.GW_B, keys));
        assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(30)),
                "the tunnel did not come up");
        l1a = Scapy.mac(lab, ApplianceLab.GW_A, "l1a");
    }

    @AfterAll
    void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    /** The standard connection with UDP encapsulation, and the data path's MTU at the uplinks' 1280. */
    private Path natT(String gw, ApplianceLab.Keys keys) throws Exception {
        String connection = lab.standardConnection(gw, "demo", keys)
                .replace("    manual:\n", "    udp-encapsulation:\n      local-port: 4500\n      remote-port: 4500\n    manual:\n");
        return lab.writeConfig(gw, ApplianceLab.dataPathYaml(gw).replace("mtu: 1500", "mtu: " + MTU) + connection);
    }

    /**
     * 3000-byte pings: hA fragments them to 1500, each fragment grows past 1280 in ESP-in-UDP, and the gateways
     * fragment the outer packets; only the first fragment of each carries the UDP header with port 4500.
     */
    @Test
    void fragmentedEspInUdpIsReassembled() throws Exception {
        ApplianceLab.Capture cap = lab.startCapture(ApplianceLab.GW_A, "l1a", "ip[6:2] & 0x1fff != 0");
        HostCommands.Result ping = lab.ns(ApplianceLab.HOST_A).tryExec("ping", "-n", "-M", "dont", "-s", "3000", "-c", "10",
                "-i", "0.2", "-W", "2", "-I", "192.0.2.10", "192.0.2.130");
        Path pcap = cap.stop();
        assertTrue(ping.output().contains("10 packets transmitted, 10 received")
                || ping.output().contains("10 packets transmitted, 9 received"), ping.output());
        HostCommands.Result t = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-T", "fields",
                "-e", "ip.src", "-e", "ip.proto"));
        assertTrue(t.ok(), t.output());
        long fromB = t.output().lines().filter(l -> l.equals("198.51.100.2\t17")).count();
        // Each reply is 2 inner fragments of 1500 (+ a small one) whose outer packets each make one non-first fragment.
        assertTrue(fromB >= 18, "non-first UDP fragments from gB on l1: " + fromB + "\n" + t.output());
    }

    /** ESP behind Destination Options and AH behind Hop-by-Hop (RFC 8200 §4.1) reach the SAD and are counted. */
    @Test
    void ipsecBehindIpv6ExtensionHeadersIsCounted() throws Exception {
        double before = gwA.metric("poolsa_drops_total{reason=\"unknown_spi\"}");
        Scapy.send(lab, ApplianceLab.GW_B, "l1b", l1a, "[IPv6(src='2001:db8:100:1::2', dst='2001:db8:100:1::1')"
                + " / IPv6ExtHdrDestOpt() / ESP(spi=0x7e570001, seq=1) / Raw(b'x' * 64),"
                + " IPv6(src='2001:db8:100:1::2', dst='2001:db8:100:1::1') / IPv6ExtHdrHopByHop()"
                + " / AH(spi=0x7e570002, seq=1, nh=59, icv=b'\\0' * 12)]", 3);
        double after = before;
        for (int i = 0; i < 20 && after < before + 6; i++) {
            Thread.sleep(250);
            after = gwA.metric("poolsa_drops_total{reason=\"unknown_spi\"}");
        }
        assertEquals(6, after - before, "ESP and AH packets with an unknown SPI counted");
    }

    /** One fragment of an ESP packet, and nothing after it: dropped and counted once the reassembly timeout passes. */
    @Test
    void aLoneFragmentExpiresOnTheTimer() throws Exception {
        double before = gwA.metric("poolsa_drops_total{reason=\"reassembly_failed\"}");
        Scapy.send(lab, ApplianceLab.GW_B, "l1b", l1a,
                "IP(src='198.51.100.2', dst='198.51.100.1', id=4242, flags='MF', proto=50) / Raw(b'\\x7e\\x57\\0\\x03' + b'x' * 60)", 1);
        double after = before;
        // The timeout is 5 s (Pipelines.REASSEMBLY_TIMEOUT_NANOS); allow for the timer period and the scrape.
        for (int i = 0; i < 40 && after == before; i++) {
            Thread.sleep(250);
            after = gwA.metric("poolsa_drops_total{reason=\"reassembly_failed\"}");
        }
        assertEquals(1, after - before, "lone fragment expired");
    }
}

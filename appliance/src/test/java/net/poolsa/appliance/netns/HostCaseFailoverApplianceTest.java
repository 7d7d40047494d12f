package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root, tcpdump and tshark. The host case (the paper's Fig. 10): {@code poolsa run} on the dual-homed client
 * itself, whose two addresses are its outer pool and its protected pool, and on its gateway. The client pings the
 * server behind the gateway from the address of its first link; that link goes down. The client moves its SA in the
 * event's turn (local_event), the gateway moves too (once), and the ping goes on from the same address, inside the same
 * SAs, over l2, without IKE. Before that, the client's probes of both paths were answered: the gateway's replies to them
 * are not diverted into its sink although the client's addresses are its remote protected pool.
 */
@Tag("root")
class HostCaseFailoverApplianceTest {
    @Test
    void theClientsOwnLinkGoesDownAndItsTrafficStaysInTheSameSas() throws Exception {
        try (ApplianceLab lab = ApplianceLab.createHostCase("netns-failover-host")) {
            ApplianceLab.Keys keys = ApplianceLab.Keys.random();
            Path cfgC = lab.writeConfig(ApplianceLab.CLIENT, lab.hostCaseConfig(ApplianceLab.CLIENT, keys, ""));
            Path cfgG = lab.writeConfig(ApplianceLab.GATEWAY, lab.hostCaseConfig(ApplianceLab.GATEWAY, keys, ""));
            ApplianceLab.Poolsa client = lab.start(ApplianceLab.CLIENT, cfgC);
            ApplianceLab.Poolsa gateway = lab.start(ApplianceLab.GATEWAY, cfgG);
            assertTrue(lab.waitForPing(ApplianceLab.CLIENT, "198.51.100.1", "192.0.2.130", Duration.ofSeconds(30)),
                    "the tunnel did not come up");
            ApplianceLab.Capture l2 = lab.startCapture(ApplianceLab.CLIENT, "l2c", "ip");
            ApplianceLab.Ping ping = lab.startPing(ApplianceLab.CLIENT, "198.51.100.1", "192.0.2.130", 150, Duration.ofMillis(20));
            Thread.sleep(1000);
            lab.exec(ApplianceLab.CLIENT, List.of("ip", "link", "set", "l1c", "down"), Duration.ofSeconds(10));
            ApplianceLab.PingResult r = ping.await();
            Path pcap = l2.stop();

            // The client moves once, on its own link's event or on the gateway's first packet over l2 if that is read
            // first: the gateway sees its carrier go at the same instant and announces its move at once, and an epoll
            // loop may read that packet before it runs the link event's task (seen in CI: peer_moved after 19.9 ms).
            // Never by a probe timeout: the cut is known at once.
            assertEquals(1, client.metric("poolsa_path_switches_total{cause=\"local_event\"}")
                    + client.metric("poolsa_path_switches_total{cause=\"peer_moved\"}"), client.log());
            assertEquals(0, client.metric("poolsa_path_switches_total{cause=\"probe_timeout\"}"));
            // The gateway moves once, whatever told it first: its carrier loss, the client's first packet over l2, or,
            // on a loaded host, the detection time of the path that stopped answering.
            double gatewaySwitches = 0;
            for (String cause : List.of("local_event", "peer_moved", "probe_timeout", "switch_back")) {
                gatewaySwitches += gateway.metric("poolsa_path_switches_total{cause=\"" + cause + "\"}");
            }
            assertEquals(1, gatewaySwitches, gateway.log());
            assertEquals(1, gateway.metric("poolsa_tunnel_path_active{connection=\"host\",path=\"203.0.113.1/32\",side=\"remote\"}"));
            // The gateway's own echo replies to the client's probes (to addresses of its remote protected pool) leave
            // marked, not diverted into the sink, where no outbound policy would match them.
            assertEquals(0, gateway.metric("poolsa_drops_total{reason=\"policy_discard\"}"), gateway.log());
            assertTrue(r.received() >= 135, () -> "fewer than 135 of 150 replies across the cut:\n" + r.output());
            FailoverApplianceTest.Tunnel t = FailoverApplianceTest.tunnel(pcap);
            assertEquals(Set.of(FailoverApplianceTest.hex(ApplianceLab.SPI_AB), FailoverApplianceTest.hex(ApplianceLab.SPI_BA)), t.spis());
            assertTrue(t.esp() >= 2 * 40, "ESP on l2 after the cut: " + t.esp());
            assertEquals(0, t.ike(), "IKE packets");
        }
    }
}

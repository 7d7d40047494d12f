package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.divert.HostDivert;
import net.poolsa.esp.divert.InboundPolicyRules;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root, nft, tcpdump and tshark. The inbound-policy rules in a real kernel (RFC 4301 §5.2, SPD order of
 * §4.4.1): a peer namespace sends cleartext over the uplink of a gateway namespace whose divert holds an SPD with
 * an inbound PROTECT, a narrower BYPASS, a DISCARD and a PROTECT of the gateway's own outer pool (the host case).
 * What the LAN host behind the gateway captures, and the gateway's counters, show each verdict. No data plane
 * runs: this checks the rules themselves. Namespaces are removed in finally.
 *
 * <pre>
 * peer 198.51.100.2/24 (+ 192.0.2.130, 203.0.113.5) -- up1 | up0 198.51.100.1 gw lan0 192.0.2.1/25 -- lan1 192.0.2.10 lan
 * </pre>
 */
@Tag("root")
class InboundPolicyNetnsTest {
    @Test
    void cleartextIsCheckedAgainstTheInboundPoliciesInSpdOrder() throws Exception {
        NetnsLab lab = new NetnsLab("netns-inbound-policy");
        Netns peer = Netns.create("psa-ipp");
        Netns gw = Netns.create("psa-ipg");
        Netns lan = Netns.create("psa-ipl");
        HostDivert divert = null;
        try {
            Netns.veth(peer, "up1", gw, "up0");
            Netns.veth(gw, "lan0", lan, "lan1");
            peer.exec("ip", "addr", "add", "198.51.100.2/24", "dev", "up1");
            peer.exec("ip", "addr", "add", "192.0.2.130/32", "dev", "lo");
            peer.exec("ip", "addr", "add", "203.0.113.5/32", "dev", "lo");
            peer.exec("ip", "route", "add", "192.0.2.0/25", "via", "198.51.100.1");
            gw.exec("ip", "addr", "add", "198.51.100.1/24", "dev", "up0");
            gw.exec("ip", "addr", "add", "192.0.2.1/25", "dev", "lan0");
            lan.exec("ip", "addr", "add", "192.0.2.10/25", "dev", "lan1");
            lan.exec("ip", "route", "add", "default", "via", "192.0.2.1");

            UserspaceIpsecKernel k = new UserspaceIpsecKernel();
            k.addPolicy(policy("tunnel/in", PolicyAction.PROTECT, TrafficSelector.between(AddressPool.parse("192.0.2.128/25"),
                    AddressPool.parse("192.0.2.0/25"))));
            k.addPolicy(policy("mdns", PolicyAction.BYPASS, new TrafficSelector(AddressPool.parse("192.0.2.130/32"),
                    AddressPool.parse("192.0.2.10/32"), 17, PortRange.ANY, PortRange.of(5353))));
            k.addPolicy(policy("blocked", PolicyAction.DISCARD, TrafficSelector.between(AddressPool.parse("198.51.100.0/24"),
                    AddressPool.parse("192.0.2.0/25"))));
            k.addPolicy(policy("host/in", PolicyAction.PROTECT, TrafficSelector.between(AddressPool.parse("198.51.100.0/24"),
                    AddressPool.parse("198.51.100.1/32"))));
            divert = new HostDivert(gw.commands(), "psink0", List.of("192.0.2.128/25"), List.of("up0"), name -> { });
            divert.inboundPolicy(InboundPolicyRules.from(k, List.of(OuterAddress.parse("198.51.100.1")),
                    List.of(OuterAddress.parse("198.51.100.2"))));
            divert.apply();

            Path pcap = lab.capture(lan, "lan1", "udp", () -> {
                send(peer, "192.0.2.130", "192.0.2.10", 9, 3);     // PROTECT: must come inside the SA
                send(peer, "192.0.2.130", "192.0.2.10", 5353, 2);  // the narrower BYPASS comes first in the SPD
                send(peer, "198.51.100.2", "192.0.2.10", 9, 4);    // DISCARD
                send(peer, "203.0.113.5", "192.0.2.10", 9, 5);     // no inbound policy: the host forwards it
            });
            assertEquals(Map.of("192.0.2.130:5353", 2, "203.0.113.5:9", 5), received(pcap));

            // Host case: the gateway's outer address is in a protected pool. IKE and the path probes (echo with
            // poolsa's identifier) between outer addresses still pass; other cleartext to it is dropped.
            send(peer, "198.51.100.2", "198.51.100.1", 500, 2);
            send(peer, "198.51.100.2", "198.51.100.1", 4500, 2);
            HostCommands.Result probes = peer.tryExec("ping", "-n", "-e", "20563", "-c", "2", "-i", "0.2", "-W", "1", "198.51.100.1");
            assertTrue(probes.output().contains("2 received"), probes.output());
            HostCommands.Result other = peer.tryExec("ping", "-n", "-e", "4242", "-c", "2", "-i", "0.2", "-W", "1", "198.51.100.1");
            assertTrue(other.output().contains("0 received"), other.output());
            send(peer, "198.51.100.2", "198.51.100.1", 501, 1);

            assertEquals(new HostDivert.InboundDrops(3 + 2 + 1, 4), divert.inboundDrops());
        } finally {
            if (divert != null) {
                divert.remove();
            }
            peer.close();
            gw.close();
            lan.close();
        }
    }

    private static SecurityPolicy policy(String id, PolicyAction action, TrafficSelector ts) {
        return new SecurityPolicy(id, Direction.INBOUND, 1000, ts, action, action == PolicyAction.PROTECT ? 1 : 0);
    }

    /** {@code n} UDP datagrams from {@code src} (an address of the namespace) to {@code dst:port}. */
    private static void send(Netns ns, String src, String dst, int port, int n) {
        ns.exec("/usr/bin/python3", "-c", "import socket,time\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                + "s.bind(('" + src + "',0))\n"
                + "for i in range(" + n + "):\n    s.sendto(b'poolsa-test',('" + dst + "'," + port + "))\n    time.sleep(0.02)\n");
    }

    /** Datagrams captured, by "source:destination port". */
    private static Map<String, Integer> received(Path pcap) {
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-r", pcap.toString(), "-T", "fields",
                "-e", "ip.src", "-e", "udp.dstport"));
        assertTrue(r.ok(), r.output());
        Map<String, Integer> m = new TreeMap<>();
        for (String l : r.output().split("\n")) {
            String[] f = l.split("\t");
            if (f.length == 2) {
                m.merge(f[0] + ":" + f[1], 1, Integer::sum);
            }
        }
        return m;
    }
}

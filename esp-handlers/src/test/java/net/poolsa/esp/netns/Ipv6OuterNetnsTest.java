package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import net.poolsa.esp.divert.HostCommands;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root. Dual-homed gateways whose outer pools are IPv6 (ESP in IPv6 over two links) carrying IPv4
 * and IPv6 inner traffic: tshark sees only ESP-in-IPv6 with the two SPIs (besides ICMPv6 probes and
 * neighbour discovery), and the SAs move to the second link, same SPIs, when the first goes down.
 * Namespaces and processes are removed in finally.
 */
@Tag("root")
class Ipv6OuterNetnsTest {
    private static final String KEY_AB = "000102030405060708090a0b0c0d0e0f10111213";
    private static final String KEY_BA = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";
    private static final String POOL_A = "2001:db8:a::1/128,2001:db8:b::1/128";
    private static final String POOL_B = "2001:db8:a::2/128,2001:db8:b::2/128";

    @Test
    void espOverIpv6AndFailover() throws Exception {
        NetnsLab lab = new NetnsLab("netns-ipv6-outer");
        Netns hostA = Netns.create("psa-6hA");
        Netns gwA = Netns.create("psa-6gA");
        Netns gwB = Netns.create("psa-6gB");
        Netns hostB = Netns.create("psa-6hB");
        Process pa = null;
        Process pb = null;
        try {
            NetnsLab.innerSides(hostA, gwA, gwB, hostB, true);
            Netns.veth(gwA, "l1a", gwB, "l1b");
            Netns.veth(gwA, "l2a", gwB, "l2b");
            gwA.exec("ip", "addr", "add", "2001:db8:a::1/64", "dev", "l1a", "nodad");
            gwA.exec("ip", "addr", "add", "2001:db8:b::1/64", "dev", "l2a", "nodad");
            gwB.exec("ip", "addr", "add", "2001:db8:a::2/64", "dev", "l1b", "nodad");
            gwB.exec("ip", "addr", "add", "2001:db8:b::2/64", "dev", "l2b", "nodad");
            pa = lab.gateway(gwA, "a", List.of("--uplink", "l1a,2001:db8:a::1,64", "--uplink", "l2a,2001:db8:b::1,64",
                    "--sink", "psink", "--peer", "2001:db8:a::2", "--peer", "2001:db8:b::2",
                    "--local-pool", POOL_A, "--remote-pool", POOL_B, "--local-inner", "192.0.2.0/26,2001:db8:1::/64",
                    "--remote-inner", "192.0.2.64/26,2001:db8:2::/64", "--out-spi", "a006", "--in-spi", "b006",
                    "--out-key", KEY_AB, "--in-key", KEY_BA, "--crypto", "aes-gcm-16", "--dead-ms", "800"));
            pb = lab.gateway(gwB, "b", List.of("--uplink", "l1b,2001:db8:a::2,64", "--uplink", "l2b,2001:db8:b::2,64",
                    "--sink", "psink", "--peer", "2001:db8:a::1", "--peer", "2001:db8:b::1",
                    "--local-pool", POOL_B, "--remote-pool", POOL_A, "--local-inner", "192.0.2.64/26,2001:db8:2::/64",
                    "--remote-inner", "192.0.2.0/26,2001:db8:1::/64", "--out-spi", "b006", "--in-spi", "a006",
                    "--out-key", KEY_BA, "--in-key", KEY_AB, "--crypto", "aes-gcm-16", "--dead-ms", "800"));
            // On a loaded machine the gateways' first exchange can outlast ping's timeout: wait for the tunnel first.
            NetnsLab.waitForPing(hostA, "192.0.2.65");
            NetnsLab.waitForPing(hostA, "2001:db8:2::1");
            Path pcap = lab.capture(gwA, "l1a", "ip or ip6", () -> {
                ping(hostA, "192.0.2.65");
                ping(hostA, "2001:db8:2::1");
            });
            assertEquals(Set.of("0x0000a006", "0x0000b006"), espSpis(pcap));

            gwA.exec("ip", "link", "set", "l1a", "down");
            HostCommands.Result r = hostA.tryExec("ping", "-c", "30", "-i", "0.2", "-W", "1", "192.0.2.65");
            assertTrue(r.output().matches("(?s).*[1-9][0-9]* received.*"), r.output());
            Path after = lab.capture(gwA, "l2a", "ip or ip6", () -> ping(hostA, "192.0.2.65"));
            assertEquals(Set.of("0x0000a006", "0x0000b006"), espSpis(after));
            assertEquals("2001:db8:b::2", lab.status("a").get("out.remote"));
            assertEquals("2001:db8:b::1", lab.status("b").get("out.remote"));
        } finally {
            for (Process p : new Process[] {pa, pb}) {
                if (p != null) {
                    Netns.stop(p, 5000);
                }
            }
            for (Netns ns : new Netns[] {hostA, gwA, gwB, hostB}) {
                ns.close();
            }
        }
    }

    private static void ping(Netns ns, String dst) {
        HostCommands.Result r = ns.tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", dst);
        assertTrue(r.ok(), "ping " + dst + ":\n" + r.output());
    }

    /** SPIs of the ESP-in-IPv6 packets; fails on anything but ESP, ICMPv6 (probes, ND), link-local multicast, and on IPv4. */
    private static Set<String> espSpis(Path pcap) {
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-r", pcap.toString(), "-T", "fields",
                "-e", "ipv6.nxt", "-e", "esp.spi", "-e", "ip.src", "-e", "ipv6.dst"));
        assertTrue(r.ok(), r.output());
        Set<String> spis = new HashSet<>();
        for (String l : r.output().split("\n")) {
            if (l.isBlank() || l.startsWith("Running as")) {
                continue;
            }
            String[] f = l.split("\t", -1);
            assertTrue(f.length < 3 || f[2].isEmpty(), "no IPv4 on the middle link: " + l);
            if (f[0].equals("50")) {
                spis.add(f[1]);
            } else if (!f[3].startsWith("ff02:")) { // the kernel's own MLD reports (Hop-by-Hop) are link-local multicast
                assertEquals("58", f[0], "only ESP and ICMPv6 on the middle link: " + l);
            }
        }
        return spis;
    }
}

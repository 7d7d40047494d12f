package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.poolsa.esp.divert.HostCommands;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root. The paper's host case (§2.4, Fig. 5): a dual-homed host runs poolsa itself; its pool is its two
 * addresses, which are both the outer endpoints and the inner selector of one SA pair with gwB, behind which
 * hostB sits. Traffic the host sends from either of its addresses (as a multihomed SCTP endpoint would)
 * travels inside the same SA: tshark decrypts the captured ESP with the configured keys and finds both inner
 * sources under the one outbound SPI. Namespaces and processes are removed in finally.
 */
@Tag("root")
class HostCaseNetnsTest {
    private static final String SPI_HB = "0000c001";
    private static final String SPI_BH = "0000d001";
    private static final String KEY_HB = "101112131415161718191a1b1c1d1e1f20212223";
    private static final String KEY_BH = "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3";
    private static final String HOST_POOL = "198.51.100.1/32,203.0.113.1/32";
    private static final String GW_POOL = "198.51.100.2/32,203.0.113.2/32";

    @Test
    void hostTrafficFromEitherAddressUsesTheSameSa() throws Exception {
        NetnsLab lab = new NetnsLab("netns-host-case");
        Netns host = Netns.create("psa-hh");
        Netns gw = Netns.create("psa-hg");
        Netns peer = Netns.create("psa-hp");
        Process ph = null;
        Process pg = null;
        try {
            Netns.veth(host, "l1h", gw, "l1b");
            Netns.veth(host, "l2h", gw, "l2b");
            Netns.veth(gw, "gb0", peer, "hb0");
            host.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "l1h");
            host.exec("ip", "addr", "add", "203.0.113.1/29", "dev", "l2h");
            gw.exec("ip", "addr", "add", "198.51.100.2/29", "dev", "l1b");
            gw.exec("ip", "addr", "add", "203.0.113.2/29", "dev", "l2b");
            gw.exec("ip", "addr", "add", "192.0.2.66/26", "dev", "gb0");
            peer.exec("ip", "addr", "add", "192.0.2.65/26", "dev", "hb0");
            peer.exec("ip", "route", "add", "default", "via", "192.0.2.66");
            ph = lab.gateway(host, "host", List.of("--uplink", "l1h,198.51.100.1,29", "--uplink", "l2h,203.0.113.1,29",
                    "--sink", "psink", "--peer", "198.51.100.2", "--peer", "203.0.113.2",
                    "--local-pool", HOST_POOL, "--remote-pool", GW_POOL, "--local-inner", HOST_POOL,
                    "--remote-inner", "192.0.2.64/26", "--out-spi", SPI_HB, "--in-spi", SPI_BH,
                    "--out-key", KEY_HB, "--in-key", KEY_BH, "--crypto", "aes-gcm-16"));
            pg = lab.gateway(gw, "gw", List.of("--uplink", "l1b,198.51.100.2,29", "--uplink", "l2b,203.0.113.2,29",
                    "--sink", "psink", "--peer", "198.51.100.1", "--peer", "203.0.113.1",
                    "--local-pool", GW_POOL, "--remote-pool", HOST_POOL, "--local-inner", "192.0.2.64/26",
                    "--remote-inner", HOST_POOL, "--out-spi", SPI_BH, "--in-spi", SPI_HB,
                    "--out-key", KEY_BH, "--in-key", KEY_HB, "--crypto", "aes-gcm-16", "--icmp", "192.0.2.66"));
            NetnsLab.waitForPing(host, "-I", "198.51.100.1", "192.0.2.65");
            // Both links: on a loaded machine a late probe reply can move the SA between the two pings.
            List<Path> pcaps = lab.capture(host, List.of("l1h", "l2h"), () -> {
                for (String src : new String[] {"198.51.100.1", "203.0.113.1"}) {
                    HostCommands.Result r = host.tryExec("ping", "-I", src, "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.65");
                    assertTrue(r.ok(), "ping from " + src + ":\n" + r.output());
                }
            });
            List<String> decrypted = new java.util.ArrayList<>();
            for (Path pcap : pcaps) {
                for (String l : NetnsLab.outerFields(pcap)) {
                    String[] f = l.split("\t", -1);
                    assertTrue(f[0].equals("50") || f[0].equals("1") && f[4].matches("[08]"), "only ESP and probes: " + l);
                }
                decrypted.addAll(lab.decryptEsp(pcap, Map.of(SPI_HB, KEY_HB, SPI_BH, KEY_BH)));
            }
            Set<String> innerSourcesHostToGw = new HashSet<>();
            for (String l : decrypted) {
                String[] f = l.split("\t", -1);
                assertTrue(f[1].equals("1") || f[1].equalsIgnoreCase("true"), "ICV verified by tshark: " + l);
                if (f[0].equals("0x" + SPI_HB) && f[4].equals("8")) {
                    innerSourcesHostToGw.add(f[2].substring(f[2].lastIndexOf(',') + 1));
                }
            }
            assertEquals(Set.of("198.51.100.1", "203.0.113.1"), innerSourcesHostToGw);
            assertEquals("0", lab.status("gw").get("drop.pool_mismatch"));
            assertEquals("0", lab.status("gw").get("drop.selector_mismatch"));
        } finally {
            for (Process p : new Process[] {ph, pg}) {
                if (p != null) {
                    Netns.stop(p, 5000);
                }
            }
            host.close();
            gw.close();
            peer.close();
        }
    }
}

package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import net.poolsa.esp.divert.HostCommands;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root: hostA -- gwA == gwB -- hostB with poolsa gateways whose outer pools are IPv6, protecting with an
 * AH+ESP bundle (ESP tunnel AES-GCM-16 inside transport-mode AH HMAC-SHA-256-128, one reqid), and a path MTU of
 * 1280. Small pings pass as AH(ESP) in IPv6; pings of 1400 bytes with DF clear ({@code ping -M dont}) make the
 * outer IPv6 packets too big, so the gateways fragment them (RFC 8200 §4.5) and the peer reassembles them before
 * AH and ESP. Oracles: the kernels' ping replies, and tshark, which reassembles the fragments, decodes AH and
 * decrypts the ESP inside it with the keys (ICV checked). Namespaces and processes are removed in finally.
 */
@Tag("root")
class BundleOverIpv6FragmentsNetnsTest {
    private static final String KEY_AB = "000102030405060708090a0b0c0d0e0f10111213";
    private static final String KEY_BA = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";
    private static final String AH_KEY_AB = "40".repeat(32);
    private static final String AH_KEY_BA = "41".repeat(32);

    @Test
    void bundleAndOuterFragmentationPassTraffic() throws Exception {
        NetnsLab lab = new NetnsLab("netns-bundle-fragments");
        Netns hostA = Netns.create("psa-bhA");
        Netns gwA = Netns.create("psa-bgA");
        Netns gwB = Netns.create("psa-bgB");
        Netns hostB = Netns.create("psa-bhB");
        Process pa = null;
        Process pb = null;
        try {
            NetnsLab.innerSides(hostA, gwA, gwB, hostB, false);
            Netns.veth(gwA, "l1a", gwB, "l1b");
            gwA.exec("ip", "addr", "add", "2001:db8:a::1/64", "dev", "l1a", "nodad");
            gwB.exec("ip", "addr", "add", "2001:db8:a::2/64", "dev", "l1b", "nodad");
            pa = lab.gateway(gwA, "a", List.of("--uplink", "l1a,2001:db8:a::1,64", "--sink", "psink",
                    "--peer", "2001:db8:a::2", "--local-pool", "2001:db8:a::1/128", "--remote-pool", "2001:db8:a::2/128",
                    "--local-inner", "192.0.2.0/26", "--remote-inner", "192.0.2.64/26", "--out-spi", "a007", "--in-spi", "b007",
                    "--out-key", KEY_AB, "--in-key", KEY_BA, "--crypto", "aes-gcm-16", "--mtu", "1280",
                    "--ah-out-spi", "a008", "--ah-in-spi", "b008", "--ah-out-key", AH_KEY_AB, "--ah-in-key", AH_KEY_BA));
            pb = lab.gateway(gwB, "b", List.of("--uplink", "l1b,2001:db8:a::2,64", "--sink", "psink",
                    "--peer", "2001:db8:a::1", "--local-pool", "2001:db8:a::2/128", "--remote-pool", "2001:db8:a::1/128",
                    "--local-inner", "192.0.2.64/26", "--remote-inner", "192.0.2.0/26", "--out-spi", "b007", "--in-spi", "a007",
                    "--out-key", KEY_BA, "--in-key", KEY_AB, "--crypto", "aes-gcm-16", "--mtu", "1280",
                    "--ah-out-spi", "b008", "--ah-in-spi", "a008", "--ah-out-key", AH_KEY_BA, "--ah-in-key", AH_KEY_AB));
            // Both gateways must be forwarding before the counted pings: on a loaded machine the first exchange can
            // take longer than ping's own timeout.
            NetnsLab.waitForPing(hostA, "192.0.2.65");
            Path pcap = lab.capture(gwA, "l1a", "ip6 and not icmp6", () -> {
                ping(hostA, "-s", "100");
                ping(hostA, "-M", "dont", "-s", "1400");
            });
            List<String> lines = tshark(lab, pcap);
            int small = 0;
            int big = 0;
            for (String l : lines) {
                String[] f = l.split("\t", -1);
                // outer next header, AH SPI, ESP SPI, ESP ICV verdict, inner ICMP type, inner IPv4 total length
                String outer = f[0].split(",")[0];
                assertTrue(outer.equals("51") || outer.equals("44"), "AH (or a Fragment header) outside, never bare ESP: " + l);
                assertTrue(f[1].equals("0x0000a008") || f[1].equals("0x0000b008"), "AH SPI: " + l);
                assertTrue(f[2].equals("0x0000a007") || f[2].equals("0x0000b007"), "ESP SPI inside AH: " + l);
                assertTrue(f[3].equals("1") || f[3].equalsIgnoreCase("true"), "ESP ICV verified by tshark: " + l);
                assertTrue(f[4].equals("8") || f[4].equals("0"), "an echo request or reply inside: " + l);
                if (f[5].equals("128")) {
                    small++;
                } else if (f[5].equals("1428")) {
                    big++;
                }
            }
            assertEquals(6, small, String.join("\n", lines));
            assertEquals(6, big, String.join("\n", lines));
            assertTrue(fragments(pcap) >= 12, "the big pings travelled as IPv6 fragments");
            for (String tag : new String[] {"a", "b"}) {
                Map<String, String> s = lab.status(tag);
                assertEquals("0", s.get("drop.reassembly_failed"), tag + ": " + s);
                assertEquals("0", s.get("drop.bad_icv"), tag + ": " + s);
            }
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

    private static void ping(Netns ns, String... opts) {
        List<String> cmd = new ArrayList<>(List.of("ping", "-c", "3", "-i", "0.2", "-W", "2"));
        cmd.addAll(List.of(opts));
        cmd.add("192.0.2.65");
        HostCommands.Result r = ns.tryExec(cmd.toArray(String[]::new));
        assertTrue(r.ok() && r.output().contains(" 0% packet loss"), String.join(" ", cmd) + ":\n" + r.output());
    }

    /** tshark reassembles, decodes AH and decrypts the ESP inside; one line per reassembled or whole packet. */
    private static List<String> tshark(NetnsLab lab, Path pcap) throws Exception {
        Path conf = Files.createDirectories(lab.dir().resolve("wireshark"));
        StringBuilder sa = new StringBuilder();
        for (String[] k : new String[][] {{"a007", KEY_AB}, {"b007", KEY_BA}}) {
            sa.append("\"IPv6\",\"*\",\"*\",\"0x0000").append(k[0])
                    .append("\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x").append(k[1]).append("\",\"NULL\",\"\"\n");
        }
        Files.writeString(conf.resolve("esp_sa"), sa.toString());
        ProcessBuilder pb = new ProcessBuilder("tshark", "-n", "-r", pcap.toString(),
                "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE", "-Y", "esp",
                "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "ipv6.nxt", "-e", "ah.spi", "-e", "esp.spi",
                "-e", "esp.icv_good", "-e", "icmp.type", "-e", "ip.len");
        pb.environment().put("WIRESHARK_CONFIG_DIR", conf.toString());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        List<String> out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        p.waitFor();
        return out;
    }

    private static int fragments(Path pcap) {
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", "ipv6.fraghdr",
                "-T", "fields", "-e", "frame.number"));
        assertTrue(r.ok(), r.output());
        return (int) r.output().lines().filter(l -> !l.isBlank() && !l.startsWith("Running as")).count();
    }
}

package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.poolsa.esp.divert.HostCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Needs root: hostA -- gwA == gwB -- hostB in four network namespaces, a poolsa {@link GatewayMain} (AES-GCM-16,
 * manual keys) in each gateway, the kernel's ping as the probe. The gateways forward decapsulated packets as routers
 * do (RFC 1812 §5.3.1, RFC 8200 §3): a probe that reaches gwB's decapsulation with TTL / hop limit 1 comes back as
 * ICMP / ICMPv6 time exceeded from gwB's inside address (what traceroute shows for that hop) and one hop more
 * reaches hostB; a packet caught in a routing loop through the tunnel dies after its TTL, instead of circling
 * between the gateways for ever. Both gateways protect 192.0.2.128/26 towards each other besides their own
 * networks, the misconfiguration that makes such a loop possible once a route sends that prefix back into the
 * tunnel. With the TUN sink ({@link RouterTunNetnsTest}) the kernel forwards what poolsa writes into the device and
 * does the same itself; there the tests check that poolsa leaves the TTL alone (a second decrement would stop the
 * TTL-3 probe one hop short and halve the loop). Namespaces and processes started here are removed in
 * {@link #tearDown()}.
 */
@Tag("root")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouterNetnsTest {
    private static final String SPI_AB = "0000a101";
    private static final String SPI_BA = "0000b101";
    private static final String KEY_AB = "000102030405060708090a0b0c0d0e0f10111213";
    private static final String KEY_BA = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";
    private static final Pattern TTL_EXCEEDED_V4 = Pattern.compile("From 192\\.0\\.2\\.66 icmp_seq=\\d+ Time to live exceeded");
    private static final Pattern HOP_LIMIT_EXCEEDED = Pattern.compile("From 2001:db8:2::2 icmp_seq=\\d+ Time exceeded: Hop limit");
    private NetnsLab lab;
    private Netns hostA;
    private Netns gwA;
    private Netns gwB;
    private Netns hostB;

    @BeforeAll
    void setUp() throws Exception {
        lab = new NetnsLab("netns-router-" + sinkKind());
        hostA = Netns.create("psa-rA");
        gwA = Netns.create("psa-rgA");
        gwB = Netns.create("psa-rgB");
        hostB = Netns.create("psa-rB");
        NetnsLab.innerSides(hostA, gwA, gwB, hostB, true);
        Netns.veth(gwA, "l1a", gwB, "l1b");
        gwA.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "l1a");
        gwB.exec("ip", "addr", "add", "198.51.100.2/29", "dev", "l1b");
        gateway(gwA, "a", "l1a", "198.51.100.1", "198.51.100.2", "192.0.2.0/26,192.0.2.128/26,2001:db8:1::/64",
                "192.0.2.64/26,192.0.2.128/26,2001:db8:2::/64", SPI_AB, SPI_BA, KEY_AB, KEY_BA, "192.0.2.2", "2001:db8:1::2");
        gateway(gwB, "b", "l1b", "198.51.100.2", "198.51.100.1", "192.0.2.64/26,192.0.2.128/26,2001:db8:2::/64",
                "192.0.2.0/26,192.0.2.128/26,2001:db8:1::/64", SPI_BA, SPI_AB, KEY_BA, KEY_AB, "192.0.2.66", "2001:db8:2::2");
        // The first packets through a cold data path (cipher set-up, class loading) can take a second or more.
        for (String dst : new String[] {"192.0.2.65", "2001:db8:2::1"}) {
            HostCommands.Result r = hostA.tryExec("ping", "-n", "-c", "1", "-W", "10", dst);
            assertTrue(r.ok(), r.output());
        }
    }

    /** One uplink {@code dev} with {@code local}/29, one peer; each pool is the one address. */
    private void gateway(Netns ns, String tag, String dev, String local, String peer, String localInner, String remoteInner,
                         String outSpi, String inSpi, String outKey, String inKey, String icmp4, String icmp6) throws Exception {
        lab.gateway(ns, tag, List.of("--uplink", dev + "," + local + ",29", "--sink", "psink", "--peer", peer,
                "--local-pool", local + "/32", "--remote-pool", peer + "/32", "--local-inner", localInner,
                "--remote-inner", remoteInner, "--out-spi", outSpi, "--in-spi", inSpi, "--out-key", outKey, "--in-key", inKey,
                "--crypto", "aes-gcm-16", "--icmp", icmp4, "--icmp", icmp6, "--sink-kind", sinkKind()));
    }

    /** The data plane's inner side, as GatewayMain's --sink-kind. */
    String sinkKind() {
        return "capture";
    }

    /** Whether poolsa forwards decapsulated packets itself (capture sink) or the kernel does (TUN sink). */
    private boolean poolsaForwards() {
        return sinkKind().equals("capture");
    }

    @AfterAll
    void tearDown() {
        for (Netns ns : new Netns[] {hostA, gwA, gwB, hostB}) {
            if (ns != null) {
                ns.close(); // stops the gateways it started, then deletes the namespace
            }
        }
    }

    @Test
    void aProbeWithTooSmallATtlComesBackAsTimeExceededFromTheFarGateway() throws Exception {
        long expiredBefore = counter("b", "drop.ttl_expired");
        // TTL 2: gwA's kernel forwards it into the sink (2 -> 1), gwB decapsulates it with 1 and must not forward.
        String v4 = hostA.tryExec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", "-t", "2", "192.0.2.65").output();
        assertEquals(3, count(TTL_EXCEEDED_V4, v4), v4);
        assertTrue(v4.contains(" 0 received"), v4);
        String v6 = hostA.tryExec("ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", "-t", "2", "2001:db8:2::1").output();
        assertEquals(3, count(HOP_LIMIT_EXCEEDED, v6), v6);
        assertTrue(v6.contains(" 0 received"), v6);
        // One hop more reaches hostB: gwB forwards with 1 left.
        String reach4 = hostA.tryExec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", "-t", "3", "192.0.2.65").output();
        assertTrue(reach4.contains("3 packets transmitted, 3 received"), reach4);
        String reach6 = hostA.tryExec("ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", "-t", "3", "2001:db8:2::1").output();
        assertTrue(reach6.contains("3 packets transmitted, 3 received"), reach6);
        assertEquals(expiredBefore + (poolsaForwards() ? 6 : 0), counter("b", "drop.ttl_expired"));
    }

    @Test
    void aRoutingLoopThroughTheTunnelDies() throws Exception {
        // The loop: each gateway's main table sends 192.0.2.128/26 into its own sink, so what one decapsulates for
        // it the other's SPD seals again. Only the gateways' forwarding touches the TTL on this path.
        for (Netns gw : new Netns[] {gwA, gwB}) {
            HostCommands.Result r = gw.tryExec("ip", "route", "replace", "192.0.2.128/26", "dev", "psink");
            assertTrue(r.ok(), r.output());
        }
        Map<String, String> a0 = settled("a");
        Map<String, String> b0 = settled("b");
        // One UDP packet with TTL 10 from inside the looping prefix, sent by gwA into its sink.
        String py = "import socket,struct\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_RAW)\n"
                + "u=struct.pack('!HHHH',33434,33434,8+4,0)+b'loop'\n"
                + "h=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(u),7,0,10,17,0,socket.inet_aton('192.0.2.129'),socket.inet_aton('192.0.2.130'))\n"
                + "s.sendto(h+u,('192.0.2.130',0))\n";
        HostCommands.Result r = gwA.tryExec("/usr/bin/python3", "-c", py);
        assertTrue(r.ok(), r.output());
        Map<String, String> a1 = settled("a");
        Map<String, String> b1 = settled("b");
        if (!poolsaForwards()) {
            // The kernel forwards (and decrements) each decapsulated packet it reads from the TUN device: ten
            // decapsulations for TTL 10 (five if poolsa decremented as well), plus what the kernel sends about it
            // (its time exceeded, ICMP redirects for a packet that leaves through the device it came in on).
            long total = delta(a0, a1, "in.packets") + delta(b0, b1, "in.packets");
            assertTrue(total >= 10 && total <= 21, "decapsulations: " + total);
            assertEquals(0, delta(a0, a1, "drop.ttl_expired") + delta(b0, b1, "drop.ttl_expired"));
            return;
        }
        // Decapsulations alternate B, A, B, ... with TTL 10, 9, ..., 2 forwarded one lower; gwA receives it with 1
        // and drops it. Its time exceeded (from 192.0.2.2 to 192.0.2.129, TTL 64) crosses once more: gwB forwards
        // it into its sink, where no policy covers a source outside gwB's networks.
        assertEquals(5, delta(a0, a1, "in.packets"), "gwA decapsulated TTL 9, 7, 5, 3, 1");
        assertEquals(6, delta(b0, b1, "in.packets"), "gwB decapsulated TTL 10, 8, 6, 4, 2 and the time exceeded");
        assertEquals(1, delta(a0, a1, "drop.ttl_expired"));
        assertEquals(0, delta(b0, b1, "drop.ttl_expired"));
        assertEquals(1, delta(b0, b1, "drop.policy_discard"));
    }

    /** The gateway's status once two readings 600 ms apart agree on its packet counters. */
    private Map<String, String> settled(String tag) throws Exception {
        Map<String, String> last = lab.status(tag);
        for (int i = 0; i < 16; i++) {
            Thread.sleep(600);
            Map<String, String> now = lab.status(tag);
            if (now.get("in.packets").equals(last.get("in.packets")) && now.get("out.packets").equals(last.get("out.packets"))) {
                return now;
            }
            last = now;
        }
        throw new AssertionError("gateway " + tag + " still moves packets after 10 s: the loop did not die (" + last + ")");
    }

    private static long delta(Map<String, String> before, Map<String, String> after, String key) {
        return Long.parseLong(after.get(key)) - Long.parseLong(before.get(key));
    }

    private long counter(String tag, String key) throws IOException {
        return Long.parseLong(lab.status(tag).get(key));
    }

    private static int count(Pattern p, String text) {
        int n = 0;
        for (Matcher m = p.matcher(text); m.find(); ) {
            n++;
        }
        return n;
    }
}

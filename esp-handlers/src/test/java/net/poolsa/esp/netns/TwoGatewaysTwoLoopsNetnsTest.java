package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.poolsa.esp.divert.HostCommands;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root, tcpdump, tshark and {@code /usr/bin/python3}: the whole of {@link TwoGatewaysNetnsTest} (ICMP, TCP and
 * UDP over IPv4 and IPv6, only ESP on the middle links as tshark decrypts it, failover to the other link, forged
 * sources, clean stop) with both gateways running two event loops ({@code --event-loops 2}: every capture opened
 * twice in a PACKET_FANOUT group), and one more test: many numbered UDP flows through the pool SA pair, both ways,
 * every datagram counted, both loops carrying packets, packets handed to the loop that owns their SA, no replay drop
 * at either receiver, no ESP sequence number on the wire twice and each SA's ESP in sequence order on each link.
 */
@Tag("root")
class TwoGatewaysTwoLoopsNetnsTest extends TwoGatewaysNetnsTest {
    private static final int FLOWS = 32;
    private static final int PER_FLOW = 200;

    /** hostB: echoes every datagram back and prints how many distinct ones it received, 3 s after the last. */
    private static final String ECHO_SERVER = String.join("\n",
            "import socket",
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)",
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,4<<20)",
            "s.bind(('192.0.2.65',5001))",
            "seen=set()",
            "s.settimeout(20)",
            "print('ready',flush=True)",
            "while True:",
            "    try:",
            "        d,a=s.recvfrom(2048)",
            "    except socket.timeout:",
            "        break",
            "    s.settimeout(3)",
            "    seen.add(d[:16])",
            "    s.sendto(d,a)",
            "print('received',len(seen),flush=True)");

    /** hostA: FLOWS sockets (one source port each), PER_FLOW numbered datagrams each, ~2000/s; counts the echoes. */
    private static final String CLIENT = String.join("\n",
            "import socket,time",
            "F=" + FLOWS + ";N=" + PER_FLOW,
            "socks=[]",
            "for i in range(F):",
            "    c=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)",
            "    c.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,4<<20)",
            "    c.bind(('192.0.2.1',0)); c.connect(('192.0.2.65',5001)); c.setblocking(False); socks.append(c)",
            "got=set()",
            "def drain():",
            "    for c in socks:",
            "        while True:",
            "            try:",
            "                d=c.recv(2048)",
            "            except BlockingIOError:",
            "                break",
            "            got.add(d[:16])",
            "for n in range(N):",
            "    for f,c in enumerate(socks):",
            "        c.send(('%07d:%07d'%(f,n)).encode().ljust(16)+bytes(184))",
            "    drain(); time.sleep(0.015)",
            "end=time.time()+3",
            "while time.time()<end:",
            "    drain(); time.sleep(0.05)",
            "print('sent',F*N,'echoed',len(got))");

    @Override
    int eventLoops() {
        return 2;
    }

    @Override
    String labSuffix() {
        return "-two-loops";
    }

    /**
     * 32 flows x 200 numbered datagrams from hostA to hostB, each echoed back. Counted: the distinct datagrams hostB
     * received and hostA got back (none lost on this quiet path: 6,400 each way at ~2,000/s, far below what one loop
     * carries); the frames each gateway's two loops captured (each loop at least 10 %: the 32 cleartext flows are
     * spread by the sink's fanout group, while the inbound ESP of one SA over one path is one flow to the kernel's hash,
     * SPI included, and stays on one loop); the replay drops at both receivers (none); and, from a tcpdump capture of
     * gwA's uplinks read by tshark, the (SPI, sequence number) pairs of both SAs: no pair twice, no number between the
     * lowest and the highest missing, and on each link every packet after the one before it in sequence order (each SA
     * is sealed by the one loop that owns it; on main before the hand-off 595 packets were behind a higher number, by
     * up to 31); and the packets each gateway handed to its SA's loop (at least 10 % of the datagrams).
     */
    @Test
    void manyFlowsBothWaysThroughTwoLoopsEveryDatagramOnceAndEachSasEspInSequenceOrder() throws Exception {
        for (String tag : new String[] {"a", "b"}) {
            String log = lab.log(tag);
            assertTrue(log.contains(", 2 event loops (captures in PACKET_FANOUT groups by flow hash)"), log);
        }
        Thread.sleep(300); // the status file is rewritten every 100 ms
        Map<String, String> a0 = status("a");
        Map<String, String> b0 = status("b");
        Path serverLog = lab.dir().resolve("udp-echo-server.log");
        Files.deleteIfExists(serverLog);
        Process server = hostB.spawn(List.of("/usr/bin/python3", "-c", ECHO_SERVER), serverLog);
        String clientOut;
        List<Path> pcaps;
        try {
            for (int i = 0; i < 100 && !(Files.exists(serverLog) && Files.readString(serverLog).contains("ready")); i++) {
                Thread.sleep(50);
            }
            List<Process> dumps = new ArrayList<>();
            pcaps = new ArrayList<>();
            try {
                for (String dev : List.of("l1a", "l2a")) {
                    dumps.add(startHeaderCapture(dev, pcaps));
                }
                clientOut = hostA.exec("/usr/bin/python3", "-c", CLIENT);
                Thread.sleep(300);
            } finally {
                dumps.forEach(d -> Netns.stop(d, 3000));
            }
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "echo server finished");
        } finally {
            Netns.stop(server, 2000);
        }
        int sent = FLOWS * PER_FLOW;
        Matcher c = Pattern.compile("sent (\\d+) echoed (\\d+)").matcher(clientOut);
        assertTrue(c.find(), clientOut);
        Matcher s = Pattern.compile("received (\\d+)").matcher(Files.readString(serverLog));
        assertTrue(s.find(), Files.readString(serverLog));
        assertEquals(sent, Integer.parseInt(c.group(1)));
        assertEquals(sent, Integer.parseInt(s.group(1)), "distinct datagrams hostB received of " + sent);
        assertEquals(sent, Integer.parseInt(c.group(2)), "distinct echoes hostA received of " + sent);

        Thread.sleep(300);
        Map<String, String> a1 = status("a");
        Map<String, String> b1 = status("b");
        for (String tag : new String[] {"a", "b"}) {
            Map<String, String> before = tag.equals("a") ? a0 : b0;
            Map<String, String> after = tag.equals("a") ? a1 : b1;
            long l0 = delta(before, after, "loop.0.captured");
            long l1 = delta(before, after, "loop.1.captured");
            assertTrue(l0 + l1 >= 2L * sent, tag + ": frames captured " + l0 + " + " + l1);
            assertTrue(l0 * 10 >= l0 + l1 && l1 * 10 >= l0 + l1, tag + ": both loops carry packets: " + l0 + " and " + l1);
            assertEquals(0, delta(before, after, "drop.replayed"), tag + ": replayed drops");
            assertEquals(0, delta(before, after, "drop.too_old"), tag + ": too-old drops");
        }

        long captureDrops = 0;
        for (Path pcap : pcaps) {
            Matcher d = Pattern.compile("(\\d+) packets dropped by kernel").matcher(Files.readString(log(pcap)));
            assertTrue(d.find(), "tcpdump's summary in " + log(pcap));
            captureDrops += Long.parseLong(d.group(1));
        }
        // tcpdump may lose frames on a loaded machine: each one lost may hide a number, never add a duplicate.
        assertTrue(captureDrops * 100 <= 2L * sent, "tcpdump lost " + captureDrops + " frames: too many to check the numbers");
        for (String spi : List.of(SPI_AB, SPI_BA)) {
            Set<Long> seen = new HashSet<>();
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            long reorder = 0;
            long late = 0;
            for (Path pcap : pcaps) {
                long top = 0;
                for (long seq : sequences(pcap, spi)) {
                    assertTrue(seen.add(seq), "sequence number " + seq + " of SPI " + spi + " sent twice");
                    min = Math.min(min, seq);
                    max = Math.max(max, seq);
                    if (seq < top) {
                        late++;
                        reorder = Math.max(reorder, top - seq);
                    }
                    top = Math.max(top, seq);
                }
            }
            assertTrue(seen.size() + captureDrops >= sent, spi + ": " + seen.size() + " ESP packets for " + sent + " datagrams");
            assertTrue(max - min + 1 - seen.size() <= captureDrops, spi + ": " + (max - min + 1 - seen.size())
                    + " numbers missing between " + min + " and " + max + ", tcpdump lost " + captureDrops + " frames");
            // One loop owns each SA and seals all its packets: on each link they leave in sequence order (a veth and
            // tcpdump keep it), whichever loop captured them.
            assertEquals(0, late, spi + ": " + late + " ESP packets behind a higher sequence number on their link, by up to "
                    + reorder);
        }
        // Each gateway's SA is owned by one loop: the other loop captured part of the cleartext flows and handed it over.
        for (String tag : new String[] {"a", "b"}) {
            Map<String, String> before = tag.equals("a") ? a0 : b0;
            Map<String, String> after = tag.equals("a") ? a1 : b1;
            long handed = delta(before, after, "loop.0.handed") + delta(before, after, "loop.1.handed");
            assertTrue(handed * 10 >= sent, tag + ": packets handed to the SA's loop: " + handed + " of " + sent);
        }
    }

    /** tcpdump of the first 128 bytes of each frame on {@code dev} (a large buffer: a loaded machine reads it late). */
    private Process startHeaderCapture(String dev, List<Path> pcaps) throws Exception {
        Path pcap = lab.dir().resolve(dev + "-headers-" + System.nanoTime() + ".pcap");
        Path log = log(pcap);
        Process dump = gwA.spawn(List.of("tcpdump", "--immediate-mode", "-B", "65536", "-s", "128", "-i", dev, "-U", "-n",
                "-w", pcap.toString(), "ip"), log);
        for (int i = 0; i < 100 && !(Files.exists(log) && Files.readString(log).contains("listening")); i++) {
            Thread.sleep(50);
        }
        pcaps.add(pcap);
        return dump;
    }

    private static Path log(Path pcap) {
        return pcap.resolveSibling(pcap.getFileName() + ".tcpdump.log");
    }

    private static long delta(Map<String, String> before, Map<String, String> after, String key) {
        return Long.parseLong(after.get(key)) - Long.parseLong(before.get(key));
    }

    /** The ESP sequence numbers of {@code spiHex} in {@code pcap}, in capture order (tshark). */
    private static List<Long> sequences(Path pcap, String spiHex) {
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", "esp",
                "-T", "fields", "-e", "esp.spi", "-e", "esp.sequence"));
        assertTrue(r.ok(), r.output());
        List<Long> out = new ArrayList<>();
        for (String l : r.output().split("\n")) {
            String[] f = l.split("\t");
            if (f.length == 2 && Long.parseLong(f[0].replace("0x", ""), 16) == Long.parseLong(spiHex, 16)) {
                out.add(Long.parseLong(f[1].trim()));
            }
        }
        return out;
    }
}

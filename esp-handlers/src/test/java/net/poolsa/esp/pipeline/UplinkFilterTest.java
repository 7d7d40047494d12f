package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * {@link DataPlane#UPLINK_FILTER} compiled by libpcap and run on Ethernet frames scapy builds
 * ({@code uplink_frames.py}, {@code /usr/bin/python3}): every fragment of UDP-encapsulated ESP, and ESP/AH behind
 * IPv6 Hop-by-Hop, Routing, Destination Options and Fragment headers, must reach the data plane (RFC 3948 §2.1
 * leaves fragmentation to IP; RFC 8200 §4.1 puts those headers before ESP/AH); unrelated traffic must not.
 */
@Tag("root")
class UplinkFilterTest {
    @TempDir
    Path dir;

    @Test
    void everyIpsecFrameAnUplinkReceivesPassesTheCaptureFilter() throws Exception {
        List<String[]> frames = scapyFrames();
        assertTrue(frames.size() >= 30, "scapy built " + frames.size() + " frames");
        List<String> wrong = new ArrayList<>();
        PcapHandle dead = Pcaps.openDead(DataLinkType.EN10MB, 65536);
        try {
            BpfProgram filter = dead.compileFilter(DataPlane.UPLINK_FILTER, BpfProgram.BpfCompileMode.OPTIMIZE,
                    (java.net.Inet4Address) java.net.InetAddress.getByName("255.255.255.255"));
            try {
                for (String[] f : frames) {
                    boolean expected = f[1].equals("seen");
                    if (filter.applyFilter(HexFormat.of().parseHex(f[2])) != expected) {
                        wrong.add(f[0] + (expected ? " not captured" : " captured"));
                    }
                }
            } finally {
                filter.free();
            }
        } finally {
            dead.close();
        }
        assertEquals(List.of(), wrong);
    }

    private List<String[]> scapyFrames() throws IOException, InterruptedException {
        Path script = dir.resolve("uplink_frames.py");
        try (InputStream s = UplinkFilterTest.class.getResourceAsStream("/pipeline/uplink_frames.py")) {
            Files.write(script, s.readAllBytes());
        }
        Process py = new ProcessBuilder("/usr/bin/python3", script.toString()).redirectErrorStream(true).start();
        String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(py.waitFor(60, TimeUnit.SECONDS), "scapy did not finish");
        assertEquals(0, py.exitValue(), out);
        List<String[]> frames = new ArrayList<>();
        for (String line : out.lines().toList()) {
            String[] f = line.split(" ");
            if (f.length == 3 && (f[1].equals("seen") || f[1].equals("ignored"))) {
                frames.add(f);
            }
        }
        return frames;
    }
}

package net.poolsa.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.esp.divert.HostCommands;

/**
 * Needs tshark. {@link WireLog} reads what {@code poolsa demo} reports as SPIs and IKE messages from the wire; here it
 * reads a capture of a real run (the per-address run of the host case, IKE-keyed: ESP of the first SA pair on the
 * primary link, then on the secondary link the Informational exchanges and ESP after the failure) and must agree,
 * packet by packet, with tshark's dissectors on the time stamp, the kind (ESP or ISAKMP), the SPI and the exchange type.
 */
@Tag("root")
class WireLogTsharkTest {
    @Test
    void espAndIkeOfACapturedRunAgreeWithTshark(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("run.pcap");
        try (InputStream in = WireLogTsharkTest.class.getResourceAsStream("/demo/host-per-address-failover.pcap")) {
            Files.copy(in, pcap);
        }
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-r", pcap.toString(), "-T", "fields",
                "-E", "separator=;", "-e", "frame.time_epoch", "-e", "esp.spi", "-e", "isakmp.exchangetype"));
        assertTrue(r.ok(), r.output());
        List<String> expected = new ArrayList<>();
        for (String line : r.output().lines().toList()) {
            String[] f = line.split(";", -1);
            if (f.length < 3 || f[0].isBlank()) {
                continue; // tshark's own notices on stderr
            }
            String[] t = f[0].split("\\.");
            long micros = Long.parseLong(t[0]) * 1_000_000L + Long.parseLong((t[1] + "000000").substring(0, 6));
            if (!f[1].isEmpty()) {
                expected.add(micros + " ESP " + String.format(Locale.ROOT, "0x%08x", Long.decode(f[1])));
            } else if (!f[2].isEmpty()) {
                expected.add(micros + " IKE " + Integer.parseInt(f[2]));
            }
        }
        List<String> actual = new ArrayList<>();
        for (WireLog.Packet p : WireLog.read(pcap).packets()) {
            if (p.kind() == WireLog.Kind.ESP) {
                actual.add(p.micros() + " ESP " + p.spiHex());
            } else if (p.kind() == WireLog.Kind.IKE) {
                actual.add(p.micros() + " IKE " + p.exchangeType());
            }
        }
        // The capture holds 150 packets of the primary link with ESP of both SAs, and the secondary link's Deletes.
        assertTrue(expected.stream().filter(s -> s.contains(" ESP ")).count() >= 40, expected.toString());
        assertEquals(2, expected.stream().filter(s -> s.endsWith(" IKE 5")).count(), expected.toString());
        assertEquals(expected, actual);
        assertEquals("Informational", WireLog.exchangeName(1, 5));
    }
}

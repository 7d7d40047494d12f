package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs tshark (Debian package tshark) over a pcap and returns one row of fields per ISAKMP packet; all
 * occurrences of a field in a packet are comma-separated, fields separated by '|'. The directory of the
 * pcap is tshark's configuration directory, so an {@code ikev1_decryption_table} there decrypts.
 */
final class Tshark {
    private Tshark() {
    }

    static List<String[]> fields(Path pcap, String filter, String... fields) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", filter, "-T", "fields",
                "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        Path out = pcap.resolveSibling(pcap.getFileName() + ".tshark");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("WIRESHARK_CONFIG_DIR", pcap.getParent().toString());
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "tshark did not finish");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), "tshark exit status");
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            rows.add(line.split("\\|", -1));
        }
        return rows;
    }
}

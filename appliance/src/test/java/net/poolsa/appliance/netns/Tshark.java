package net.poolsa.appliance.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Needs tshark (Debian package tshark 4.0): the independent decoder the netns tests read captures with. With a
 * configuration directory holding the IKE engine's test-only key export ({@code ikev1_decryption_table},
 * {@code esp_sa}), tshark decrypts our IKE messages.
 */
final class Tshark {
    /** {@code _ws.expert.severity} of an error (epan/proto.h PI_ERROR). */
    static final int SEVERITY_ERROR = 0x00800000;

    private Tshark() {
    }

    /**
     * One row per packet that matches {@code filter}, fields separated by '|', all occurrences of a field joined by
     * ','; {@code configDir} (may be null) is tshark's configuration directory.
     */
    static List<String[]> fields(Path pcap, Path configDir, String filter, String... fields)
            throws IOException, InterruptedException {
        return fields(pcap, configDir, List.of(), filter, fields);
    }

    /** As {@link #fields(Path, Path, String, String...)} with preferences ({@code -o NAME:VALUE}). */
    static List<String[]> fields(Path pcap, Path configDir, List<String> preferences, String filter, String... fields)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", filter, "-T", "fields",
                "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String p : preferences) {
            cmd.add("-o");
            cmd.add(p);
        }
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        Path out = pcap.resolveSibling(pcap.getFileName() + "." + Integer.toHexString(filter.hashCode()) + ".tshark");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        if (configDir != null) {
            pb.environment().put("WIRESHARK_CONFIG_DIR", configDir.toString());
        }
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("tshark did not finish on " + pcap);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("tshark exited " + p.exitValue() + " on " + pcap);
        }
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                rows.add(line.split("\\|", -1));
            }
        }
        return rows;
    }

    /**
     * The ESP packets of {@code pcap} decrypted and authenticated with the {@code esp_sa} table in {@code keys}: per
     * packet the SPI and whether tshark found the ICV good ("1") or bad.
     */
    static List<String[]> espChecked(Path pcap, Path keys) throws IOException, InterruptedException {
        return fields(pcap, keys, List.of("esp.enable_encryption_decode:TRUE", "esp.enable_authentication_check:TRUE"),
                "esp", "esp.spi", "esp.icv_good", "esp.icv_bad");
    }

    /** The SPIs (0x........) of the ESP packets in {@code pcap}, plain or in UDP. */
    static Set<String> espSpis(Path pcap) throws IOException, InterruptedException {
        Set<String> spis = new TreeSet<>();
        for (String[] f : fields(pcap, null, "esp", "esp.spi")) {
            spis.add(f[0]);
        }
        return spis;
    }

    /**
     * One ISAKMP message as tshark decoded it.
     *
     * @param idTypes     the Identification payloads' types, comma-separated ("" when none or still encrypted)
     * @param payloads    the payload types of the chain, comma-separated (after decryption when the keys were given)
     * @param malformed   tshark flagged the packet malformed
     * @param maxSeverity the highest expert-info severity on the packet (0 when none)
     */
    record Ike(double time, String source, String destination, int exchangeType, boolean encrypted, String idTypes,
               String payloads, boolean malformed, int maxSeverity) {
    }

    /**
     * The ISAKMP messages of {@code pcap} (on UDP 500, or 4500 behind the non-ESP marker, over IPv4 or IPv6), decrypted
     * with {@code keys}.
     */
    static List<Ike> ike(Path pcap, Path keys) throws IOException, InterruptedException {
        List<Ike> out = new ArrayList<>();
        for (String[] f : fields(pcap, keys, "isakmp", "frame.time_epoch", "ip.src", "ip.dst", "isakmp.exchangetype",
                "isakmp.flag_e", "isakmp.id.type", "isakmp.typepayload", "_ws.malformed", "_ws.expert.severity", "ipv6.src",
                "ipv6.dst")) {
            int severity = 0;
            for (String s : f[8].split(",")) {
                if (!s.isEmpty()) {
                    severity = Math.max(severity, Integer.decode(s));
                }
            }
            // Over IPv6 the ip.* fields are empty.
            boolean v6 = f[1].isEmpty();
            out.add(new Ike(Double.parseDouble(f[0]), v6 ? f[9] : f[1], v6 ? f[10] : f[2], Integer.parseInt(f[3]),
                    f[4].equals("1") || f[4].equalsIgnoreCase("true"), f[5], f[6], !f[7].isEmpty(), severity));
        }
        return out;
    }
}

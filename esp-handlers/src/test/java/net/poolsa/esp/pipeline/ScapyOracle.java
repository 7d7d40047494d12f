package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code scapy_outer.py} (scapy's defragment/defragment6 and scapy.layers.ipsec, with /usr/bin/python3) on
 * outer packets poolsa built: an implementation nobody on poolsa wrote reassembles and opens them.
 */
final class ScapyOracle {
    private static final HexFormat HEX = HexFormat.of();

    private ScapyOracle() {
    }

    /**
     * @param espKey AES-GCM-16 key with its 4-byte salt; @param ahKey HMAC-SHA2-256 key, or null without AH
     * @return the lines the script printed, by their first word (OUTER, AH, INNER)
     */
    static Map<String, String> open(Path dir, List<byte[]> packets, int espSpi, byte[] espKey, int ahSpi, byte[] ahKey)
            throws IOException, InterruptedException {
        StringBuilder json = new StringBuilder("{\"packets\":[");
        for (int i = 0; i < packets.size(); i++) {
            json.append(i == 0 ? "" : ",").append('"').append(HEX.formatHex(packets.get(i))).append('"');
        }
        json.append("],\"esp\":{\"spi\":").append(Integer.toUnsignedLong(espSpi)).append(",\"key\":\"")
                .append(HEX.formatHex(espKey)).append("\"},\"ah\":");
        json.append(ahKey == null ? "null" : "{\"spi\":" + Integer.toUnsignedLong(ahSpi) + ",\"key\":\"" + HEX.formatHex(ahKey) + "\"}");
        json.append('}');
        Path input = dir.resolve("case.json");
        Files.writeString(input, json);
        Path script = dir.resolve("scapy_outer.py");
        try (InputStream s = ScapyOracle.class.getResourceAsStream("/pipeline/scapy_outer.py")) {
            Files.write(script, s.readAllBytes());
        }
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.toString(), input.toString());
        pb.redirectErrorStream(true);
        Process py = pb.start();
        String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(py.waitFor(60, TimeUnit.SECONDS), "scapy did not finish");
        assertTrue(py.exitValue() == 0, () -> "scapy refused: " + out);
        Map<String, String> lines = new HashMap<>();
        for (String line : out.lines().toList()) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                lines.put(line.substring(0, sp), line.substring(sp + 1));
            }
        }
        return lines;
    }
}

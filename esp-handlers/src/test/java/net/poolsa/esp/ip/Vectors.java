package net.poolsa.esp.ip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/** Packets built by scapy (make_vectors.py beside vectors.txt): bytes nobody in this project wrote. */
final class Vectors {
    private static final Map<String, byte[]> ALL = load();

    private Vectors() {
    }

    static byte[] get(String name) {
        byte[] b = ALL.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no vector " + name);
        }
        return b.clone();
    }

    private static Map<String, byte[]> load() {
        Map<String, byte[]> m = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Vectors.class.getResourceAsStream("vectors.txt"), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    String[] f = line.split(" ");
                    m.put(f[0], HexFormat.of().parseHex(f[1]));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }
}

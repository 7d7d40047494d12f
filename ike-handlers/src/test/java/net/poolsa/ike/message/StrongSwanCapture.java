package net.poolsa.ike.message;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The messages of resources {@code strongswan-capture/}: two strongSwan 5.9.8 charons, IKEv1 Main Mode PSK
 * and Quick Mode with NAT-T, captured by {@code capture.sh}, the encrypted ones decrypted by tshark with
 * the keys from charon's log ({@code extract.py} wrote {@code messages.txt}). See its README.md.
 */
final class StrongSwanCapture {
    static final String DIR = "/strongswan-capture/";
    private static Map<String, Message> messages;

    /** One message: {@code isakmp} as sent (no non-ESP marker); {@code plain} its decrypted body, or null. */
    record Message(String name, int frame, String from, String to, byte[] isakmp, byte[] plain) {
        boolean encrypted() {
            return plain != null;
        }

        int sourcePort() {
            return Integer.parseInt(from.substring(from.lastIndexOf(':') + 1));
        }
    }

    private StrongSwanCapture() {
    }

    static synchronized Map<String, Message> messages() throws IOException {
        if (messages == null) {
            Map<String, Message> m = new LinkedHashMap<>();
            for (String line : new String(resource("messages.txt"), StandardCharsets.US_ASCII).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(" ");
                String[] path = f[2].split(">");
                byte[] plain = f.length > 4 ? Msgs.HEX.parseHex(f[4].substring("plain=".length())) : null;
                m.put(f[0], new Message(f[0], Integer.parseInt(f[1]), path[0], path[1],
                        Msgs.HEX.parseHex(f[3].substring("isakmp=".length())), plain));
            }
            messages = Collections.unmodifiableMap(m);
        }
        return messages;
    }

    static Message get(String name) throws IOException {
        Message m = messages().get(name);
        if (m == null) {
            throw new IllegalArgumentException("no captured message " + name);
        }
        return m;
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = StrongSwanCapture.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IOException("missing test resource " + DIR + name);
            }
            return in.readAllBytes();
        }
    }

    /** Copies the pcap and tshark's decryption table into {@code dir} (tshark reads them from there). */
    static Path pcapWithKeys(Path dir) throws IOException {
        Path pcap = dir.resolve("ikev1-natt.pcap");
        Files.write(pcap, resource("ikev1-natt.pcap"));
        Files.write(dir.resolve("ikev1_decryption_table"), resource("ikev1_decryption_table"));
        return pcap;
    }
}

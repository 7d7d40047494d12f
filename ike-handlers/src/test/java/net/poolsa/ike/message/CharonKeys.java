package net.poolsa.ike.message;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Key dumps from a charon log written with {@code ike = 4} (resources strongswan-capture/): the values of
 * every "NAME => N bytes @ ..." dump called {@code name}, in log order (one per IKE SA).
 */
final class CharonKeys {
    private static final Pattern HEADER = Pattern.compile("\\[IKE\\] (.+) => (\\d+) bytes @");
    private static final Pattern ROW = Pattern.compile("\\[IKE\\]\\s+\\d+: ((?:[0-9A-F]{2} )+)");

    private CharonKeys() {
    }

    static List<byte[]> dumps(String log, String name) throws IOException {
        String[] lines = new String(StrongSwanCapture.resource(log), StandardCharsets.US_ASCII).split("\n");
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            Matcher h = HEADER.matcher(lines[i]);
            if (!h.find() || !h.group(1).equals(name)) {
                continue;
            }
            int n = Integer.parseInt(h.group(2));
            StringBuilder hex = new StringBuilder();
            for (int j = i + 1; hex.length() < 2 * n; j++) {
                Matcher r = ROW.matcher(lines[j]);
                if (!r.find()) {
                    throw new IOException("dump of " + name + " at line " + (i + 1) + " ends early");
                }
                hex.append(r.group(1).replace(" ", ""));
            }
            out.add(Msgs.HEX.parseHex(hex.substring(0, 2 * n).toLowerCase()));
        }
        return out;
    }
}

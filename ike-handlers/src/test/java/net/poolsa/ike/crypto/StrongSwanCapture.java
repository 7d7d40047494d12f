package net.poolsa.ike.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads what {@code strongswan-keymat/capture-keymat.sh} wrote: the pcap of the IKE datagrams and the two charons'
 * logs with the values strongSwan computed (ike = 4, chd = 4 dump them as "LABEL => N bytes @ ADDR" followed by
 * hexdump lines). Test code only: a minimal pcap reader (Ethernet, IPv4, UDP, the RFC 3948 non-ESP marker) and a
 * walker of the ISAKMP generic payload header, enough to pick the fields the derivations need.
 */
final class StrongSwanCapture {
    private static final HexFormat HEX = HexFormat.of();

    final byte[] psk;
    final List<Datagram> datagrams;
    final Map<String, SaLog> initiator;
    final Map<String, SaLog> responder;

    private StrongSwanCapture(byte[] psk, List<Datagram> datagrams, Map<String, SaLog> initiator,
                              Map<String, SaLog> responder) {
        this.psk = psk;
        this.datagrams = datagrams;
        this.initiator = initiator;
        this.responder = responder;
    }

    static StrongSwanCapture load(Path dir) throws IOException {
        byte[] psk = Files.readString(dir.resolve("psk.txt"), StandardCharsets.US_ASCII).strip()
                .getBytes(StandardCharsets.US_ASCII);
        return new StrongSwanCapture(psk, readPcap(dir.resolve("keymat.pcap")), readLog(dir.resolve("initiator.log")),
                readLog(dir.resolve("responder.log")));
    }

    /** One UDP datagram carrying ISAKMP (after the non-ESP marker on port 4500). */
    record Datagram(String src, String dst, int srcPort, int dstPort, byte[] isakmp) {
    }

    static List<Datagram> readPcap(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        ByteBuffer rec = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN); // tcpdump writes host order
        assertEquals(0xa1b2c3d4, rec.getInt(0), "pcap magic, little-endian");
        assertEquals(1, rec.getInt(20), "LINKTYPE_ETHERNET");
        ByteBuffer b = ByteBuffer.wrap(raw); // network order
        List<Datagram> out = new ArrayList<>();
        int off = 24;
        while (off + 16 <= raw.length) {
            int len = rec.getInt(off + 8);
            int frame = off + 16;
            off = frame + len;
            if ((b.getShort(frame + 12) & 0xffff) != 0x0800 || (b.get(frame + 23) & 0xff) != 17) {
                continue;
            }
            int ip = frame + 14;
            int udp = ip + (b.get(ip) & 0x0f) * 4;
            int sport = b.getShort(udp) & 0xffff;
            int dport = b.getShort(udp + 2) & 0xffff;
            int payload = udp + 8;
            int end = udp + (b.getShort(udp + 4) & 0xffff);
            if (sport == 4500 || dport == 4500) {
                if (end - payload < 4 || b.getInt(payload) != 0) {
                    continue; // NAT-T keepalive or ESP
                }
                payload += 4;
            }
            byte[] data = Arrays.copyOfRange(raw, payload, end);
            out.add(new Datagram(ipv4(b, ip + 12), ipv4(b, ip + 16), sport, dport, data));
        }
        return out;
    }

    private static String ipv4(ByteBuffer b, int at) {
        return (b.get(at) & 0xff) + "." + (b.get(at + 1) & 0xff) + "." + (b.get(at + 2) & 0xff) + "." + (b.get(at + 3) & 0xff);
    }

    /** An ISAKMP message as seen on the wire (RFC 2408 §3.1). */
    record Message(boolean fromInitiator, byte[] raw) {
        byte[] cookieI() {
            return Arrays.copyOfRange(raw, 0, 8);
        }

        byte[] cookieR() {
            return Arrays.copyOfRange(raw, 8, 16);
        }

        int firstPayload() {
            return raw[16] & 0xff;
        }

        int exchange() {
            return raw[18] & 0xff;
        }

        boolean encrypted() {
            return (raw[19] & 1) != 0;
        }

        int messageId() {
            return ByteBuffer.wrap(raw, 20, 4).getInt();
        }

        /** Everything after the header, up to the header's length. */
        byte[] body() {
            int length = ByteBuffer.wrap(raw, 24, 4).getInt();
            assertEquals(raw.length, length, "ISAKMP length of a datagram that holds one message");
            return Arrays.copyOfRange(raw, 28, length);
        }
    }

    /** The messages between one pair of addresses, in capture order. */
    List<Message> messages(String initiatorAddress, String responderAddress) {
        List<Message> out = new ArrayList<>();
        for (Datagram d : datagrams) {
            if (d.src.equals(initiatorAddress) && d.dst.equals(responderAddress)) {
                out.add(new Message(true, d.isakmp));
            } else if (d.src.equals(responderAddress) && d.dst.equals(initiatorAddress)) {
                out.add(new Message(false, d.isakmp));
            }
        }
        return out;
    }

    /** One payload: its type (from the previous header's next-payload field), offset and body. */
    record Payload(int type, int offset, byte[] body) {
    }

    /** A payload chain and the offset where it ends (the rest is padding). */
    record Chain(List<Payload> payloads, int end) {
        Payload first(int type) {
            return payloads.stream().filter(p -> p.type == type).findFirst()
                    .orElseThrow(() -> new AssertionError("no payload of type " + type + " in " + types()));
        }

        List<Integer> types() {
            return payloads.stream().map(Payload::type).toList();
        }
    }

    /**
     * Walks generic payload headers (RFC 2408 §3.2: next payload, reserved, length) from {@code offset}, asserting
     * that each is sane: a known IKEv1 payload type, reserved octet zero, length at least 4 and within the data.
     */
    static Chain chain(int firstType, byte[] data, int offset) {
        List<Payload> out = new ArrayList<>();
        int type = firstType;
        int off = offset;
        while (type != 0) {
            assertTrue(type >= 1 && type <= 20, "payload type " + type + " at " + off);
            assertTrue(off + 4 <= data.length, "generic header at " + off + " of " + data.length);
            int next = data[off] & 0xff;
            assertEquals(0, data[off + 1], "reserved octet at " + (off + 1));
            int len = ((data[off + 2] & 0xff) << 8) | (data[off + 3] & 0xff);
            assertTrue(len >= 4 && off + len <= data.length, "payload length " + len + " at " + off);
            out.add(new Payload(type, off, Arrays.copyOfRange(data, off + 4, off + len)));
            off += len;
            type = next;
            assertTrue(out.size() < 64, "payload chain loops");
        }
        return new Chain(out, off);
    }

    /** The values one charon logged for one IKE SA, in log order. */
    static final class SaLog {
        final String name;
        final List<Map.Entry<String, byte[]>> dumps = new ArrayList<>();

        SaLog(String name) {
            this.name = name;
        }

        List<byte[]> all(String label) {
            return dumps.stream().filter(e -> e.getKey().equals(label)).map(Map.Entry::getValue).toList();
        }

        byte[] one(String label) {
            List<byte[]> v = all(label);
            assertEquals(1, v.size(), name + ": dumps of \"" + label + "\"");
            return v.get(0);
        }

        /** The IVs logged for a message ID ("initial IV" first for 0), consecutive repetitions folded. */
        List<String> ivs(int messageId) {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : dumps) {
                boolean mine = e.getKey().equals("next IV for MID " + Integer.toUnsignedString(messageId))
                        || messageId == 0 && e.getKey().equals("initial IV");
                String iv = HEX.formatHex(e.getValue());
                if (mine && (out.isEmpty() || !out.get(out.size() - 1).equals(iv))) {
                    out.add(iv);
                }
            }
            return out;
        }
    }

    // "1796160410 10[IKE] <gcm|1> SKEYID => 32 bytes @ 0x7f2d74004d10" and "... <gcm|1>  112: 9D 9A ..."
    private static final Pattern PREFIX = Pattern.compile("^\\S+ (\\d+)\\[(\\w+)\\] <(?:([\\w-]+)\\|)?(\\d+)> (.*)$");
    private static final Pattern DUMP = Pattern.compile("^(.+) => (\\d+) bytes @ 0x[0-9a-f]+$");
    private static final Pattern HEXLINE = Pattern.compile("^\\s*\\d+: ((?:[0-9A-F]{2} ){0,15}[0-9A-F]{2})(?:  .*)?$");

    static Map<String, SaLog> readLog(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        Map<String, String> names = new LinkedHashMap<>();
        for (String line : lines) {
            Matcher m = PREFIX.matcher(line);
            if (m.matches() && m.group(3) != null) {
                names.put(m.group(4), m.group(3));
            }
        }
        Map<String, SaLog> byName = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = PREFIX.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            Matcher d = DUMP.matcher(m.group(5));
            if (!d.matches()) {
                continue;
            }
            String name = names.get(m.group(4));
            int n = Integer.parseInt(d.group(2));
            byte[] value = new byte[n];
            int got = 0;
            for (int j = i + 1; got < n && j < lines.size(); j++) {
                Matcher c = PREFIX.matcher(lines.get(j));
                if (!c.matches() || !c.group(1).equals(m.group(1)) || !c.group(4).equals(m.group(4))) {
                    continue;
                }
                Matcher h = HEXLINE.matcher(c.group(5));
                assertTrue(h.matches(), "hexdump line " + (j + 1) + " of " + file.getFileName());
                for (String pair : h.group(1).split(" ")) {
                    value[got++] = (byte) Integer.parseInt(pair, 16);
                }
            }
            assertEquals(n, got, d.group(1) + " at line " + (i + 1));
            byName.computeIfAbsent(name, SaLog::new).dumps.add(Map.entry(d.group(1), value));
        }
        return byName;
    }
}

package net.poolsa.ike.pool;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.message.IdType;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real Quick Mode IDs: strongSwan 5.9.8 charons negotiated three IKEv1 Quick Modes (resources
 * {@code strongswan/capture-quick-mode.sh}); tshark decrypted them with the IKE SA's key and
 * {@code extract-ids.py} wrote each message's IDci/IDcr bodies to {@code quick-mode-ids.txt}. We decode
 * them, compare with tshark's own field decoding of the pcap (run here, decrypting again), re-encode them
 * byte-exact, check that our pool encoding produces strongSwan's bytes, and break them one byte at a time.
 * Needs the {@code tshark} binary, no root.
 */
class StrongSwanCaptureTest {
    private static final HexFormat HEX = HexFormat.of();
    private static Map<Integer, List<String>> idsByFrame;

    @BeforeAll
    static void load() throws IOException {
        idsByFrame = new LinkedHashMap<>();
        for (String line : resource("quick-mode-ids.txt").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split(" ");
            idsByFrame.put(Integer.parseInt(f[1]), List.of(f[2], f[3]));
        }
        assertEquals(List.of(7, 8, 10, 11, 13, 14), new ArrayList<>(idsByFrame.keySet()));
    }

    @Tag("root")
    @Test
    void decodesStrongSwanIdsAsTsharkDoes(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("quick-mode.pcap");
        Files.write(pcap, bytes("quick-mode.pcap"));
        Files.write(dir.resolve("ikev1_decryption_table"), bytes("ikev1_decryption_table"));
        List<String> rows = tshark(dir, pcap);
        assertEquals(idsByFrame.size(), rows.size());
        int i = 0;
        for (Map.Entry<Integer, List<String>> e : idsByFrame.entrySet()) {
            IdentificationPayload ci = IdBytes.decode(e.getValue().get(0));
            IdentificationPayload cr = IdBytes.decode(e.getValue().get(1));
            assertEquals(e.getKey() + "|" + fields(ci, cr), rows.get(i++), "frame " + e.getKey());
            assertEquals(e.getValue().get(0), IdBytes.hex(ci));
            assertEquals(e.getValue().get(1), IdBytes.hex(cr));
        }
    }

    @Test
    void ourPoolEncodingIsStrongSwansByteForByte() throws Exception {
        // Frame 7: local_ts = 192.0.2.0/24[sctp], remote_ts = 198.51.100.0/25[sctp].
        checkSame(7, "192.0.2.0/24", "198.51.100.0/25", 132, 0);
        // Frame 10: 192.0.2.7/32[udp/500] <-> 198.51.100.10-198.51.100.20[udp/500].
        checkSame(10, "192.0.2.7", "198.51.100.10-198.51.100.20", 17, 500);
        // Frame 13: 2001:db8:1::/48 <-> 2001:db8:2::5-2001:db8:2::9, any protocol.
        checkSame(13, "2001:db8:1::/48", "2001:db8:2::5-2001:db8:2::9", 0, 0);
        // The responder (frames 8, 11, 14) returns the initiator's IDs unchanged, as RFC 2409 section 5.5 says.
        for (int f : new int[] {7, 10, 13}) {
            assertEquals(idsByFrame.get(f), idsByFrame.get(f + 1));
        }
    }

    private static void checkSame(int frame, String local, String remote, int proto, int port) throws Exception {
        List<String> seen = idsByFrame.get(frame);
        AddressPool l = AddressPool.parse(local);
        AddressPool r = AddressPool.parse(remote);
        assertEquals(seen.get(0), IdBytes.hex(PoolIdentities.toSingleId(l, proto, port)));
        assertEquals(seen.get(1), IdBytes.hex(PoolIdentities.toSingleId(r, proto, port)));
        assertEquals(l, PoolIdentities.toPool(IdBytes.decode(seen.get(0))));
        assertEquals(r, PoolIdentities.toPool(IdBytes.decode(seen.get(1))));
    }

    @Test
    void oneFlippedByteGivesTheExactError() {
        byte[] subnet = HEX.parseHex(idsByFrame.get(7).get(1)); // ID_IPV4_ADDR_SUBNET 198.51.100.0/255.255.255.128
        int maskLastByte = 4 + 4 + 3;
        subnet[maskLastByte] = 0x01;
        expect(subnet, NotifyType.INVALID_ID_INFORMATION, "ID_IPV4_ADDR_SUBNET mask 255.255.255.1 is not contiguous");

        byte[] range = HEX.parseHex(idsByFrame.get(10).get(1)); // ID_IPV4_ADDR_RANGE .10-.20
        int rangeEndLastByte = 4 + 4 + 3;
        range[rangeEndLastByte] = 0x05;
        expect(range, NotifyType.INVALID_ID_INFORMATION, "ID_IPV4_ADDR_RANGE start 198.51.100.10 is after end 198.51.100.5");

        byte[] addr = HEX.parseHex(idsByFrame.get(10).get(0)); // ID_IPV4_ADDR 192.0.2.7, retyped as a subnet
        int idTypeOffset = 0;
        addr[idTypeOffset] = 4;
        expect(addr, NotifyType.INVALID_ID_INFORMATION, "ID_IPV4_ADDR_SUBNET needs 8 bytes, got 4");

        byte[] v6range = HEX.parseHex(idsByFrame.get(13).get(1));
        byte[] cut = java.util.Arrays.copyOf(v6range, v6range.length - 1);
        expect(cut, NotifyType.INVALID_ID_INFORMATION, "ID_IPV6_ADDR_RANGE needs 32 bytes, got 31");

        byte[] v6subnet = HEX.parseHex(idsByFrame.get(13).get(0));
        int maskFirstByte = 4 + 16;
        v6subnet[maskFirstByte] = (byte) 0xfe;
        expect(v6subnet, NotifyType.INVALID_ID_INFORMATION,
                "ID_IPV6_ADDR_SUBNET mask feff:ffff:ffff:0:0:0:0:0 is not contiguous");

        expect(java.util.Arrays.copyOf(addr, 3), NotifyType.PAYLOAD_MALFORMED,
                "Identification payload needs at least 4 bytes, got 3");
    }

    private static void expect(byte[] body, NotifyType notify, String message) {
        IkeProtocolException e = assertThrows(IkeProtocolException.class, () -> IdBytes.decode(HEX.formatHex(body)));
        assertEquals(notify, e.notifyType());
        assertEquals(message, e.getMessage());
    }

    /** Our reading in tshark's column format: type, protocol, port, then the address fields tshark fills. */
    private static String fields(IdentificationPayload... ids) throws Exception {
        List<List<String>> cols = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            cols.add(new ArrayList<>());
        }
        for (IdentificationPayload id : ids) {
            cols.get(0).add(Integer.toString(id.idType().code()));
            cols.get(1).add(Integer.toString(id.protocolId()));
            cols.get(2).add(Integer.toString(id.port()));
            AddressPool pool = PoolIdentities.toPool(id);
            String first = text(pool.ranges().get(0).first());
            String last = text(pool.ranges().get(0).last());
            IdType t = id.idType();
            int base = t.isV6() ? 7 : 3;
            if (t.equals(IdType.ID_IPV4_ADDR) || t.equals(IdType.ID_IPV6_ADDR)) {
                cols.get(base).add(first);
            } else if (t.equals(IdType.ID_IPV4_ADDR_SUBNET) || t.equals(IdType.ID_IPV6_ADDR_SUBNET)) {
                // tshark: network under ipvN_addr, mask under ipvN_subnet.
                cols.get(base).add(first);
                byte[] d = id.data();
                int size = t.isV6() ? 16 : 4;
                cols.get(base + 1).add(text(java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(d, size, 2 * size))));
            } else {
                cols.get(base + 2).add(first);
                cols.get(base + 3).add(last);
            }
        }
        List<String> out = new ArrayList<>();
        for (List<String> c : cols) {
            out.add(String.join(",", c));
        }
        return String.join("|", out);
    }

    /** RFC 5952 text, as tshark prints it: the JDK's getHostAddress does not compress zero runs. */
    private static String text(java.net.InetAddress a) {
        String s = a.getHostAddress();
        if (s.indexOf(':') < 0) {
            return s;
        }
        String[] g = s.split(":");
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < g.length; i++) {
            int j = i;
            while (j < g.length && g[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
        }
        if (bestStart < 0) {
            return s;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, bestStart + bestLen, g.length));
        return head + "::" + tail;
    }

    private static List<String> tshark(Path configDir, Path pcap) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", "isakmp.exchangetype == 32",
                "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number",
                "-e", "isakmp.id.type", "-e", "isakmp.id.protoid", "-e", "isakmp.id.port",
                "-e", "isakmp.id.data.ipv4_addr", "-e", "isakmp.id.data.ipv4_subnet",
                "-e", "isakmp.id.data.ipv4_range_start", "-e", "isakmp.id.data.ipv4_range_end",
                "-e", "isakmp.id.data.ipv6_addr", "-e", "isakmp.id.data.ipv6_subnet",
                "-e", "isakmp.id.data.ipv6_range_start", "-e", "isakmp.id.data.ipv6_range_end"));
        Path out = configDir.resolve("tshark.out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        // tshark reads the IKEv1 key table from its configuration directory.
        pb.environment().put("WIRESHARK_CONFIG_DIR", configDir.toString());
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), "tshark exit status");
        return Files.readAllLines(out);
    }

    private static byte[] bytes(String name) throws IOException {
        try (InputStream in = StrongSwanCaptureTest.class.getResourceAsStream("/strongswan/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource strongswan/" + name);
            }
            return in.readAllBytes();
        }
    }

    private static String resource(String name) throws IOException {
        return new String(bytes(name), StandardCharsets.US_ASCII);
    }


}

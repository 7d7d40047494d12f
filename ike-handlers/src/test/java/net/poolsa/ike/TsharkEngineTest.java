package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.ike.exchange.KeyExport;

/**
 * tshark (Debian tshark 4.0) reads every message two engines exchange, decrypting the encrypted ones with the keys
 * the engine's test-only export wrote ({@code ikev1_decryption_table}): no malformed packet, no expert information,
 * and the payloads we meant, the outer-pool notification (type 38400) in Quick Mode messages 1 and 2 included.
 * Main Mode floats to UDP/4500 (forced encapsulation), where tshark must also skip the non-ESP marker.
 */
@Tag("root")
class TsharkEngineTest {

    /** Two gateways whose engines export their keys to {@code dir} (test-only). */
    static Gateways exporting(Path dir) {
        String saved = System.getProperty(KeyExport.PROPERTY);
        System.setProperty(KeyExport.PROPERTY, dir.toString());
        try {
            return new Gateways();
        } finally {
            if (saved == null) {
                System.clearProperty(KeyExport.PROPERTY);
            } else {
                System.setProperty(KeyExport.PROPERTY, saved);
            }
        }
    }

    @Test
    void tsharkDecodesAndDecryptsEveryMessageWithoutErrors(@TempDir Path dir) throws Exception {
        Gateways g = exporting(dir);
        g.configure(Conn.of("192.0.2.1,198.51.100.201", "192.0.2.2", "198.51.100.0/26,198.51.100.128/26",
                "203.0.113.0/24").encap(true), Conn.of("192.0.2.2", "192.0.2.1,198.51.100.201", "203.0.113.0/24",
                "198.51.100.0/26,198.51.100.128/26"));
        assertTrue(g.initiate(g.a).ok());
        assertTrue(Gateways.done(g.a.engine.terminate("c").toCompletableFuture()).ok());
        g.wire.flush();
        assertEquals(11, g.wire.log.size(), "Main Mode, Quick Mode, two Deletes");
        Path pcap = dir.resolve("engine.pcap");
        Files.write(pcap, pcap(g.wire.log));
        List<String[]> rows = tshark(dir, pcap);
        assertEquals(11, rows.size());
        String[] payloads = {
            "1,2,3,13,13,13,13", "1,2,3,13,13,13", "4,10,20,20", "4,10,20,20", "5,8,11", "5,8", "8,1,2,3,10,4,5,5,11",
            "8,1,2,3,10,4,5,5,11", "8", "8,12", "8,12",
        };
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            String what = "message " + (i + 1) + ": " + String.join("|", r);
            assertEquals("", r[1], what + ": malformed");
            assertEquals("", r[2], what + ": expert information");
            assertEquals(payloads[i], r[3], what);
        }
        assertEquals("24578", rows.get(4)[4], "INITIAL-CONTACT in message 5");
        assertEquals("38400", rows.get(6)[4], "the outer-pool notification in Quick Mode message 1");
        assertEquals("38400", rows.get(7)[4], "and in message 2");
        assertEquals("12,4", rows.get(6)[5], "IDci: ID_LIST (RFC 3554) of two subnets; IDcr: one subnet");
    }

    /**
     * AH behind a NAT (forced here) stays AH over IP: RFC 3948 encapsulates ESP only, so the Quick Mode transforms
     * say Tunnel (1), not UDP-Encapsulated-Tunnel (3), and the SAs carry no UDP encapsulation.
     */
    @Test
    void ahBehindANatIsOfferedWithoutUdpEncapsulation(@TempDir Path dir) throws Exception {
        Gateways g = exporting(dir);
        g.configure(Gateways.forA().protocol(net.poolsa.esp.sa.IpsecProtocol.AH).esp("sha256").encap(true),
                Gateways.forB().protocol(net.poolsa.esp.sa.IpsecProtocol.AH).esp("sha256"));
        assertTrue(g.initiate(g.a).ok());
        Path pcap = dir.resolve("ah.pcap");
        Files.write(pcap, pcap(g.wire.log));
        List<String[]> rows = tshark(dir, pcap, "isakmp.ipsec.attr.type", "isakmp.ipsec.attr.value");
        for (int qm : new int[] {6, 7}) {
            String[] types = rows.get(qm)[3].split(",");
            String[] values = rows.get(qm)[4].split(",");
            int i = java.util.Arrays.asList(types).indexOf("4");
            assertEquals(1, Integer.parseInt(values[i], 16), "Encapsulation-Mode of Quick Mode message " + (qm - 5) + ": " + String.join("|", rows.get(qm)));
        }
        assertEquals(null, Gateways.one(g.a, net.poolsa.esp.sa.Direction.OUTBOUND).udpEncapsulation());
    }

    /**
     * An AH+ESP bundle as tshark reads our Quick Mode (decrypted with the exported keys): message 1 offers proposal 1
     * twice, AH (protocol 2) then ESP (protocol 3), each with its own SPI (the outer-pool notification names the ESP
     * one); message 2 answers with both; the Deletes
     * name the ESP and then the AH SPI. No malformed packet, no expert information.
     */
    @Test
    void tsharkReadsAnAhEspBundle(@TempDir Path dir) throws Exception {
        Gateways g = exporting(dir);
        g.configure(Gateways.forA().esp("aes128-sha256-modp2048").ah("sha256"),
                Gateways.forB().esp("aes128-sha256-modp2048").ah("sha256"));
        assertTrue(g.initiate(g.a).ok());
        java.util.Map<net.poolsa.esp.sa.IpsecProtocol, Integer> inbound = new java.util.EnumMap<>(net.poolsa.esp.sa.IpsecProtocol.class);
        for (net.poolsa.esp.sa.SecurityAssociation sa : g.a.kernel.listSas()) {
            if (sa.direction() == net.poolsa.esp.sa.Direction.INBOUND) {
                inbound.put(sa.protocol(), sa.spi());
            }
        }
        assertTrue(Gateways.done(g.a.engine.terminate("c").toCompletableFuture()).ok());
        g.wire.flush();
        assertEquals(12, g.wire.log.size(), "Main Mode, Quick Mode, D(ESP), D(AH), D(ISAKMP)");
        Path pcap = dir.resolve("bundle.pcap");
        Files.write(pcap, pcap(g.wire.log));
        List<String[]> rows = tshark(dir, pcap, "isakmp.prop.number", "isakmp.prop.protoid", "isakmp.spi",
                "isakmp.delete.protoid", "isakmp.delete.spi");
        assertEquals(12, rows.size());
        for (String[] r : rows) {
            assertEquals("", r[1], "malformed: " + String.join("|", r));
            assertEquals("", r[2], "expert information: " + String.join("|", r));
        }
        String[] qm1 = rows.get(6);
        String[] qm2 = rows.get(7);
        assertEquals("1,1", qm1[3], String.join("|", qm1));
        assertEquals("2,3", qm1[4], "AH, then ESP: " + String.join("|", qm1));
        assertEquals("1,1", qm2[3], String.join("|", qm2));
        assertEquals("2,3", qm2[4], String.join("|", qm2));
        int esp = inbound.get(net.poolsa.esp.sa.IpsecProtocol.ESP);
        assertEquals(String.format("%08x,%08x,%08x", inbound.get(net.poolsa.esp.sa.IpsecProtocol.AH), esp, esp),
                qm1[5].replace(":", ""), "A's inbound AH and ESP SPIs, then the outer-pool notification's (ESP)");
        assertEquals("3|" + String.format("%08x", esp), rows.get(9)[6] + "|" + rows.get(9)[7].replace(":", ""),
                "D(ESP) first: " + String.join("|", rows.get(9)));
        assertEquals("2|" + String.format("%08x", inbound.get(net.poolsa.esp.sa.IpsecProtocol.AH)), rows.get(10)[6] + "|"
                + rows.get(10)[7].replace(":", ""), "then D(AH): " + String.join("|", rows.get(10)));
    }

    private static List<String[]> tshark(Path conf, Path pcap) throws Exception {
        return tshark(conf, pcap, "isakmp.typepayload", "isakmp.notify.msgtype", "isakmp.id.type");
    }

    private static List<String[]> tshark(Path conf, Path pcap, String... fields) throws Exception {
        Path out = conf.resolve("tshark.out");
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(),
                "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number",
                "-e", "_ws.malformed", "-e", "_ws.expert.message"));
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("WIRESHARK_CONFIG_DIR", conf.toString());
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "tshark did not finish");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue());
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            rows.add(line.split("\\|", -1));
        }
        return rows;
    }

    /** A pcap (LINKTYPE_RAW) of the datagrams as IPv4/UDP, the non-ESP marker in front of those on port 4500. */
    static byte[] pcap(List<Wire.Datagram> datagrams) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(101);
        out.writeBytes(h.array());
        int t = 0;
        for (Wire.Datagram d : datagrams) {
            int marker = d.natT() ? 4 : 0;
            int udpLen = 8 + marker + d.bytes().length;
            ByteBuffer ip = ByteBuffer.allocate(20 + udpLen);
            ip.put((byte) 0x45).put((byte) 0).putShort((short) (20 + udpLen)).putShort((short) t).putShort((short) 0)
                    .put((byte) 64).put((byte) 17).putShort((short) 0)
                    .put(d.from().getAddress().getAddress()).put(d.to().getAddress().getAddress());
            int sum = 0;
            for (int i = 0; i < 20; i += 2) {
                sum += ip.getShort(i) & 0xffff;
            }
            sum = (sum & 0xffff) + (sum >>> 16);
            ip.putShort(10, (short) ~((sum & 0xffff) + (sum >>> 16)));
            ip.putShort((short) d.from().getPort()).putShort((short) d.to().getPort()).putShort((short) udpLen)
                    .putShort((short) 0);
            if (marker > 0) {
                ip.putInt(0);
            }
            ip.put(d.bytes());
            ByteBuffer rec = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            rec.putInt(1_700_000_000 + t++).putInt(0).putInt(ip.capacity()).putInt(ip.capacity());
            out.writeBytes(rec.array());
            out.writeBytes(ip.array());
        }
        return out.toByteArray();
    }
}

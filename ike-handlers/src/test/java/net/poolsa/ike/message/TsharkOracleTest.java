package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.pool.PoolIdentities;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tshark (Wireshark's ISAKMP dissector) as the independent decoder of our encoding: our IDs are written
 * as unencrypted IKEv1 Quick Mode messages, one per packet, in a pcap, and tshark's reading of each field
 * must match what we meant. Needs the {@code tshark} binary (Debian package tshark), no root.
 */
@Tag("root")
class TsharkOracleTest {
    private static final String[] FIELDS = {
        "isakmp.exchangetype", "isakmp.nextpayload", "isakmp.payloadlength", "isakmp.id.type", "isakmp.id.protoid",
        "isakmp.id.port", "isakmp.id.data.ipv4_addr", "isakmp.id.data.ipv4_subnet", "isakmp.id.data.ipv4_range_start",
        "isakmp.id.data.ipv4_range_end", "isakmp.id.data.ipv6_addr", "isakmp.id.data.ipv6_subnet",
        "isakmp.id.data.ipv6_range_start", "isakmp.id.data.ipv6_range_end", "isakmp.id.data.fqdn",
    };

    @Test
    void tsharkReadsOurIdsAsWeMeantThem(@TempDir Path dir) throws Exception {
        AddressPool pool = AddressPool.parse("192.0.2.7", "192.0.2.64/26", "198.51.100.10-198.51.100.20",
                "2001:db8::1", "2001:db8:1::/48", "2001:db8:2::5-2001:db8:2::9");
        List<IdentificationPayload> ids = new ArrayList<>(PoolIdentities.toIds(pool, 132, 0));
        ids.add(new IdentificationPayload(IdType.ID_FQDN, 17, 500, "gw.example.net".getBytes(StandardCharsets.US_ASCII)));
        ids.add(PoolIdentities.toSingleId(AddressPool.parse("192.0.2.0/24", "203.0.113.9"), 132, 2905));
        // IDci and IDcr: two chained ID payloads in one message, as Quick Mode sends them.
        List<List<IdentificationPayload>> packets = new ArrayList<>();
        for (IdentificationPayload id : ids) {
            packets.add(List.of(id));
        }
        packets.add(PoolIdentities.toIds(AddressPool.parse("192.0.2.0/24,198.51.100.0/30"), 0, 0));
        List<byte[]> chains = new ArrayList<>();
        for (List<IdentificationPayload> p : packets) {
            chains.add(IsakmpPcap.chain(p));
        }
        chains.add(ids.get(ids.size() - 1).data());

        Path pcap = dir.resolve("quick-mode-ids.pcap");
        Files.write(pcap, IsakmpPcap.quickModes(chains));
        List<String[]> rows = tshark(pcap);
        assertEquals(chains.size(), rows.size());

        // Columns: see FIELDS. Multiple occurrences in one packet are comma-separated. tshark files the
        // network of a subnet ID under ipvN_addr and its mask under ipvN_subnet.
        expect(rows.get(0), "32", "5,0", "12", "1", "132", "0", "192.0.2.7", "", "", "", "", "", "", "", "");
        expect(rows.get(1), "32", "5,0", "16", "4", "132", "0", "192.0.2.64", "255.255.255.192", "", "", "", "", "", "", "");
        expect(rows.get(2), "32", "5,0", "16", "7", "132", "0", "", "", "198.51.100.10", "198.51.100.20", "", "", "", "", "");
        expect(rows.get(3), "32", "5,0", "24", "5", "132", "0", "", "", "", "", "2001:db8::1", "", "", "", "");
        expect(rows.get(4), "32", "5,0", "40", "6", "132", "0", "", "", "", "", "2001:db8:1::", "ffff:ffff:ffff::", "", "", "");
        expect(rows.get(5), "32", "5,0", "40", "8", "132", "0", "", "", "", "", "", "", "2001:db8:2::5", "2001:db8:2::9", "");
        expect(rows.get(6), "32", "5,0", "22", "2", "17", "500", "", "", "", "", "", "", "", "", "gw.example.net");
        // ID_LIST: tshark knows the type and the outer length but shows the nested IDs only as bytes...
        expect(rows.get(7), "32", "5,0", "36", "12", "0", "0", "", "", "", "", "", "", "", "", "");
        expect(rows.get(8), "32", "5,5,0", "16,16", "4,4", "0,0", "0,0", "192.0.2.0,198.51.100.0",
                "255.255.255.0,255.255.255.252", "", "", "", "", "", "", "");
        // ...so the list's data, which RFC 3554 makes a chain of complete ID payloads, is also sent as the
        // payload chain of a message of its own: tshark must then walk it as two ID payloads.
        expect(rows.get(9), "32", "5,5,0", "16,12", "4,1", "132,132", "2905,2905", "192.0.2.0,203.0.113.9",
                "255.255.255.0", "", "", "", "", "", "", "");
    }

    private static void expect(String[] row, String... want) {
        assertEquals(String.join("|", want), String.join("|", row));
    }

    private static List<String[]> tshark(Path pcap) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", "isakmp", "-T", "fields",
                "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String f : FIELDS) {
            cmd.add("-e");
            cmd.add(f);
        }
        Path out = pcap.resolveSibling("tshark.out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false)
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
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

    /** A minimal pcap writer: Ethernet, IPv4, UDP 500 to 500, ISAKMP header, then chained payloads. */
    static final class IsakmpPcap {
        private IsakmpPcap() {
        }

        /** The ID payloads with generic headers, Next Payload chaining them (5) and 0 on the last. */
        static byte[] chain(List<IdentificationPayload> ids) {
            ByteBuf b = Unpooled.buffer();
            try {
                for (int i = 0; i < ids.size(); i++) {
                    IdentificationPayload id = ids.get(i);
                    b.writeByte(i + 1 < ids.size() ? IdentificationPayload.PAYLOAD_TYPE_ID : 0).writeByte(0);
                    b.writeShort(IdentificationPayload.GENERIC_HEADER_LENGTH + id.encodedLength());
                    id.encode(b);
                }
                byte[] out = new byte[b.readableBytes()];
                b.readBytes(out);
                return out;
            } finally {
                b.release();
            }
        }

        /** One unencrypted Quick Mode message per payload chain, its first payload an ID. */
        static byte[] quickModes(List<byte[]> messages) {
            ByteBuf f = Unpooled.buffer();
            try {
                f.writeIntLE(0xa1b2c3d4).writeShortLE(2).writeShortLE(4).writeIntLE(0).writeIntLE(0)
                        .writeIntLE(65535).writeIntLE(1); // LINKTYPE_ETHERNET
                int seq = 0;
                for (byte[] chain : messages) {
                    byte[] frame = frame(chain, seq);
                    f.writeIntLE(1_700_000_000 + seq).writeIntLE(0).writeIntLE(frame.length).writeIntLE(frame.length);
                    f.writeBytes(frame);
                    seq++;
                }
                byte[] out = new byte[f.readableBytes()];
                f.readBytes(out);
                return out;
            } finally {
                f.release();
            }
        }

        private static byte[] frame(byte[] chain, int seq) {
            ByteBuf isakmp = Unpooled.buffer();
            ByteBuf b = Unpooled.buffer();
            try {
                isakmp.writeLong(0x1122334455667788L).writeLong(0x99aabbccddeeff00L);
                isakmp.writeByte(IdentificationPayload.PAYLOAD_TYPE_ID).writeByte(0x10).writeByte(32).writeByte(0);
                isakmp.writeInt(0x01020304 + seq);
                int lengthAt = isakmp.writerIndex();
                isakmp.writeInt(0);
                isakmp.writeBytes(chain);
                isakmp.setInt(lengthAt, isakmp.readableBytes());

                b.writeBytes(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).writeShort(0x0800);
                int ipAt = b.writerIndex();
                int total = 20 + 8 + isakmp.readableBytes();
                b.writeByte(0x45).writeByte(0).writeShort(total).writeShort(seq).writeShort(0x4000)
                        .writeByte(64).writeByte(17).writeShort(0)
                        .writeInt(0xc0000201).writeInt(0xc0000202); // 192.0.2.1 -> 192.0.2.2
                int sum = 0;
                for (int i = 0; i < 20; i += 2) {
                    sum += b.getUnsignedShort(ipAt + i);
                }
                sum = (sum & 0xffff) + (sum >>> 16);
                sum = (sum & 0xffff) + (sum >>> 16);
                b.setShort(ipAt + 10, ~sum);
                b.writeShort(500).writeShort(500).writeShort(8 + isakmp.readableBytes()).writeShort(0);
                b.writeBytes(isakmp);
                byte[] out = new byte[b.readableBytes()];
                b.readBytes(out);
                return out;
            } finally {
                isakmp.release();
                b.release();
            }
        }
    }
}

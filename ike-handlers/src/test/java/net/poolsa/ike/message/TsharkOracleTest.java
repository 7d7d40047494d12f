package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.pool.PoolIdentities;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
        List<String[]> rows = Tshark.fields(pcap, "isakmp", FIELDS);
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

    /**
     * Every kind of message our exchanges build ({@link SampleMessages}), encoded by our encoder and sent as
     * UDP/500 datagrams: tshark must report no malformed packet and no expert information of any severity,
     * and read every field of {@link TsharkView#FIELDS} as we meant it.
     */
    @Test
    void tsharkReadsEveryMessageWeBuildWithoutErrors(@TempDir Path dir) throws Exception {
        List<SampleMessages.Sample> samples = SampleMessages.all();
        List<byte[]> datagrams = new ArrayList<>();
        for (SampleMessages.Sample s : samples) {
            datagrams.add(Msgs.encode(s.message()));
        }
        Path pcap = dir.resolve("ours.pcap");
        Files.write(pcap, PcapFile.udp(datagrams, 500));
        List<String> fields = new ArrayList<>(List.of("frame.number", "_ws.malformed", "_ws.expert.message"));
        fields.addAll(List.of(TsharkView.FIELDS));
        List<String[]> rows = Tshark.fields(pcap, "frame", fields.toArray(new String[0]));
        assertEquals(samples.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            String what = samples.get(i).row() + " (frame " + row[0] + ")";
            assertEquals("", row[1], what + ": malformed");
            assertEquals("", row[2], what + ": expert information");
            String theirs = String.join("|", java.util.Arrays.copyOfRange(row, 3, row.length));
            assertEquals(theirs, TsharkView.row(samples.get(i).message(), datagrams.get(i).length), what);
        }
    }

    private static void expect(String[] row, String... want) {
        assertEquals(String.join("|", want), String.join("|", row));
    }

    /** ISAKMP messages around raw payload chains, in a pcap of UDP/500 datagrams. */
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
            List<byte[]> datagrams = new ArrayList<>();
            int seq = 0;
            for (byte[] chain : messages) {
                datagrams.add(isakmp(chain, seq++));
            }
            return PcapFile.udp(datagrams, 500);
        }

        private static byte[] isakmp(byte[] chain, int seq) {
            ByteBuf isakmp = Unpooled.buffer();
            try {
                isakmp.writeLong(0x1122334455667788L).writeLong(0x99aabbccddeeff00L);
                isakmp.writeByte(IdentificationPayload.PAYLOAD_TYPE_ID).writeByte(0x10).writeByte(32).writeByte(0);
                isakmp.writeInt(0x01020304 + seq);
                int lengthAt = isakmp.writerIndex();
                isakmp.writeInt(0);
                isakmp.writeBytes(chain);
                isakmp.setInt(lengthAt, isakmp.readableBytes());
                return Msgs.bytes(isakmp);
            } finally {
                isakmp.release();
            }
        }
    }
}

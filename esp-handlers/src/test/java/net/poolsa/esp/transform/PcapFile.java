package net.poolsa.esp.transform;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes a classic pcap file (libpcap format) with LINKTYPE_RAW (101): each record is one IPv4 or IPv6 packet. */
final class PcapFile {
    private PcapFile() {
    }

    static void write(Path file, List<byte[]> packets) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(101);
        out.write(h.array());
        int t = 0;
        for (byte[] p : packets) {
            ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(1_700_000_000 + t++).putInt(0).putInt(p.length).putInt(p.length);
            out.write(r.array());
            out.write(p);
        }
        Files.write(file, out.toByteArray());
    }
}

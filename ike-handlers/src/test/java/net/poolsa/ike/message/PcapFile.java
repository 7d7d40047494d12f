package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.List;

/** A minimal pcap writer for tests: each datagram in an Ethernet/IPv4/UDP frame, 192.0.2.1 to 192.0.2.2. */
final class PcapFile {
    private PcapFile() {
    }

    /** One UDP datagram per element, source and destination port {@code port}. */
    static byte[] udp(List<byte[]> datagrams, int port) {
        ByteBuf f = Unpooled.buffer();
        try {
            f.writeIntLE(0xa1b2c3d4).writeShortLE(2).writeShortLE(4).writeIntLE(0).writeIntLE(0)
                    .writeIntLE(65535).writeIntLE(1); // LINKTYPE_ETHERNET
            int seq = 0;
            for (byte[] d : datagrams) {
                byte[] frame = frame(d, seq, port);
                f.writeIntLE(1_700_000_000 + seq).writeIntLE(0).writeIntLE(frame.length).writeIntLE(frame.length);
                f.writeBytes(frame);
                seq++;
            }
            return Msgs.bytes(f);
        } finally {
            f.release();
        }
    }

    private static byte[] frame(byte[] datagram, int seq, int port) {
        ByteBuf b = Unpooled.buffer();
        try {
            b.writeBytes(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).writeShort(0x0800);
            int ipAt = b.writerIndex();
            int total = 20 + 8 + datagram.length;
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
            b.writeShort(port).writeShort(port).writeShort(8 + datagram.length).writeShort(0);
            b.writeBytes(datagram);
            return Msgs.bytes(b);
        } finally {
            b.release();
        }
    }
}

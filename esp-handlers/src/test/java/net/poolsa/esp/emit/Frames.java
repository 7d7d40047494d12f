package net.poolsa.esp.emit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;

/** Test packets for the emitters, and the frames tcpdump captured (classic pcap, Ethernet link type). */
final class Frames {
    static final int ESP = 50;
    static final int AH = 51;
    static final int UDP = 17;

    private Frames() {
    }

    /**
     * An IPv4 packet: {@code payload} bytes after a 20-byte header with correct total length and checksum.
     *
     * @param flags the flags + fragment offset field (0x4000 = DF)
     */
    static byte[] ipv4(int protocol, int tos, int id, int flags, byte[] src, byte[] dst, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) tos).putShort((short) (20 + payload.length)).putShort((short) id).putShort((short) flags);
        b.put((byte) 64).put((byte) protocol).putShort((short) 0).put(src).put(dst).put(payload);
        byte[] p = b.array();
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += (p[i] & 0xff) << 8 | p[i + 1] & 0xff;
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum += sum >>> 16;
        p[10] = (byte) (~sum >>> 8);
        p[11] = (byte) ~sum;
        return p;
    }

    /** An IPv6 packet with {@code nextHeader} directly after the fixed header. */
    static byte[] ipv6(int nextHeader, byte[] src, byte[] dst, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x60000000).putShort((short) payload.length).put((byte) nextHeader).put((byte) 64).put(src).put(dst).put(payload);
        return b.array();
    }

    /** An ESP-shaped payload: SPI, sequence number, then {@code length - 8} bytes of a pattern. */
    static byte[] esp(int spi, int seq, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putInt(spi).putInt(seq);
        for (int i = 8; i < length; i++) {
            b.put((byte) (i * 7 + seq));
        }
        return b.array();
    }

    /** A UDP/4500 datagram carrying ESP (RFC 3948), checksum 0. */
    static byte[] espInUdp(int spi, int seq, int espLength) {
        ByteBuffer b = ByteBuffer.allocate(8 + espLength);
        b.putShort((short) 4500).putShort((short) 4500).putShort((short) (8 + espLength)).putShort((short) 0).put(esp(spi, seq, espLength));
        return b.array();
    }

    /** The bytes in a pooled direct buffer (the data path's kind) or, with {@code heap}, an unpooled heap buffer. */
    static ByteBuf buffer(byte[] packet, boolean heap) {
        ByteBuf b = heap ? Unpooled.buffer(packet.length) : PooledByteBufAllocator.DEFAULT.directBuffer(packet.length);
        return b.writeBytes(packet);
    }

    /** The frames of a classic pcap file (microsecond or nanosecond, either byte order). */
    static List<byte[]> read(Path pcap) throws IOException {
        byte[] all = Files.readAllBytes(pcap);
        List<byte[]> frames = new ArrayList<>();
        if (all.length < 24) {
            return frames;
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            b.order(ByteOrder.BIG_ENDIAN);
        }
        int at = 24;
        while (at + 16 <= all.length) {
            int incl = b.getInt(at + 8);
            if (at + 16 + incl > all.length) {
                break; // a record still being written
            }
            byte[] f = new byte[incl];
            System.arraycopy(all, at + 16, f, 0, incl);
            frames.add(f);
            at += 16 + incl;
        }
        return frames;
    }

    /** EtherType of a captured Ethernet frame. */
    static int etherType(byte[] frame) {
        return (frame[12] & 0xff) << 8 | frame[13] & 0xff;
    }

    /** Destination MAC of a captured Ethernet frame as "aa:bb:...". */
    static String destinationMac(byte[] frame) {
        return NextHop.mac(java.util.Arrays.copyOf(frame, 6));
    }
}

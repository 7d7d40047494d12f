package net.poolsa.esp.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root (CAP_NET_RAW): raw IPv4 and IPv6 packets with UDP inside are sent to loopback and must be
 * received by ordinary UDP sockets, i.e. the kernel's own IP and UDP stacks are the oracle for our headers,
 * batching and addressing. Traffic stays on loopback.
 */
@Tag("root")
class RawSocketEmitterTest {
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DropListener listener = (r, sa) -> drops.merge(r, 1, Integer::sum);

    private static ByteBuf udp4(int dstPort, byte[] payload, boolean direct) {
        ByteBuf b = direct ? PooledByteBufAllocator.DEFAULT.directBuffer() : Unpooled.buffer();
        int total = 28 + payload.length;
        b.writeByte(0x45).writeByte(0).writeShort(total).writeShort(1).writeShort(0x4000);
        b.writeByte(64).writeByte(17).writeShort(0).writeInt(0x7f000001).writeInt(0x7f000001);
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeShort(40000).writeShort(dstPort).writeShort(8 + payload.length).writeShort(0); // no UDP checksum (IPv4)
        b.writeBytes(payload);
        return b;
    }

    private static ByteBuf udp6(int dstPort, byte[] payload) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        int ulen = 8 + payload.length;
        b.writeInt(0x60000000).writeShort(ulen).writeByte(17).writeByte(64);
        b.writeLong(0).writeLong(1).writeLong(0).writeLong(1); // ::1 -> ::1
        b.writeShort(40000).writeShort(dstPort).writeShort(ulen).writeShort(0);
        b.writeBytes(payload);
        int c = Checksums.fold(Checksums.sum(b, 40, ulen, Checksums.ipv6PseudoHeader(b, 0, ulen, 17)));
        b.setShort(46, c == 0 ? 0xffff : c);
        return b;
    }

    @Test
    void batchesReachUdpSocketsOverIpv4AndIpv6() throws Exception {
        try (DatagramSocket r4 = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             DatagramSocket r6 = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0));
             RawSocketEmitter e = new RawSocketEmitter(listener)) {
            r4.setSoTimeout(2000);
            r6.setSoTimeout(2000);
            int n = 70; // more than two batches: exercises the automatic flush at BATCH
            for (int i = 0; i < n; i++) {
                byte[] pl = new byte[100 + i];
                Arrays.fill(pl, (byte) i);
                e.send(udp4(r4.getLocalPort(), pl, i % 2 == 0));
                e.send(udp6(r6.getLocalPort(), pl));
            }
            e.flush();
            assertEquals(2L * n, e.sentPackets());
            assertTrue(e.syscalls() <= 6, "batched: " + e.syscalls() + " calls");
            byte[] buf = new byte[2000];
            for (int i = 0; i < n; i++) {
                DatagramPacket p4 = new DatagramPacket(buf, buf.length);
                r4.receive(p4);
                assertEquals(100 + i, p4.getLength());
                assertEquals((byte) i, buf[0]);
                DatagramPacket p6 = new DatagramPacket(buf, buf.length);
                r6.receive(p6);
                assertEquals(100 + i, p6.getLength());
                assertEquals((byte) i, buf[p6.getLength() - 1]);
            }
        }
        assertEquals(Map.of(), drops);
    }

    @Test
    void aRefusedPacketInTheMiddleOfABatchIsSkipped() throws Exception {
        try (DatagramSocket r4 = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             RawSocketEmitter e = new RawSocketEmitter(listener)) {
            r4.setSoTimeout(2000);
            e.send(udp4(r4.getLocalPort(), new byte[] {1}, true));
            ByteBuf bad = udp4(r4.getLocalPort(), new byte[] {2}, true);
            bad.setByte(0, 0x44); // IHL 4: the kernel refuses it (EINVAL)
            e.send(bad);
            e.send(udp4(r4.getLocalPort(), new byte[] {3}, false));
            e.send(Unpooled.wrappedBuffer(new byte[] {0x70, 1, 2})); // not IP at all
            e.flush();
            assertEquals(2, e.sentPackets());
            assertEquals(1, e.failedPackets());
            byte[] buf = new byte[10];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            r4.receive(p);
            assertArrayEquals(new byte[] {1}, Arrays.copyOf(buf, p.getLength()));
            r4.receive(p);
            assertArrayEquals(new byte[] {3}, Arrays.copyOf(buf, p.getLength()));
        }
        assertEquals(Map.of(DropReason.EMIT_FAILED, 1, DropReason.MALFORMED_IP, 1), drops);
    }
}

package net.poolsa.ike.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.netty.buffer.ByteBufUtil;

/**
 * The classic BPF filter on real epoll sockets over loopback (ephemeral ports on 127.0.0.1 and ::1):
 * an ESP-in-UDP flood on the NAT-T port is dropped by the kernel and never read by the IKE event loop,
 * while every marker-0 datagram arrives. The same flood without the filter is read packet by packet.
 */
@Timeout(60)
class NatTSocketFilterTest {
    private static final int BURSTS = 200;
    private static final int ESP_PER_BURST = 50;

    private record Flood(long reads, long espReadAndDropped, long kernelDrops, long ikeDelivered) {
    }

    private static IkeTransportConfig config(InetAddress address, boolean filter) {
        return new IkeTransportConfig(List.of(address), 0, 0, IkeTransportConfig.DEFAULT_MAX_DATAGRAM_BYTES, filter);
    }

    /** Marker + Main Mode message 1 whose responder cookie carries {@code index}, so each arrival is identified. */
    private static byte[] ike(int index) {
        byte[] m = IkeDatagramCodecTest.MAIN_MODE_1.clone();
        m[8] = (byte) (index >>> 24);
        m[9] = (byte) (index >>> 16);
        m[10] = (byte) (index >>> 8);
        m[11] = (byte) index;
        byte[] out = new byte[4 + m.length];
        System.arraycopy(m, 0, out, 4, m.length);
        return out;
    }

    private static int index(byte[] message) {
        return (message[8] & 0xff) << 24 | (message[9] & 0xff) << 16 | (message[10] & 0xff) << 8 | message[11] & 0xff;
    }

    /** 100-byte ESP-in-UDP: SPI, sequence number, then what would be ciphertext. */
    private static byte[] esp(int seq) {
        byte[] p = new byte[100];
        p[2] = 0x10;
        p[3] = 0x01;
        p[4] = (byte) (seq >>> 24);
        p[5] = (byte) (seq >>> 16);
        p[6] = (byte) (seq >>> 8);
        p[7] = (byte) seq;
        return p;
    }

    /**
     * Sends {@link #BURSTS} times {@link #ESP_PER_BURST} ESP-in-UDP datagrams and one marker-0 IKE datagram to
     * the NAT-T socket. Each burst waits for its IKE datagram, so the socket queue never overflows and
     * every count is exact; since the queue is FIFO, every ESP datagram of a burst was either dropped by the
     * kernel or read before its IKE datagram arrives.
     */
    private static Flood flood(boolean filter) throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        CountingEvents events = new CountingEvents();
        BlockingQueue<Integer> arrived = new LinkedBlockingQueue<>();
        try (IkeTransport t = IkeTransport.start(config(lo, filter), d -> arrived.add(index(ByteBufUtil.getBytes(d.content()))), events);
             LoopbackPeer peer = new LoopbackPeer(lo)) {
            InetSocketAddress natT = t.boundAddress(lo, PortRole.NAT_T);
            int seq = 0;
            for (int burst = 0; burst < BURSTS; burst++) {
                for (int i = 0; i < ESP_PER_BURST; i++) {
                    peer.send(esp(++seq), natT);
                }
                peer.send(ike(burst), natT);
                Integer got = arrived.poll(10, TimeUnit.SECONDS);
                assertNotNull(got, "IKE datagram " + burst + " did not arrive");
                assertEquals(burst, got.intValue());
            }
            return new Flood(events.reads(PortRole.NAT_T), events.drops(PortRole.NAT_T, TransportDropReason.ESP_IN_UDP),
                    KernelUdpDrops.of(natT), BURSTS);
        }
    }

    @Test
    void espFloodIsDroppedByTheKernelAndNeverReadByTheIkeLoop() throws Exception {
        Flood f = flood(true);
        assertEquals(BURSTS, f.ikeDelivered());
        assertEquals(BURSTS, f.reads(), "the socket read exactly the marker-0 datagrams, none of the "
                + BURSTS * ESP_PER_BURST + " ESP ones");
        assertEquals(0, f.espReadAndDropped());
        assertEquals((long) BURSTS * ESP_PER_BURST, f.kernelDrops(), "the kernel dropped every ESP datagram");
    }

    /** The control: without the filter the IKE loop reads and drops every ESP datagram itself. */
    @Test
    void withoutTheFilterTheIkeLoopReadsEveryEspDatagram() throws Exception {
        Flood f = flood(false);
        assertEquals(BURSTS + (long) BURSTS * ESP_PER_BURST, f.reads());
        assertEquals((long) BURSTS * ESP_PER_BURST, f.espReadAndDropped());
        assertEquals(0, f.kernelDrops());
    }

    /** What passes the filter, on IPv4 and IPv6 (the filter sees the UDP header at the same offset). */
    @Test
    void filterKeepsMarkerZeroAndKeepalivesOnly() throws Exception {
        for (String address : new String[] {"127.0.0.1", "::1"}) {
            InetAddress lo = InetAddress.getByName(address);
            CountingEvents events = new CountingEvents();
            BlockingQueue<byte[]> arrived = new LinkedBlockingQueue<>();
            try (IkeTransport t = IkeTransport.start(config(lo, true), d -> arrived.add(ByteBufUtil.getBytes(d.content())), events);
                 LoopbackPeer peer = new LoopbackPeer(lo)) {
                InetSocketAddress natT = t.boundAddress(lo, PortRole.NAT_T);
                peer.send(new byte[] {(byte) 0xff}, natT);                   // keepalive: passes, counted
                peer.send(new byte[] {(byte) 0xff, (byte) 0xff}, natT);      // kernel drop
                peer.send(new byte[] {0}, natT);                             // kernel drop
                peer.send(new byte[] {0, 0, 0}, natT);                       // kernel drop (no room for a marker)
                peer.send(new byte[0], natT);                                // kernel drop
                peer.send(esp(1), natT);                                     // kernel drop
                peer.send(new byte[4], natT);                                // passes; EMPTY in the decoder
                peer.send(java.util.Arrays.copyOf(ike(1), 4 + 27), natT);    // passes; TRUNCATED in the decoder
                peer.send(ike(7), natT);                                     // IKE
                byte[] got = arrived.poll(10, TimeUnit.SECONDS);
                assertNotNull(got, address);
                assertEquals(7, index(got));
                assertEquals(4, events.reads(PortRole.NAT_T), address);
                assertEquals(1, events.keepalives(), address);
                assertEquals(1, events.drops(PortRole.NAT_T, TransportDropReason.EMPTY), address);
                assertEquals(1, events.drops(PortRole.NAT_T, TransportDropReason.TRUNCATED), address);
                assertEquals(5, KernelUdpDrops.of(natT), address);

                // The IKE port has no filter: whatever comes is read (and junk dropped by the decoder).
                InetSocketAddress ike = t.boundAddress(lo, PortRole.IKE);
                peer.send(new byte[10], ike);
                byte[] plain = IkeDatagramCodecTest.MAIN_MODE_1;
                peer.send(plain, ike);
                byte[] got500 = arrived.poll(10, TimeUnit.SECONDS);
                assertArrayEquals(plain, got500, address);
                assertEquals(2, events.reads(PortRole.IKE), address);
                assertEquals(1, events.drops(PortRole.IKE, TransportDropReason.TRUNCATED), address);
                assertEquals(0, KernelUdpDrops.of(ike), address);
                assertTrue(arrived.isEmpty());
            }
        }
    }
}

package net.poolsa.ike.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;

/**
 * Everything strongSwan 5.9.8 sent to UDP/4500 in an IKEv1 exchange behind a real NAT
 * ({@code src/test/resources/strongswan-natt/capture-natt.sh}): Main Mode 5/6 and Quick Mode after
 * floating, ESP-in-UDP pings and NAT-keepalives, each classified by tshark. Replayed into the decoder and
 * into a real filtered NAT-T socket: exactly the ISAKMP messages arrive, without their marker.
 */
@Timeout(60)
class StrongSwanNatTCaptureTest {
    private record Datagram(String verdict, byte[] payload) {
    }

    private static List<Datagram> capture() throws IOException {
        try (InputStream in = StrongSwanNatTCaptureTest.class.getResourceAsStream("/strongswan-natt/natt-4500-datagrams.txt")) {
            assertNotNull(in);
            List<Datagram> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split(" ");
                out.add(new Datagram(f[0], HexFormat.of().parseHex(f[1])));
            }
            return out;
        }
    }

    private static long count(List<Datagram> c, String verdict) {
        return c.stream().filter(d -> d.verdict().equals(verdict)).count();
    }

    /** The ISAKMP messages as tshark saw them: the datagram minus the 4-byte marker. */
    private static List<byte[]> isakmp(List<Datagram> c) {
        return c.stream().filter(d -> d.verdict().equals("isakmp"))
                .map(d -> Arrays.copyOfRange(d.payload(), 4, d.payload().length)).toList();
    }

    @Test
    void captureHoldsAllThreeKinds() throws IOException {
        List<Datagram> c = capture();
        assertEquals(5, count(c, "isakmp"));
        assertEquals(6, count(c, "esp"));
        assertEquals(2, count(c, "keepalive"));
        assertEquals(13, c.size());
        for (byte[] m : isakmp(c)) {
            // The ISAKMP header's own length field (RFC 2408 §3.1, offset 24) covers exactly what remains.
            assertEquals(m.length, Unpooled.wrappedBuffer(m).getInt(24));
        }
    }

    @Test
    void decoderPassesExactlyTheIsakmpMessages() throws IOException {
        List<Datagram> c = capture();
        CountingEvents events = new CountingEvents();
        List<byte[]> got = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new IkeDatagramDecoder(PortRole.NAT_T, IkeTransportConfig.DEFAULT_MAX_DATAGRAM_BYTES, events),
                new ReceiverHandler(PortRole.NAT_T, d -> got.add(ByteBufUtil.getBytes(d.content())), new DropLog(events)));
        InetSocketAddress local = new InetSocketAddress("198.51.100.2", 4500);
        InetSocketAddress remote = new InetSocketAddress("198.51.100.254", 4500);
        for (Datagram d : c) {
            ch.writeInbound(new DatagramPacket(Unpooled.copiedBuffer(d.payload()), local, remote));
        }
        List<byte[]> expected = isakmp(c);
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), got.get(i));
        }
        assertEquals(count(c, "esp"), events.drops(PortRole.NAT_T, TransportDropReason.ESP_IN_UDP));
        assertEquals(count(c, "keepalive"), events.keepalives());
        assertEquals(count(c, "esp"), events.drops(PortRole.NAT_T));
        assertFalse(ch.finish());
    }

    @Test
    void filteredSocketReadsNoneOfTheCapturedEsp() throws Exception {
        List<Datagram> c = capture();
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        CountingEvents events = new CountingEvents();
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        try (IkeTransport t = IkeTransport.start(new IkeTransportConfig(List.of(lo), 0, 0,
                IkeTransportConfig.DEFAULT_MAX_DATAGRAM_BYTES, true), d -> got.add(ByteBufUtil.getBytes(d.content())), events);
             LoopbackPeer peer = new LoopbackPeer(lo)) {
            InetSocketAddress natT = t.boundAddress(lo, PortRole.NAT_T);
            for (Datagram d : c) {
                peer.send(d.payload(), natT);
            }
            List<byte[]> expected = isakmp(c);
            for (byte[] m : expected) {
                assertArrayEquals(m, got.poll(10, TimeUnit.SECONDS));
            }
            long passed = expected.size() + count(c, "keepalive");
            assertEquals(passed, CountingEvents.settled(() -> events.reads(PortRole.NAT_T), passed));
            assertEquals(count(c, "keepalive"), events.keepalives());
            assertEquals(count(c, "esp"), KernelUdpDrops.of(natT));
            assertEquals(0, events.drops(PortRole.NAT_T));
        }
    }
}

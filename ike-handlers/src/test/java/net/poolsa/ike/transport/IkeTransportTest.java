package net.poolsa.ike.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.poolsa.ike.LogCapture;

/** The transport on real epoll sockets over loopback (ephemeral ports): one event loop, send, reply, bind failures. */
@Timeout(60)
class IkeTransportTest {
    private static final byte[] MM1 = IkeDatagramCodecTest.MAIN_MODE_1;

    private static byte[] marker(byte[] m) {
        byte[] out = new byte[4 + m.length];
        System.arraycopy(m, 0, out, 4, m.length);
        return out;
    }

    @Test
    void everySocketOfBothFamiliesRunsOnTheOneLoopAndRepliesGoBackTheWayTheyCame() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        InetAddress v6 = InetAddress.getByName("::1");
        CountingEvents events = new CountingEvents();
        BlockingQueue<InboundIkeDatagram> arrived = new LinkedBlockingQueue<>();
        List<Boolean> onLoop = new ArrayList<>();
        IkeTransport[] self = new IkeTransport[1];
        IkeReceiver echo = d -> {
            onLoop.add(self[0].eventLoop().inEventLoop());
            arrived.add((InboundIkeDatagram) d.retain());
            // Answer with the same bytes from the socket it came to.
            self[0].send(d.reply(Unpooled.copiedBuffer(d.content())));
        };
        try (IkeTransport t = start(List.of(v4, v6), echo, events)) {
            self[0] = t;
            assertEquals(4, t.boundAddresses().size());
            for (InetAddress a : List.of(v4, v6)) {
                try (LoopbackPeer peer = new LoopbackPeer(a)) {
                    for (PortRole role : PortRole.values()) {
                        InetSocketAddress to = t.boundAddress(a, role);
                        byte[] wire = role.hasNonEspMarker() ? marker(MM1) : MM1;
                        peer.send(wire, to);
                        InboundIkeDatagram d = arrived.poll(10, TimeUnit.SECONDS);
                        assertNotNull(d);
                        try {
                            assertEquals(to, d.local());
                            assertEquals(peer.address(), d.remote());
                            assertEquals(role.hasNonEspMarker(), d.nonEspMarker());
                        } finally {
                            d.release();
                        }
                        assertArrayEquals(wire, peer.receive(), "the reply carries the marker exactly on NAT-T");
                    }
                }
            }
            assertEquals(List.of(true, true, true, true), onLoop);
            assertEquals(2, CountingEvents.settled(() -> events.sentCount(PortRole.IKE), 2));
            assertEquals(2, CountingEvents.settled(() -> events.sentCount(PortRole.NAT_T), 2));
        }
    }

    private static IkeTransport start(List<InetAddress> addresses, IkeReceiver r, TransportEvents e) throws IOException {
        return IkeTransport.start(new IkeTransportConfig(addresses, 0, 0, IkeTransportConfig.DEFAULT_MAX_DATAGRAM_BYTES, true), r, e);
    }

    /**
     * RFC 3948 §2.3: a NAT-keepalive is the one octet 0xFF from the NAT-T socket, with no non-ESP marker in front
     * (the encoder that puts the marker on IKE messages must not touch it); counted as a keepalive, not as IKE.
     */
    @Test
    void aNatKeepaliveIsTheOneOctetFfFromTheNatTSocketWithoutMarker() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        CountingEvents events = new CountingEvents();
        try (IkeTransport t = start(List.of(v4), d -> { }, events);
             LoopbackPeer peer = new LoopbackPeer(v4)) {
            InetSocketAddress natT = t.boundAddress(v4, PortRole.NAT_T);
            assertTrue(t.sendNatKeepalive(new OutboundNatKeepalive(natT, peer.address())).awaitUninterruptibly()
                    .isSuccess());
            assertArrayEquals(new byte[] {(byte) 0xff}, peer.receive());
            assertEquals(natT, peer.lastSender());
            assertEquals(1, CountingEvents.settled(events::keepalivesSent, 1));
            assertEquals(0, events.sentCount(PortRole.NAT_T), "a keepalive is no IKE message");
            InetSocketAddress ike = t.boundAddress(v4, PortRole.IKE);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.sendNatKeepalive(new OutboundNatKeepalive(ike, peer.address())));
            assertTrue(e.getMessage().contains("no NAT-T socket bound to"), e.getMessage());
        }
    }

    @Test
    void sendingFromAnAddressWithoutASocketIsRefusedAndReleases() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        try (IkeTransport t = start(List.of(v4), d -> { }, TransportEvents.NONE)) {
            ByteBuf b = Unpooled.copiedBuffer(MM1);
            InetSocketAddress elsewhere = new InetSocketAddress(v4, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.send(new OutboundIkeDatagram(elsewhere, elsewhere, b)));
            assertTrue(e.getMessage().contains("no IKE socket bound to"), e.getMessage());
            assertEquals(0, b.refCnt());
        }
    }

    @Test
    void aSendTheKernelRefusesFailsTheFutureAndIsCountedAndWarnedWithoutAStackTrace() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        CountingEvents events = new CountingEvents();
        try (LogCapture log = new LogCapture(); IkeTransport t = start(List.of(v4), d -> { }, events)) {
            // A datagram from a socket bound to 127.0.0.1 to an IPv6 address cannot be sent.
            InetSocketAddress from = t.boundAddress(v4, PortRole.IKE);
            assertFalse(t.send(new OutboundIkeDatagram(from, new InetSocketAddress("2001:db8::1", 500),
                    Unpooled.copiedBuffer(MM1))).awaitUninterruptibly().isSuccess());
            assertEquals(1, CountingEvents.settled(() -> events.drops(PortRole.IKE, TransportDropReason.SEND_FAILED), 1));
            assertEquals(0, events.sentCount(PortRole.IKE));
            // The network's state (a link down while DPD probes it), not a fault: one warning, no ERROR, no trace.
            List<String> lines = log.with("event=ike_datagram_dropped reason=send_failed port=ike remote=[2001:db8::1]:500");
            assertEquals(1, lines.size(), log.lines().toString());
            assertTrue(lines.get(0).contains(" WARN "), lines.get(0));
            assertTrue(log.lines().stream().noneMatch(l -> l.startsWith("\tat ") || l.contains(" ERROR ")),
                    log.lines().toString());
        }
    }

    @Test
    void aDatagramLongerThanTheCapIsDroppedNotCut() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        CountingEvents events = new CountingEvents();
        BlockingQueue<Integer> sizes = new LinkedBlockingQueue<>();
        int cap = 512;
        try (IkeTransport t = IkeTransport.start(new IkeTransportConfig(List.of(v4), 0, 0, cap, true),
                d -> sizes.add(d.content().readableBytes()), events);
             LoopbackPeer peer = new LoopbackPeer(v4)) {
            InetSocketAddress natT = t.boundAddress(v4, PortRole.NAT_T);
            byte[] atCap = new byte[cap];
            System.arraycopy(MM1, 0, atCap, 4, MM1.length);
            byte[] over = new byte[cap + 1];
            System.arraycopy(MM1, 0, over, 4, MM1.length);
            peer.send(over, natT);
            peer.send(new byte[8000], natT); // zero marker, far over the cap: read into cap + 1 bytes, no more
            peer.send(atCap, natT);
            assertEquals(cap - 4, sizes.poll(10, TimeUnit.SECONDS));
            assertEquals(2, events.drops(PortRole.NAT_T, TransportDropReason.OVERSIZED));
            assertEquals(3, events.reads(PortRole.NAT_T));
            assertTrue(sizes.isEmpty());
        }
    }

    @Test
    void aPortInUseFailsTheStartAndLeavesNothingBound() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        try (DatagramChannel taken = DatagramChannel.open().bind(new InetSocketAddress(v4, 0))) {
            int busy = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            int free;
            try (DatagramChannel probe = DatagramChannel.open().bind(new InetSocketAddress(v4, 0))) {
                free = ((InetSocketAddress) probe.getLocalAddress()).getPort();
            }
            IOException e = assertThrows(IOException.class, () -> IkeTransport.start(new IkeTransportConfig(List.of(v4), free, busy,
                    IkeTransportConfig.DEFAULT_MAX_DATAGRAM_BYTES, true), d -> { }, TransportEvents.NONE));
            assertTrue(e.getMessage().contains("cannot bind the IKE socket /127.0.0.1:" + busy), e.getMessage());
            // The IKE socket opened before the failure was closed again.
            try (DatagramChannel again = DatagramChannel.open().bind(new InetSocketAddress(v4, free))) {
                assertEquals(free, ((InetSocketAddress) again.getLocalAddress()).getPort());
            }
        }
    }

    /** Needs root (SO_MARK needs CAP_NET_ADMIN). */
    @Test
    @org.junit.jupiter.api.Tag("root")
    void everySocketCarriesTheConfiguredMarkAndNoneWithout() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        IkeTransportConfig plain = new IkeTransportConfig(List.of(v4), 0, 0, IkeTransportConfig.DEFAULT_MAX_DATAGRAM_BYTES, true);
        try (IkeTransport marked = IkeTransport.start(plain.withSocketMark(0x5053), d -> { }, TransportEvents.NONE);
             IkeTransport unmarked = IkeTransport.start(plain, d -> { }, TransportEvents.NONE)) {
            for (PortRole role : PortRole.values()) {
                assertEquals(0x5053, marked.socketMark(marked.boundAddress(v4, role)), role.label());
                assertEquals(0, unmarked.socketMark(unmarked.boundAddress(v4, role)), role.label());
            }
        }
    }

    /**
     * Needs root (SO_SNDBUFFORCE needs CAP_NET_ADMIN): every socket's send buffer holds the answers a flood from
     * unresolvable on-link sources leaves waiting in ARP (SendBuffer), beyond net.core.wmem_max.
     */
    @Test
    @org.junit.jupiter.api.Tag("root")
    void everySocketHasTheEnlargedSendBuffer() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        IkeTransportConfig c = new IkeTransportConfig(List.of(v4), 0, 0, IkeTransportConfig.DEFAULT_MAX_DATAGRAM_BYTES, true);
        try (IkeTransport t = IkeTransport.start(c, d -> { }, TransportEvents.NONE)) {
            for (PortRole role : PortRole.values()) {
                // the kernel doubles what was set (socket(7))
                assertEquals(2 * SendBuffer.REQUESTED_BYTES, t.sendBuffer(t.boundAddress(v4, role)), role.label());
            }
        }
    }

    @Test
    void configurationRefusesWhatCannotWork() {
        InetAddress v4 = InetAddress.getLoopbackAddress();
        assertThrows(IllegalArgumentException.class, () -> IkeTransportConfig.standard(List.of()));
        assertThrows(IllegalArgumentException.class, () -> IkeTransportConfig.standard(List.of(v4, v4)));
        IllegalArgumentException wildcard = assertThrows(IllegalArgumentException.class,
                () -> IkeTransportConfig.standard(List.of(InetAddress.getByName("0.0.0.0"))));
        assertTrue(wildcard.getMessage().contains("not the wildcard"), wildcard.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new IkeTransportConfig(List.of(v4), 500, 500, 10000, true));
        assertThrows(IllegalArgumentException.class, () -> new IkeTransportConfig(List.of(v4), 500, 4500, 31, true));
        IkeTransportConfig std = IkeTransportConfig.standard(List.of(v4));
        assertEquals(500, std.port(PortRole.IKE));
        assertEquals(4500, std.port(PortRole.NAT_T));
        assertTrue(std.kernelFilter());
    }
}

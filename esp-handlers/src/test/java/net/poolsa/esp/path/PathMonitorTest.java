package net.poolsa.esp.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.pipeline.DataPathListener;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Failover decisions with a synthetic clock; probe bytes compared with scapy's echo requests. */
class PathMonitorTest {
    private static final long MS = 1_000_000L;
    private static final OuterAddress A1 = OuterAddress.parse("198.51.100.1");
    private static final OuterAddress A2 = OuterAddress.parse("203.0.113.1");
    private static final OuterAddress B1 = OuterAddress.parse("198.51.100.2");
    private static final OuterAddress B2 = OuterAddress.parse("203.0.113.2");

    private final List<ByteBuf> probes = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private final DataPathListener listener = new DataPathListener() {
        @Override
        public void dropped(DropReason reason, SecurityAssociation sa) {
            events.add("drop " + reason);
        }

        @Override
        public void outerAddressChanged(SecurityAssociation sa, OuterAddress previous, OuterAddress current) {
            events.add(sa.spiHex() + " " + previous + " -> " + current);
        }

        @Override
        public void pathStateChanged(OuterAddress remote, boolean alive) {
            events.add(remote + (alive ? " up" : " down"));
        }
    };

    @AfterEach
    void release() {
        probes.forEach(ByteBuf::release);
    }

    @Test
    void switchesToALiveAddressWithTheSameSpi() {
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        SecurityAssociation out = outboundOverBothLinks(k);
        PathMonitor m = monitorOfBothLinks(k);
        m.tick(1000 * MS);
        assertEquals(2, probes.size());
        IpPacketView v = new IpPacketView();
        v.decode(probes.get(1));
        assertEquals(A2.v4Bits(), v.v4Source()); // the probe to B2 leaves from the address on B2's subnet
        assertEquals(B2.v4Bits(), v.v4Destination());

        m.authenticatedFromV4(B1.v4Bits(), 1010 * MS);
        ByteBuf genuine = replyTo(lastProbeTo(B2));
        ByteBuf stranger = withSource(genuine, OuterAddress.parse("192.0.2.99"));
        try {
            assertFalse(offer(m, stranger, 1015 * MS), "a reply from an unknown address is no evidence");
            assertTrue(offer(m, genuine, 1020 * MS));
        } finally {
            genuine.release();
            stranger.release();
        }
        m.tick(1100 * MS);
        assertEquals(B1, out.currentRemote());
        assertEquals(List.of("198.51.100.2 up", "203.0.113.2 up"), events);

        // B1 falls silent, B2 keeps answering: after the dead interval the SA moves to B2.
        for (long t = 1200; t <= 1400; t += 100) {
            probeReply(m, "203.0.113.2", t * MS);
            m.tick(t * MS);
        }
        assertEquals(B2, out.currentRemote());
        assertEquals(A2, out.currentLocal());
        assertEquals(0x1001, out.spi());
        assertEquals(List.of("198.51.100.2 up", "203.0.113.2 up", "198.51.100.2 down",
                "0x00001001 198.51.100.2 -> 203.0.113.2"), events);

        // B1 comes back: no flapping, the SA stays where it works.
        m.authenticatedFromV4(B1.v4Bits(), 1450 * MS);
        m.tick(1500 * MS);
        assertEquals(B2, out.currentRemote());
        assertTrue(m.isAlive(B1));
    }

    /** An outbound pool SA between A1/A2 and B1/B2, installed in {@code k}. */
    private static SecurityAssociation outboundOverBothLinks(UserspaceIpsecKernel k) {
        SecurityAssociation out = ManualSas.outbound(0x1001, 1, AddressPool.parse("198.51.100.1/32", "203.0.113.1/32"),
                AddressPool.parse("198.51.100.2/32", "203.0.113.2/32"), AddressPool.parse("192.0.2.0/26"),
                AddressPool.parse("192.0.2.64/26"), ManualSas.xorKeys(1));
        k.addSa(out);
        return out;
    }

    /** Monitors B1 and B2 from A1 and A2 (each pair on one /30), dead after 300 ms. */
    private PathMonitor monitorOfBothLinks(UserspaceIpsecKernel k) {
        return new PathMonitor(List.of(new LocalAddress(A1, 30), new LocalAddress(A2, 30)), List.of(B1, B2),
                k.sad(), probes::add, PooledByteBufAllocator.DEFAULT, listener, 300 * MS);
    }

    /** Answers the last probe sent to {@code from}, as the peer's kernel would (RFC 792: addresses swapped, type 0). */
    private boolean probeReply(PathMonitor m, String from, long now) {
        ByteBuf reply = replyTo(lastProbeTo(OuterAddress.parse(from)));
        try {
            return offer(m, reply, now);
        } finally {
            reply.release();
        }
    }

    private ByteBuf lastProbeTo(OuterAddress peer) {
        for (int i = probes.size() - 1; i >= 0; i--) {
            IpPacketView v = new IpPacketView();
            v.decode(probes.get(i));
            if (v.v4Destination() == peer.v4Bits()) {
                return probes.get(i);
            }
        }
        throw new AssertionError("no probe to " + peer);
    }

    /** The echo reply a kernel sends for {@code request}: same identifier, sequence and data. */
    private static ByteBuf replyTo(ByteBuf request) {
        ByteBuf b = Unpooled.copiedBuffer(request);
        int src = b.getInt(12);
        b.setInt(12, b.getInt(16)).setInt(16, src).setShort(10, 0);
        net.poolsa.esp.ip.Checksums.writeIpv4HeaderChecksum(b, 0);
        b.setByte(20, 0).setShort(22, 0);
        b.setShort(22, net.poolsa.esp.ip.Checksums.checksum(b, 20, b.readableBytes() - 20));
        return b;
    }

    private static boolean offer(PathMonitor m, ByteBuf b, long now) {
        IpPacketView v = new IpPacketView();
        assertEquals(null, v.decode(b));
        return m.probeReply(v, b, now);
    }

    private static ByteBuf withSource(ByteBuf reply, OuterAddress src) {
        ByteBuf b = Unpooled.copiedBuffer(reply);
        b.setInt(12, src.v4Bits()).setShort(10, 0);
        net.poolsa.esp.ip.Checksums.writeIpv4HeaderChecksum(b, 0);
        return b;
    }

    private static ByteBuf withData(ByteBuf reply, long data) {
        ByteBuf b = Unpooled.copiedBuffer(reply);
        b.setLong(28, data).setShort(22, 0);
        b.setShort(22, net.poolsa.esp.ip.Checksums.checksum(b, 20, b.readableBytes() - 20));
        return b;
    }

    /**
     * B1 falls silent and an attacker answers its probes for it: with our identifier but a guessed value, with a
     * genuine reply of B1 replayed, with a genuine reply to a probe of B2 rewritten to come from B1, and with B1's
     * genuine value sent from another address. None of it is evidence: B1 is declared dead and the SA moves.
     */
    @Test
    void forgedRepliesDoNotKeepADeadAddressAlive() {
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        SecurityAssociation out = outboundOverBothLinks(k);
        PathMonitor m = monitorOfBothLinks(k);
        m.tick(1000 * MS);
        ByteBuf genuineB1 = replyTo(lastProbeTo(B1));
        List<ByteBuf> forged = new ArrayList<>();
        try {
            assertTrue(offer(m, genuineB1, 1010 * MS));
            assertTrue(probeReply(m, "203.0.113.2", 1010 * MS));
            assertEquals(B1, out.currentRemote());
            int accepted = 0;
            for (long t = 1100; t <= 1600; t += 100) {
                m.tick(t * MS);
                assertTrue(probeReply(m, "203.0.113.2", (t + 5) * MS), "B2 answers its own probes");
                ByteBuf toB1 = replyTo(lastProbeTo(B1));
                ByteBuf toB2 = replyTo(lastProbeTo(B2));
                forged.add(withData(toB1, toB1.getLong(28) ^ 0x5a5a5a5a5a5a5a5aL)); // guessed value
                forged.add(Unpooled.copiedBuffer(genuineB1));                       // replayed genuine reply
                forged.add(withSource(toB2, B1));                                    // B2's value, B1's address
                forged.add(withSource(toB1, OuterAddress.parse("192.0.2.99")));     // B1's value, another address
                toB1.release();
                toB2.release();
                for (int i = forged.size() - 4; i < forged.size(); i++) {
                    if (offer(m, forged.get(i), (t + 10) * MS)) {
                        accepted++;
                    }
                }
            }
            assertEquals(0, accepted, "forged replies accepted");
            assertFalse(m.isAlive(B1));
            assertEquals(B2, out.currentRemote());
            assertEquals(A2, out.currentLocal());
            assertEquals(List.of("198.51.100.2 up", "203.0.113.2 up", "198.51.100.2 down",
                    "0x00001001 198.51.100.2 -> 203.0.113.2"), events);
        } finally {
            genuineB1.release();
            forged.forEach(ByteBuf::release);
        }
    }

    /** A genuine reply counts once; the same reply again, or a reply to a probe long superseded, counts nothing. */
    @Test
    void aValidReplyIsAcceptedOnceAndOnlyWhileItsProbeIsRecent() {
        PathMonitor m = new PathMonitor(List.of(new LocalAddress(A1, 30)), List.of(B1), new UserspaceIpsecKernel().sad(),
                probes::add, PooledByteBufAllocator.DEFAULT, listener, 3000 * MS);
        m.tick(1000 * MS);
        ByteBuf first = replyTo(lastProbeTo(B1));
        try {
            for (long t = 1100; t <= 2000; t += 100) {
                m.tick(t * MS); // many probes later, the first one's reply arrives
            }
            assertFalse(offer(m, first, 2010 * MS), "a reply to a probe ten intervals old");
            ByteBuf fresh = replyTo(lastProbeTo(B1));
            try {
                assertTrue(offer(m, fresh, 2020 * MS));
                assertFalse(offer(m, fresh, 2030 * MS), "the same reply a second time");
            } finally {
                fresh.release();
            }
        } finally {
            first.release();
        }
        // Every probe carries its own value: ten probes, ten different values.
        assertEquals(11, probes.stream().map(p -> p.getLong(28)).distinct().count());
    }

    /** Taking a reply (accepted or refused) allocates nothing: the JVM's per-thread allocation counter. */
    @Test
    void theReplyPathAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        PathMonitor m = monitorOfBothLinks(new UserspaceIpsecKernel());
        IpPacketView v = new IpPacketView();
        int accepted = 0;
        long allocated = 0;
        for (int round = 0; round < 3; round++) {
            allocated = 0;
            for (int i = 0; i < 2000; i++) {
                m.tick((1000 + i) * MS);
                ByteBuf reply = replyTo(lastProbeTo(B2));
                v.decode(reply);
                long before = mx.getCurrentThreadAllocatedBytes();
                boolean first = m.probeReply(v, reply, (1000 + i) * MS);
                boolean again = m.probeReply(v, reply, (1000 + i) * MS);
                allocated += mx.getCurrentThreadAllocatedBytes() - before;
                accepted += (first ? 1 : 0) + (again ? 1 : 0);
                reply.release();
                probes.forEach(ByteBuf::release);
                probes.clear();
            }
        }
        assertEquals(6000, accepted, "each reply accepted once");
        assertEquals(0, allocated, "bytes allocated by 4000 replies taken in the last round");
    }

    /**
     * A reload replaces the monitored addresses: kept ones keep their evidence, a removed one is no longer watched,
     * and a new SA of a new connection gets a first outer address at once (the local one on its link).
     */
    @Test
    void newPeersAndNewSasAfterAReload() {
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        PathMonitor m = monitorOfBothLinks(k);
        m.tick(1000 * MS);
        assertTrue(probeReply(m, "198.51.100.2", 1010 * MS));
        assertTrue(probeReply(m, "203.0.113.2", 1010 * MS));
        OuterAddress b3 = OuterAddress.parse("203.0.113.3");
        m.setPeers(List.of(B1, b3));
        assertEquals(List.of(B1, b3), m.peers());
        assertTrue(m.isAlive(B1));
        assertFalse(m.isAlive(B2));
        assertFalse(m.isAlive(b3));
        SecurityAssociation added = SecurityAssociation.builder().spi(0x2002).reqid(2)
                .direction(net.poolsa.esp.sa.Direction.OUTBOUND)
                .localOuter(AddressPool.parse("198.51.100.1/32", "203.0.113.1/32")).remoteOuter(AddressPool.parse("203.0.113.3/32"))
                .selector(net.poolsa.esp.sa.TrafficSelector.between(AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.128/26")))
                .keys(ManualSas.xorKeys(1)).build();
        k.addSa(added);
        m.pointNewSas();
        assertEquals(b3, added.currentRemote());
        assertEquals(A2, added.currentLocal());
        assertEquals(0, added.outerSwitches());
        // The new address is probed from the next tick on, and gets a dead interval of grace: no switch meanwhile.
        probes.forEach(ByteBuf::release);
        probes.clear();
        m.tick(1100 * MS);
        assertEquals(List.of(B1, b3), probes.stream().map(p -> OuterAddress.parse(ipv4(p.getInt(16)))).toList());
        m.tick(1300 * MS);
        assertEquals(b3, added.currentRemote());
    }

    private static String ipv4(int bits) {
        return (bits >>> 24) + "." + (bits >>> 16 & 0xff) + "." + (bits >>> 8 & 0xff) + "." + (bits & 0xff);
    }

    @Test
    void probesAreTheEchoRequestsScapyBuilds() {
        PathMonitor m = new PathMonitor(List.of(), List.of(), new UserspaceIpsecKernel().sad(), probes::add,
                PooledByteBufAllocator.DEFAULT, listener, MS);
        ByteBuf e4 = m.echoRequest(A1, B1, 1, 0x0102030405060708L);
        ByteBuf e6 = m.echoRequest(OuterAddress.parse("2001:db8:a::1"), OuterAddress.parse("2001:db8:b::1"), 1, 0x0102030405060708L);
        probes.add(e4);
        probes.add(e6);
        // scapy: IP(src, dst, id=1, flags="DF", ttl=64)/ICMP(type=8, id=0x5053, seq=1)/Raw(ts) (make_vectors.py)
        assertArrayEquals(HexFormat.of().parseHex("45000024000140004001e66dc6336401c633640208009797505300010102030405060708"),
                ByteBufUtil.getBytes(e4));
        assertArrayEquals(HexFormat.of().parseHex("6000000000103a4020010db8000a0000000000000000000120010db8000b00000000000000000001"
                + "8000c3c3505300010102030405060708"), ByteBufUtil.getBytes(e6));
    }
}

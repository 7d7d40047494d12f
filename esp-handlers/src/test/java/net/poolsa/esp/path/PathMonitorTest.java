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
        SecurityAssociation out = ManualSas.outbound(0x1001, 1, AddressPool.parse("198.51.100.1/32", "203.0.113.1/32"),
                AddressPool.parse("198.51.100.2/32", "203.0.113.2/32"), AddressPool.parse("192.0.2.0/26"),
                AddressPool.parse("192.0.2.64/26"), ManualSas.xorKeys(1));
        k.addSa(out);
        PathMonitor m = new PathMonitor(List.of(new LocalAddress(A1, 30), new LocalAddress(A2, 30)), List.of(B1, B2),
                k.sad(), probes::add, PooledByteBufAllocator.DEFAULT, listener, 300 * MS);
        m.tick(1000 * MS);
        assertEquals(2, probes.size());
        IpPacketView v = new IpPacketView();
        v.decode(probes.get(1));
        assertEquals(A2.v4Bits(), v.v4Source()); // the probe to B2 leaves from the address on B2's subnet
        assertEquals(B2.v4Bits(), v.v4Destination());

        m.authenticatedFromV4(B1.v4Bits(), 1010 * MS);
        assertTrue(probeReply(m, "203.0.113.2", 1020 * MS));
        assertFalse(probeReply(m, "192.0.2.99", 1020 * MS), "a reply from an unknown address is no evidence");
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

    private static boolean probeReply(PathMonitor m, String from, long now) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0x45).writeByte(0).writeShort(36).writeShort(0).writeShort(0).writeByte(64).writeByte(1).writeShort(0);
        b.writeInt(OuterAddress.parse(from).v4Bits()).writeInt(A2.v4Bits());
        net.poolsa.esp.ip.Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeByte(0).writeByte(0).writeShort(0).writeShort(PathMonitor.ECHO_ID).writeShort(1).writeLong(0);
        IpPacketView v = new IpPacketView();
        v.decode(b);
        try {
            return m.probeReply(v, b, now);
        } finally {
            b.release();
        }
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

package net.poolsa.esp.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.TrafficSelector;
import org.junit.jupiter.api.Test;

/** Decoding of scapy-built packets. Single-byte corruptions at named offsets, and their drop reasons: MalformedIpTest. */
class IpPacketViewTest {
    private final IpPacketView view = new IpPacketView();

    private DropReason decode(byte[] b) {
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        try {
            return view.decode(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void udpOverIpv4() {
        assertNull(decode(Vectors.get("udp4")));
        assertEquals(4, view.version());
        assertEquals(20, view.headerLength());
        assertEquals(48, view.totalLength());
        assertEquals(17, view.protocol());
        assertEquals(IpLiterals.v4(IpLiterals.parse("192.0.2.1")), view.v4Source());
        assertEquals(IpLiterals.v4(IpLiterals.parse("192.0.2.65")), view.v4Destination());
        assertEquals(40000, view.sourcePort());
        assertEquals(53, view.destinationPort());
        assertEquals(0x1234, view.identification());
        assertEquals(63, view.ttl());
        assertFalse(view.isFragment());
    }

    @Test
    void ipv6WalksExtensionHeadersToTcp() {
        assertNull(decode(Vectors.get("tcp6ext")));
        assertEquals(6, view.version());
        assertEquals(6, view.protocol());
        assertEquals(40 + 8 + 8, view.headerLength());
        assertEquals(443, view.sourcePort());
        assertEquals(51000, view.destinationPort());
        byte[] src = IpLiterals.parse("2001:db8:1::1");
        assertEquals(IpLiterals.v6hi(src), view.v6SourceHi());
        assertEquals(IpLiterals.v6lo(src), view.v6SourceLo());
    }

    @Test
    void espSpiAndFragmentFields() {
        assertNull(decode(Vectors.get("esp4")));
        assertEquals(50, view.protocol());
        assertEquals(0x00070e15, view.spi()); // first payload bytes of the scapy packet
        assertNull(decode(Vectors.get("esp4frag1")));
        assertTrue(view.isFragment());
        assertFalse(view.isFirstFragment());
        assertEquals(1480, view.fragmentOffset());
        assertTrue(view.moreFragments());
        assertEquals(0, view.spi());
        assertNull(decode(Vectors.get("esp6frag2")));
        assertTrue(view.isFragment());
        assertEquals(308 * 8, view.fragmentOffset());
        assertFalse(view.moreFragments());
        assertEquals(0x01020304, view.identification());
        assertEquals(40, view.fragmentHeaderOffset());
        assertEquals(6, view.fragmentNextHeaderField());
    }

    @Test
    void dontFragmentFlag() {
        assertNull(decode(Vectors.get("big4df")));
        assertTrue(view.dontFragment());
        assertFalse(view.isFragment());
    }

    @Test
    void trailingPaddingIsTolerated() {
        byte[] b = Vectors.get("udp4");
        byte[] padded = new byte[b.length + 12];
        System.arraycopy(b, 0, padded, 0, b.length);
        assertNull(decode(padded));
        assertEquals(48, view.totalLength());
    }

    /**
     * A non-first fragment carries no ports (RFC 4301 §7: they are OPAQUE): it matches a selector whose ports are
     * "any", never one with a port range, not even a range that holds port 0.
     */
    @Test
    void aNonFirstFragmentHasNoPortsAndMatchesOnlyAnyPort() {
        byte[] b = Vectors.get("udp4");
        b[6] = 0;
        b[7] = 1; // fragment offset 8 bytes
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        Checksums.writeIpv4HeaderChecksum(buf, 0);
        assertNull(view.decode(buf));
        buf.release();
        assertTrue(view.isFragment());
        assertEquals(IpPacketView.NO_PORT, view.sourcePort());
        assertEquals(IpPacketView.NO_PORT, view.destinationPort());
        AddressPool any = AddressPool.ANY;
        assertTrue(view.within(new TrafficSelector(any, any, 17, PortRange.ANY, PortRange.ANY)));
        assertFalse(view.within(new TrafficSelector(any, any, 17, PortRange.ANY, new PortRange(0, 1023))));
        assertFalse(view.within(new TrafficSelector(any, any, 17, new PortRange(0, 1023), PortRange.ANY)));
        assertNull(decode(Vectors.get("udp4")));
        assertTrue(view.within(new TrafficSelector(any, any, 17, PortRange.ANY, new PortRange(0, 1023))), "port 53 of the whole packet");
    }
}

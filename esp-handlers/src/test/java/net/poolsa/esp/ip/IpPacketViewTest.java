package net.poolsa.esp.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.IpLiterals;
import org.junit.jupiter.api.Test;

/** Decoding of scapy-built packets; then single-byte corruptions at named offsets. */
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
    void corruptionsAreNamed() {
        byte[] b = Vectors.get("udp4");
        b[10] ^= 1; // header checksum
        assertEquals(DropReason.MALFORMED_IP, decode(b));
        b = Vectors.get("udp4");
        b[0] = 0x55; // version 5
        assertEquals(DropReason.MALFORMED_IP, decode(b));
        b = Vectors.get("udp4");
        b[0] = 0x44; // IHL 4
        assertEquals(DropReason.MALFORMED_IP, decode(b));
        b = Vectors.get("udp4");
        b[3] = (byte) 0xff; // total length beyond the buffer (checksum no longer matters: length first)
        assertEquals(DropReason.TRUNCATED, decode(b));
        assertEquals(DropReason.TRUNCATED, decode(new byte[] {0x45, 0, 0}));
        b = Vectors.get("tcp6ext");
        b[5] = (byte) 0xff; // payload length beyond the buffer
        assertEquals(DropReason.TRUNCATED, decode(b));
        b = Vectors.get("tcp6ext");
        b[48] = 0; // destination options header says Hop-by-Hop comes next: only allowed first
        assertEquals(DropReason.MALFORMED_IP, decode(b));
        b = Vectors.get("tcp6ext");
        b[49] = 9; // destination options length past the packet
        assertEquals(DropReason.TRUNCATED, decode(b));
    }

    @Test
    void trailingPaddingIsTolerated() {
        byte[] b = Vectors.get("udp4");
        byte[] padded = new byte[b.length + 12];
        System.arraycopy(b, 0, padded, 0, b.length);
        assertNull(decode(padded));
        assertEquals(48, view.totalLength());
    }
}

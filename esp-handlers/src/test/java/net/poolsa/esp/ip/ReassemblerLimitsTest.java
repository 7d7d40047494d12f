package net.poolsa.esp.ip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.EnumMap;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import org.junit.jupiter.api.Test;

/**
 * {@link Reassembler} on hand-built fragment streams that the scapy vectors do not cover: a last fragment that
 * announces an end before pieces already held (a hole that byte counting alone would miss, RFC 815), the real
 * header length in the 16-bit length limit (IPv4 options, IPv6 unfragmentable extension headers: RFC 791 total
 * length, RFC 8200 payload length), and duplicates that differ in the M flag (RFC 5722: not a duplicate).
 */
class ReassemblerLimitsTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DropListener listener = (r, sa) -> drops.merge(r, 1, Integer::sum);

    /** Payload bytes {@code [off, off + len)} of every datagram here (one array write: leak detection is paranoid). */
    private static byte[] payload(int off, int len) {
        byte[] p = new byte[len];
        for (int i = 0; i < len; i++) {
            p[i] = (byte) ((off + i) * 31 + 7);
        }
        return p;
    }

    /** An IPv4 fragment 198.51.100.1 -> 203.0.113.1, ESP, with a 4-byte option block when {@code ihl} is 24. */
    private static ByteBuf frag4(int id, int ihl, int off, boolean more, int len) {
        ByteBuf b = ALLOC.buffer(ihl + len);
        b.writeByte(0x40 | ihl / 4).writeByte(0).writeShort(ihl + len).writeShort(id)
                .writeShort((more ? 0x2000 : 0) | off / 8).writeByte(64).writeByte(50).writeShort(0)
                .writeInt(0xc6336401).writeInt(0xcb007101);
        if (ihl == 24) {
            b.writeByte(1).writeByte(1).writeByte(1).writeByte(0); // NOP NOP NOP End of Option List
        }
        Checksums.writeIpv4HeaderChecksum(b, 0);
        return b.writeBytes(payload(off, len));
    }

    /** The IPv6 header (2001:db8:a::1 -> 2001:db8:b::1) and an optional Hop-by-Hop header of {@code hbh} bytes. */
    private static void head6(ByteBuf b, int payloadLength, int hbh, int next) {
        b.writeInt(0x60000000).writeShort(payloadLength).writeByte(hbh > 0 ? 0 : next).writeByte(64);
        b.writeLong(0x20010db8000a0000L).writeLong(1).writeLong(0x20010db8000b0000L).writeLong(1);
        if (hbh > 0) {
            b.writeByte(next).writeByte(hbh / 8 - 1).writeByte(1).writeByte(hbh - 4).writeZero(hbh - 4); // PadN
        }
    }

    private static ByteBuf frag6(int id, int hbh, int off, boolean more, int len) {
        ByteBuf b = ALLOC.buffer(40 + hbh + 8 + len);
        head6(b, hbh + 8 + len, hbh, 44);
        b.writeByte(50).writeByte(0).writeShort(off | (more ? 1 : 0)).writeInt(id);
        return b.writeBytes(payload(off, len));
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    private Reassembler reassembler() {
        return new Reassembler(ALLOC, listener, 4, 16, 1_000_000_000L);
    }

    @Test
    void lastFragmentBeforeHeldPiecesFailsInsteadOfAssemblingAHole() {
        Reassembler r = reassembler();
        assertNull(r.offer(frag4(1, 20, 1008, true, 504), 0)); // [1008, 1512)
        assertNull(r.offer(frag4(1, 20, 1000, false, 8), 0)); // [1000, 1008), the end: the piece above lies past it
        assertEquals(0, r.pending());
        assertEquals(Map.of(DropReason.REASSEMBLY_FAILED, 1), drops);
        // [0, 496) would now make 1008 bytes with a hole at [496, 1000): it starts a new datagram instead.
        assertNull(r.offer(frag4(1, 20, 0, true, 496), 0));
        assertEquals(1, r.pending());
        r.clear();
    }

    /** Offers 8192-byte pieces of {@code total} payload bytes, last piece first, and returns the result. */
    private static ByteBuf offerAll(Reassembler r, boolean v4, int firstIhlOrHbh, int total) {
        ByteBuf whole = null;
        for (int off = (total - 1) / 8192 * 8192; off >= 0; off -= 8192) {
            int len = Math.min(8192, total - off);
            boolean more = off + len < total;
            ByteBuf f = v4 ? frag4(9, off == 0 ? firstIhlOrHbh : 20, off, more, len) : frag6(9, firstIhlOrHbh, off, more, len);
            ByteBuf got = r.offer(f, 0);
            whole = got != null ? got : whole;
        }
        return whole;
    }

    @Test
    void ipv4LimitCountsTheRealHeader() {
        Reassembler r = reassembler();
        ByteBuf whole = offerAll(r, true, 20, 65515); // 20 + 65515 = 65535: the largest IPv4 datagram
        assertNotNull(whole, "legal maximum: " + drops);
        ByteBuf expected = frag4(9, 20, 0, false, 65515);
        assertArrayEquals(bytes(expected), bytes(whole));
        assertEquals(Map.of(), drops);
        // With 4 bytes of options the same payload minus 3 would need 65536: refused once the first fragment tells.
        assertNull(offerAll(r, true, 24, 65512));
        assertEquals(Map.of(DropReason.REASSEMBLY_FAILED, 1), drops);
        assertEquals(0, r.pending());
    }

    @Test
    void ipv6LimitIsThePayloadLengthWithTheUnfragmentablePart() {
        Reassembler r = reassembler();
        ByteBuf whole = offerAll(r, false, 0, 65535); // payload length 65535 without extension headers
        assertNotNull(whole, "legal maximum: " + drops);
        assertEquals(40 + 65535, whole.readableBytes());
        ByteBuf expected = ALLOC.buffer(40 + 65535);
        head6(expected, 65535, 0, 50);
        expected.writeBytes(payload(0, 65535));
        assertArrayEquals(bytes(expected), bytes(whole));
        whole = offerAll(r, false, 16, 65519); // 16 bytes of Hop-by-Hop + 65519 = 65535
        assertNotNull(whole, "legal maximum with a Hop-by-Hop header: " + drops);
        assertEquals(65535, whole.getUnsignedShort(4));
        assertEquals(40 + 65535, whole.readableBytes());
        whole.release();
        assertEquals(Map.of(), drops);
        assertNull(offerAll(r, false, 16, 65520)); // one byte more would wrap the payload length field
        assertEquals(Map.of(DropReason.REASSEMBLY_FAILED, 1), drops);
        assertEquals(0, r.pending());
    }

    @Test
    void duplicateMustHaveTheSameMoreFragmentsFlag() {
        Reassembler r = reassembler();
        assertNull(r.offer(frag4(3, 20, 800, true, 800), 0));
        // Same offset and length but claiming to be the last: not a copy of what is held, so the datagram fails.
        assertNull(r.offer(frag4(3, 20, 800, false, 800), 0));
        assertEquals(0, r.pending());
        assertEquals(Map.of(DropReason.REASSEMBLY_FAILED, 1), drops);

        // A true duplicate of the last fragment is ignored and the datagram still completes.
        assertNull(r.offer(frag4(4, 20, 800, false, 100), 0));
        assertNull(r.offer(frag4(4, 20, 800, false, 100), 0));
        ByteBuf whole = r.offer(frag4(4, 20, 0, true, 800), 0);
        assertNotNull(whole);
        assertArrayEquals(bytes(frag4(4, 20, 0, false, 900)), bytes(whole));
        assertEquals(Map.of(DropReason.REASSEMBLY_FAILED, 1), drops);
    }
}

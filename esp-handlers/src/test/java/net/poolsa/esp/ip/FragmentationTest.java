package net.poolsa.esp.ip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.IpLiterals;
import org.junit.jupiter.api.Test;

/**
 * Fragmentation, reassembly and ICMP errors compared byte for byte with scapy's {@code fragment()},
 * {@code fragment6()}, {@code ICMP(type=3, code=4)} and {@code ICMPv6PacketTooBig}.
 */
class FragmentationTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DropListener listener = (r, sa) -> drops.merge(r, 1, Integer::sum);

    private static ByteBuf buf(String name) {
        ByteBuf b = ALLOC.buffer();
        b.writeBytes(Vectors.get(name));
        return b;
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    @Test
    void fragmentsLikeScapy() {
        ByteBuf p = buf("esp4");
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(3, Ipv4Fragmenter.fragment(p, 1500, ALLOC, out));
        p.release();
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(Vectors.get("esp4frag" + i), bytes(out.get(i)), "fragment " + i);
        }
    }

    @Test
    void smallPacketIsCopiedWhole() {
        ByteBuf p = buf("udp4");
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(1, Ipv4Fragmenter.fragment(p, 1500, ALLOC, out));
        p.release();
        assertArrayEquals(Vectors.get("udp4"), bytes(out.get(0)));
    }

    @Test
    void dontFragmentIsRefused() {
        ByteBuf p = buf("big4df");
        try {
            assertThrows(IllegalArgumentException.class, () -> Ipv4Fragmenter.fragment(p, 1400, ALLOC, new ArrayList<>()));
        } finally {
            p.release();
        }
    }

    @Test
    void reassemblesIpv4InAnyOrder() {
        Reassembler r = new Reassembler(ALLOC, listener, 4, 16, 1_000_000_000L);
        assertNull(r.offer(buf("esp4frag2"), 0));
        assertNull(r.offer(buf("esp4frag0"), 1));
        ByteBuf whole = r.offer(buf("esp4frag1"), 2);
        assertNotNull(whole);
        assertArrayEquals(Vectors.get("esp4"), bytes(whole));
        assertEquals(0, r.pending());
        assertEquals(Map.of(), drops);
    }

    @Test
    void reassemblesIpv6AndRemovesTheFragmentHeader() {
        Reassembler r = new Reassembler(ALLOC, listener, 4, 16, 1_000_000_000L);
        assertNull(r.offer(buf("esp6frag1"), 0));
        assertNull(r.offer(buf("esp6frag2"), 0));
        ByteBuf whole = r.offer(buf("esp6frag0"), 0);
        assertNotNull(whole);
        assertArrayEquals(Vectors.get("esp6"), bytes(whole));
    }

    @Test
    void duplicateIsIgnoredOverlapDiscards() {
        Reassembler r = new Reassembler(ALLOC, listener, 4, 16, 1_000_000_000L);
        assertNull(r.offer(buf("esp4frag0"), 0));
        assertNull(r.offer(buf("esp4frag0"), 0));
        assertEquals(1, r.pending());
        ByteBuf overlapping = buf("esp4frag1");
        overlapping.setShort(6, 0x2000 | 100); // offset 800: inside fragment 0
        Checksums.writeIpv4HeaderChecksum(overlapping, 0);
        assertNull(r.offer(overlapping, 0));
        assertEquals(0, r.pending());
        assertEquals(1, drops.get(DropReason.REASSEMBLY_FAILED));
    }

    @Test
    void timeoutAndTableLimit() {
        Reassembler r = new Reassembler(ALLOC, listener, 1, 16, 1_000L);
        assertNull(r.offer(buf("esp4frag0"), 0));
        assertNull(r.offer(buf("esp6frag0"), 10)); // table of one is full: refused
        assertEquals(1, drops.get(DropReason.REASSEMBLY_FAILED));
        r.expire(2_000);
        assertEquals(0, r.pending());
        assertEquals(2, drops.get(DropReason.REASSEMBLY_FAILED));
        assertNull(r.offer(buf("esp4frag1"), 3_000));
        r.clear();
        assertEquals(0, r.pending());
    }

    @Test
    void fragmentLimit() {
        Reassembler r = new Reassembler(ALLOC, listener, 2, 2, 1_000_000_000L);
        assertNull(r.offer(buf("esp4frag0"), 0));
        assertNull(r.offer(buf("esp4frag1"), 0));
        assertNull(r.offer(buf("esp4frag2"), 0));
        assertEquals(1, drops.get(DropReason.REASSEMBLY_FAILED));
    }

    @Test
    void fragmentationNeededLikeScapy() {
        ByteBuf big = buf("big4df");
        ByteBuf icmp = IcmpErrors.fragmentationNeeded(ALLOC, IpLiterals.v4(IpLiterals.parse("192.0.2.2")), big, 1400);
        big.release();
        assertArrayEquals(Vectors.get("fragneeded"), bytes(icmp));
    }

    @Test
    void packetTooBigLikeScapy() {
        ByteBuf big = buf("big6");
        byte[] src = IpLiterals.parse("2001:db8:1::2");
        ByteBuf icmp = IcmpErrors.packetTooBig(ALLOC, IpLiterals.v6hi(src), IpLiterals.v6lo(src), big, 1380);
        big.release();
        assertArrayEquals(Vectors.get("ptb"), bytes(icmp));
    }

    @Test
    void rateLimit() {
        IcmpErrors limiter = new IcmpErrors(10, 2);
        assertEquals(true, limiter.permit(0));
        assertEquals(true, limiter.permit(0));
        assertEquals(false, limiter.permit(1));
        assertEquals(true, limiter.permit(100_000_000L)); // 0.1 s at 10/s refills one
    }

    @Test
    void wrappedInputIsNotTouched() {
        ByteBuf p = Unpooled.wrappedBuffer(Vectors.get("esp4"));
        List<ByteBuf> out = new ArrayList<>();
        Ipv4Fragmenter.fragment(p, 576, ALLOC, out);
        assertEquals(1, p.refCnt());
        p.release();
        Reassembler r = new Reassembler(ALLOC, listener, 4, 16, 1_000_000_000L);
        ByteBuf whole = null;
        for (ByteBuf f : out) {
            ByteBuf w = r.offer(f, 0);
            if (w != null) {
                whole = w;
            }
        }
        assertNotNull(whole);
        assertArrayEquals(Vectors.get("esp4"), bytes(whole));
    }
}

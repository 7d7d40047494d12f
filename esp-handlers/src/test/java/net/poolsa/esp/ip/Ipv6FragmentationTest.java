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
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import org.junit.jupiter.api.Test;

/**
 * {@link Ipv6Fragmenter} byte for byte against scapy's {@code fragment6()} (vectors from make_vectors.py), with
 * and without an unfragmentable extension-header part, and IPv6 reassembly of bad fragment streams: overlap
 * (RFC 5722), too many fragments, timeout, inconsistent lengths, and atomic fragments (RFC 6946).
 */
class Ipv6FragmentationTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DropListener listener = (r, sa) -> drops.merge(r, 1, Integer::sum);

    private static ByteBuf buf(String name) {
        return ALLOC.buffer().writeBytes(Vectors.get(name));
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    private static void fragmentsLike(String whole, String prefix, int n, int id) {
        ByteBuf p = buf(whole);
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(n, Ipv6Fragmenter.fragment(p, 1280, id, ALLOC, out));
        p.release();
        for (int i = 0; i < n; i++) {
            assertArrayEquals(Vectors.get(prefix + i), bytes(out.get(i)), prefix + i);
        }
    }

    @Test
    void fragmentsLikeScapyFragment6() {
        fragmentsLike("esp6", "esp6frag", 3, 0x01020304);
    }

    @Test
    void fragmentHeaderGoesAfterTheUnfragmentablePart() {
        fragmentsLike("ext6", "ext6frag", 2, 0x0a0b0c0d);
    }

    @Test
    void ourFragmentsReassembleToTheOriginal() {
        for (String name : new String[] {"esp6", "ext6"}) {
            ByteBuf p = buf(name);
            List<ByteBuf> out = new ArrayList<>();
            Ipv6Fragmenter.fragment(p, 1400, 77, ALLOC, out);
            p.release();
            Reassembler r = new Reassembler(ALLOC, listener, 4, 16, 1_000_000_000L);
            ByteBuf whole = null;
            for (int i = out.size() - 1; i >= 0; i--) {
                ByteBuf w = r.offer(out.get(i), 0);
                whole = w != null ? w : whole;
            }
            assertNotNull(whole, name);
            assertArrayEquals(Vectors.get(name), bytes(whole), name);
        }
        assertEquals(Map.of(), drops);
    }

    @Test
    void fittingPacketIsCopiedWithoutFragmentHeader() {
        ByteBuf p = buf("atomic6whole");
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(1, Ipv6Fragmenter.fragment(p, 1280, 1, ALLOC, out));
        p.release();
        assertArrayEquals(Vectors.get("atomic6whole"), bytes(out.get(0)));
    }

    @Test
    void refusesSmallMtuAndFragmentedInput() {
        ByteBuf p = buf("esp6");
        ByteBuf f = buf("esp6frag0");
        try {
            assertThrows(IllegalArgumentException.class, () -> Ipv6Fragmenter.fragment(p, 1279, 1, ALLOC, new ArrayList<>()));
            f.setShort(4, 1500); // claims more than it holds
            assertThrows(IllegalArgumentException.class, () -> Ipv6Fragmenter.fragment(f, 1280, 1, ALLOC, new ArrayList<>()));
        } finally {
            p.release();
            f.release();
        }
    }

    @Test
    void refusesAHeaderChainLongerThanTheFirstFragment() {
        // IPv6 + 1240 bytes of Destination Options (fragmentable: no Routing header follows) + ESP: the chain up to
        // the ESP header needs 1248 bytes but the first fragment holds 1232 at MTU 1280 (RFC 7112 §5).
        ByteBuf p = ALLOC.buffer();
        p.writeInt(0x60000000).writeShort(1240 + 8 + 200).writeByte(IpPacketView.PROTO_DSTOPTS).writeByte(64);
        p.writeLong(0x20010db8000a0000L).writeLong(1).writeLong(0x20010db8000b0000L).writeLong(1);
        p.writeByte(IpPacketView.PROTO_ESP).writeByte(1240 / 8 - 1).writeByte(1).writeByte(1240 - 4).writeZero(1240 - 4);
        p.writeInt(0x4101).writeInt(1).writeZero(200);
        List<ByteBuf> out = new ArrayList<>();
        try {
            assertThrows(IllegalArgumentException.class, () -> Ipv6Fragmenter.fragment(p, 1280, 1, ALLOC, out));
            assertEquals(List.of(), out);
            // With a shorter option block the chain fits and the packet is fragmented as usual.
            p.setShort(4, 1016 + 8 + 400).setByte(41, 1016 / 8 - 1).setByte(43, 1016 - 4);
            p.writerIndex(40 + 1016 + 8 + 400);
            p.setInt(40 + 1016, 0x4101);
            assertEquals(2, Ipv6Fragmenter.fragment(p, 1280, 1, ALLOC, out));
        } finally {
            p.release();
            out.forEach(ByteBuf::release);
        }
    }

    @Test
    void atomicFragmentIsProcessedInIsolation() {
        Reassembler r = new Reassembler(ALLOC, listener, 4, 16, 1_000_000_000L);
        assertNull(r.offer(buf("esp6frag1"), 0));
        // Same source, destination and identification as the pending datagram: must neither join nor disturb it.
        ByteBuf alone = r.offer(buf("atomic6"), 0);
        assertNotNull(alone);
        assertArrayEquals(Vectors.get("atomic6whole"), bytes(alone));
        assertEquals(1, r.pending());
        assertNull(r.offer(buf("esp6frag2"), 0));
        ByteBuf whole = r.offer(buf("esp6frag0"), 0);
        assertNotNull(whole);
        assertArrayEquals(Vectors.get("esp6"), bytes(whole));
        assertEquals(Map.of(), drops);
    }

    @Test
    void overlappingFragmentDiscardsTheDatagram() {
        Reassembler r = new Reassembler(ALLOC, listener, 4, 16, 1_000_000_000L);
        assertNull(r.offer(buf("esp6frag0"), 0));
        ByteBuf overlapping = buf("esp6frag1");
        overlapping.setShort(42, (overlapping.getUnsignedShort(42) - 64) | 1); // 64 bytes back into fragment 0
        assertNull(r.offer(overlapping, 0));
        assertEquals(0, r.pending());
        assertNull(r.offer(buf("esp6frag2"), 0)); // a later fragment starts a new datagram that never completes
        assertEquals(Map.of(DropReason.REASSEMBLY_FAILED, 1), drops);
        r.clear();
    }

    @Test
    void tooManyFragmentsTimeoutAndBadLengths() {
        Reassembler r = new Reassembler(ALLOC, listener, 4, 2, 1_000L);
        assertNull(r.offer(buf("esp6frag0"), 0));
        assertNull(r.offer(buf("esp6frag1"), 0));
        assertNull(r.offer(buf("esp6frag2"), 0)); // a third fragment over a limit of two
        assertEquals(1, drops.get(DropReason.REASSEMBLY_FAILED));
        assertNull(r.offer(buf("esp6frag0"), 10));
        r.expire(2_000); // the timeout passed
        assertEquals(0, r.pending());
        assertEquals(2, drops.get(DropReason.REASSEMBLY_FAILED));
        ByteBuf odd = buf("esp6frag0");
        odd.writerIndex(odd.writerIndex() - 3); // M set but not a multiple of 8 bytes (RFC 8200 §4.5)
        odd.setShort(4, odd.readableBytes() - 40);
        assertNull(r.offer(odd, 3_000));
        assertEquals(3, drops.get(DropReason.REASSEMBLY_FAILED));
        assertEquals(0, r.pending());
    }
}

package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.UdpEncapsulation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Our own encapsulation against our own decapsulation, over every algorithm, mode, address family mix, ESN and
 * NAT-T. Only a consistency check: the independent oracles are {@link TsharkInteropTest} and {@link ScapyInteropTest}.
 */
class RoundTripTest {
    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        int spi = 0x1000;
        for (Suite s : ESP_SUITES) {
            for (String[] fam : new String[][] {{IN4_SRC, IN4_DST, OUT4_A, OUT4_B}, {IN6_SRC, IN6_DST, OUT6_A, OUT6_B},
                    {IN4_SRC, IN4_DST, OUT6_A, OUT6_B}, {IN6_SRC, IN6_DST, OUT4_A, OUT4_B}}) {
                all.add(Arguments.of(IpsecProtocol.ESP, SaMode.TUNNEL, s, fam, false, null, spi++));
            }
            all.add(Arguments.of(IpsecProtocol.ESP, SaMode.TRANSPORT, s, new String[] {OUT4_A, OUT4_B, null, null}, true, null, spi++));
            all.add(Arguments.of(IpsecProtocol.ESP, SaMode.TRANSPORT, s, new String[] {OUT6_A, OUT6_B, null, null}, false, null, spi++));
            all.add(Arguments.of(IpsecProtocol.ESP, SaMode.TUNNEL, s, new String[] {IN4_SRC, IN4_DST, OUT4_A, OUT4_B}, true,
                    UdpEncapsulation.NAT_T, spi++));
            all.add(Arguments.of(IpsecProtocol.ESP, SaMode.TUNNEL, s, new String[] {IN6_SRC, IN6_DST, OUT6_A, OUT6_B}, false,
                    UdpEncapsulation.NAT_T, spi++));
        }
        for (Suite s : List.of(AH_SHA1, AH_SHA256)) {
            for (boolean esn : new boolean[] {false, true}) {
                all.add(Arguments.of(IpsecProtocol.AH, SaMode.TUNNEL, s, new String[] {IN4_SRC, IN4_DST, OUT4_A, OUT4_B}, esn, null, spi++));
                all.add(Arguments.of(IpsecProtocol.AH, SaMode.TUNNEL, s, new String[] {IN4_SRC, IN4_DST, OUT6_A, OUT6_B}, esn, null, spi++));
                all.add(Arguments.of(IpsecProtocol.AH, SaMode.TRANSPORT, s, new String[] {OUT4_A, OUT4_B, null, null}, esn, null, spi++));
                all.add(Arguments.of(IpsecProtocol.AH, SaMode.TRANSPORT, s, new String[] {OUT6_A, OUT6_B, null, null}, esn, null, spi++));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} {3} esn={4} encap={5}")
    @MethodSource("cases")
    void roundTrip(IpsecProtocol proto, SaMode mode, Suite suite, String[] addrs, boolean esn, UdpEncapsulation encap, int spi) {
        Pair p = Packets.pair(proto, mode, suite, spi, esn, encap);
        Drops drops = new Drops();
        IpsecProcessor tx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        IpsecProcessor rx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        for (int size : new int[] {0, 1, 13, 100, 1372}) {
            byte[] inner = udp(addrs[0], addrs[1], 1000, 2000, payload(size));
            ByteBuf in = Unpooled.wrappedBuffer(inner);
            ByteBuf outer = tx.protect(p.out(), in, addrs[2] == null ? null : addr(addrs[2]), addrs[3] == null ? null : addr(addrs[3]));
            assertNotNull(outer, () -> "protect dropped: " + drops.reasons);
            try {
                assertEquals(p.out().spi(), spiOf(outer));
                ByteBuf back = rx.unprotect(p.in(), outer);
                assertNotNull(back, () -> "unprotect dropped: " + drops.reasons);
                try {
                    assertArrayEquals(inner, bytes(back));
                } finally {
                    back.release();
                }
                // The same packet again is a replay (unless the SA runs without integrity, RFC 4303 §3.4.3).
                ByteBuf again = rx.unprotect(p.in(), outer);
                if (suite == CBC128_NOAUTH) {
                    assertNotNull(again);
                    again.release();
                } else {
                    assertNull(again);
                    assertEquals(net.poolsa.esp.event.DropReason.REPLAYED, drops.last());
                    drops.reasons.clear();
                }
            } finally {
                outer.release();
                in.release();
            }
        }
        assertTrue(drops.reasons.isEmpty(), drops.reasons::toString);
    }

    @Test
    void bundleAppliesEspThenAh() {
        Pair esp = Packets.pair(IpsecProtocol.ESP, SaMode.TUNNEL, CBC128_SHA256, 0x2001, false, null);
        Pair ah = Packets.pair(IpsecProtocol.AH, SaMode.TRANSPORT, AH_SHA256, 0x2002, false, null);
        SaBundle out = new SaBundle(esp.out(), ah.out());
        SaBundle in = new SaBundle(esp.in(), ah.in());
        Drops drops = new Drops();
        IpsecProcessor proc = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        byte[] inner = udp(IN4_SRC, IN4_DST, 1, 2, payload(200));
        ByteBuf in0 = Unpooled.wrappedBuffer(inner);
        ByteBuf outer = out.protect(proc, in0, addr(OUT4_A), addr(OUT4_B));
        assertNotNull(outer, drops.reasons::toString);
        assertEquals(51, outer.getUnsignedByte(9));
        assertEquals(50, outer.getUnsignedByte(20)); // AH next header = ESP
        assertEquals(0x2002, spiOf(outer));
        ByteBuf back = in.unprotect(proc, outer);
        assertNotNull(back, drops.reasons::toString);
        assertArrayEquals(inner, bytes(back));
        back.release();
        outer.release();
        in0.release();
    }

    /** Two processor threads share one outbound SA: sequence numbers (and so AEAD IVs) stay unique, all packets verify. */
    @Test
    void oneSaSharedByTwoThreads() throws Exception {
        Pair p = Packets.pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x3001, false, null, 8192,
                net.poolsa.esp.sa.TrafficSelector.between(net.poolsa.esp.sa.AddressPool.ANY, net.poolsa.esp.sa.AddressPool.ANY));
        byte[] inner = udp(IN4_SRC, IN4_DST, 1, 2, payload(100));
        int perThread = 2000;
        java.util.concurrent.ConcurrentLinkedQueue<ByteBuf> sealed = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Runnable sender = () -> {
            IpsecProcessor tx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, (r, sa) -> fail("dropped " + r));
            ByteBuf in = Unpooled.wrappedBuffer(inner);
            for (int i = 0; i < perThread; i++) {
                sealed.add(tx.protect(p.out(), in, addr(OUT4_A), addr(OUT4_B)));
            }
        };
        Thread a = new Thread(sender);
        Thread b = new Thread(sender);
        a.start();
        b.start();
        a.join();
        b.join();
        java.util.Set<Integer> seqs = new java.util.HashSet<>();
        IpsecProcessor rx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, (r, sa) -> fail("dropped " + r));
        for (ByteBuf s : sealed) {
            assertTrue(seqs.add(s.getInt(24)), "sequence number reused");
            ByteBuf back = rx.unprotect(p.in(), s);
            assertArrayEquals(inner, bytes(back));
            back.release();
            s.release();
        }
        assertEquals(2 * perThread, seqs.size());
    }
}

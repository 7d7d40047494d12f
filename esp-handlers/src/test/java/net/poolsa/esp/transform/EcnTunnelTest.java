package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.RateLimitedLog;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ECN through the tunnel, RFC 6040 normal mode. Encapsulation copies the inner ECN field to the outer header
 * (§4.1); decapsulation combines the arriving outer and inner fields by §4.2's Figure 4, which this test parses
 * from the RFC's own text below (the oracle), for every cell, over IPv4 and IPv6 inner packets, IPv4 and IPv6
 * outer headers, ESP and AH. The outer ECN field is set on the wire after sealing, as a congested router would
 * (ESP's ICV does not cover the outer header; AH's excludes the TOS / traffic class byte). Everything but the
 * ECN bits (and the IPv4 checksum, checked by a full recomputation) must leave as it was sent.
 */
class EcnTunnelTest {
    /** RFC 6040 §4.2, Figure 4, verbatim. */
    private static final String FIGURE_4 = """
            +---------+------------------------------------------------+
            |Arriving |            Arriving Outer Header               |
            |   Inner +---------+------------+------------+------------+
            |  Header | Not-ECT | ECT(0)     | ECT(1)     |     CE     |
            +---------+---------+------------+------------+------------+
            | Not-ECT | Not-ECT |Not-ECT(!!!)|Not-ECT(!!!)| <drop>(!!!)|
            |  ECT(0) |  ECT(0) | ECT(0)     | ECT(1)     |     CE     |
            |  ECT(1) |  ECT(1) | ECT(1) (!) | ECT(1)     |     CE     |
            |    CE   |      CE |     CE     |     CE(!!!)|     CE     |
            +---------+---------+------------+------------+------------+
            """;
    private static final Map<String, Integer> CODEPOINTS = Map.of("Not-ECT", 0, "ECT(1)", 1, "ECT(0)", 2, "CE", 3);
    private static final int DROP = -1;

    /** [inner][outer] codepoint -> outgoing codepoint or {@link #DROP}, read from {@link #FIGURE_4}. */
    static Map<Integer, Map<Integer, Integer>> figure4() {
        List<String> rows = FIGURE_4.lines().filter(l -> l.startsWith("|")).map(String::trim).toList();
        String[] head = rows.get(2).split("\\|");
        List<Integer> outerColumns = new ArrayList<>();
        for (int i = 2; i < head.length; i++) {
            outerColumns.add(CODEPOINTS.get(head[i].trim()));
        }
        Map<Integer, Map<Integer, Integer>> t = new HashMap<>();
        for (String row : rows.subList(3, rows.size())) {
            String[] cells = row.split("\\|");
            Map<Integer, Integer> byOuter = new HashMap<>();
            for (int i = 2; i < cells.length; i++) {
                String c = cells[i].replace("(!!!)", "").replace("(!)", "").trim();
                byOuter.put(outerColumns.get(i - 2), c.equals("<drop>") ? DROP : CODEPOINTS.get(c));
            }
            t.put(CODEPOINTS.get(cells[1].trim()), byOuter);
        }
        return t;
    }

    @Test
    void theOracleHasSixteenCells() {
        Map<Integer, Map<Integer, Integer>> t = figure4();
        assertEquals(4, t.size());
        t.values().forEach(r -> assertEquals(4, r.size()));
        assertEquals(DROP, t.get(0).get(3)); // Not-ECT inside, CE outside
        assertEquals(1, t.get(2).get(1)); // ECT(0) inside, ECT(1) outside: ECT(1) propagates
    }

    static Stream<Arguments> cells() {
        List<Arguments> all = new ArrayList<>();
        String[][] families = {{IN4_SRC, IN4_DST, OUT4_A, OUT4_B}, {IN6_SRC, IN6_DST, OUT6_A, OUT6_B},
            {IN4_SRC, IN4_DST, OUT6_A, OUT6_B}, {IN6_SRC, IN6_DST, OUT4_A, OUT4_B}};
        for (String[] fam : families) {
            for (int inner = 0; inner < 4; inner++) {
                for (int outer = 0; outer < 4; outer++) {
                    all.add(Arguments.of(IpsecProtocol.ESP, fam, inner, outer));
                }
            }
        }
        for (int inner = 0; inner < 4; inner++) {
            for (int outer = 0; outer < 4; outer++) {
                all.add(Arguments.of(IpsecProtocol.AH, families[0], inner, outer));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} inner={2} outer={3}")
    @MethodSource("cells")
    void decapsulationFollowsFigure4(IpsecProtocol proto, String[] fam, int innerEcn, int outerEcn) {
        int expected = figure4().get(innerEcn).get(outerEcn);
        Pair p = Packets.pair(proto, SaMode.TUNNEL, proto == IpsecProtocol.ESP ? GCM128 : AH_SHA256, 0x6040, false, null);
        Drops drops = new Drops();
        IpsecProcessor tx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        IpsecProcessor rx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        byte[] inner = withEcn(udp(fam[0], fam[1], 1000, 2000, payload(40)), innerEcn);
        ByteBuf outer = tx.protect(p.out(), Unpooled.wrappedBuffer(inner), addr(fam[2]), addr(fam[3]));
        assertNotNull(outer, () -> "protect dropped: " + drops.reasons);
        try {
            assertEquals(innerEcn, ecn(bytes(outer)), "RFC 6040 §4.1 normal mode: the outer ECN field is a copy of the inner");
            setEcn(outer, outerEcn); // a router on the path marks the outer header
            ByteBuf back = rx.unprotect(p.in(), outer);
            if (expected == DROP) {
                assertNull(back);
                assertEquals(List.of(DropReason.ECN_CE_NOT_ECT), drops.reasons);
                return;
            }
            assertNotNull(back, () -> "unprotect dropped: " + drops.reasons);
            try {
                byte[] got = bytes(back);
                assertEquals(expected, ecn(got));
                IpPacketView v = new IpPacketView();
                assertNull(v.decode(Unpooled.wrappedBuffer(got)), "IPv4 header checksum recomputed in full still verifies");
                assertArrayEquals(withEcn(inner, expected), got, "only the ECN field (and the checksum) changed");
                assertEquals(List.of(), drops.reasons);
            } finally {
                back.release();
            }
        } finally {
            outer.release();
        }
    }

    @Test
    void transportModeKeepsTheOneHeadersEcn() {
        Pair p = Packets.pair(IpsecProtocol.ESP, SaMode.TRANSPORT, GCM128, 0x6041, false, null);
        Drops drops = new Drops();
        IpsecProcessor tx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        IpsecProcessor rx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        byte[] inner = withEcn(udp(OUT4_A, OUT4_B, 1000, 2000, payload(40)), 2);
        ByteBuf outer = tx.protect(p.out(), Unpooled.wrappedBuffer(inner), null, null);
        setEcn(outer, 3); // CE on the only header there is: nothing to combine, the receiver sees CE
        ByteBuf back = rx.unprotect(p.in(), outer);
        outer.release();
        assertNotNull(back, () -> "unprotect dropped: " + drops.reasons);
        assertEquals(3, ecn(bytes(back)));
        back.release();
    }

    /**
     * The unused combinations are logged (RFC 6040 §4.2: SHOULD log), one line per ten seconds, and the line after
     * a quiet spell says how many it did not write, for which SPIs (slf4j-simple writes to System.err).
     */
    @Test
    void unusedCombinationsAreLoggedAtARateLimit() {
        AtomicLong now = new AtomicLong();
        Pair p = Packets.pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, 0x6042, false, null);
        Drops drops = new Drops();
        IpsecProcessor tx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        IpsecProcessor rx = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops,
                new RateLimitedLog(IpsecProcessor.CAUSES, 1, 10_000_000_000L, now::get));
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int[][] outerInner = {{ECT_0, NOT_ECT}, {ECT_1, NOT_ECT}, {ECT_0, ECT_0}, {CE, NOT_ECT}, {ECT_1, CE}};
            for (int[] c : outerInner) {
                ByteBuf outer = tx.protect(p.out(), Unpooled.wrappedBuffer(withEcn(udp(IN4_SRC, IN4_DST, 1, 2, payload(8)), c[1])),
                        addr(OUT4_A), addr(OUT4_B));
                setEcn(outer, c[0]);
                ByteBuf back = rx.unprotect(p.in(), outer);
                outer.release();
                if (back != null) {
                    back.release();
                }
                if (c[0] == CE) {
                    now.addAndGet(10_000_000_000L); // the window ends after the drop
                }
            }
        } finally {
            System.setErr(err);
        }
        List<String> lines = new String(captured.toByteArray(), StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("event=ecn_unexpected")).map(l -> l.substring(l.indexOf("event="))).toList();
        assertEquals(List.of("event=ecn_unexpected spi=0x00006042 outer_ecn=ect0 inner_ecn=not-ect action=forward",
                "event=ecn_unexpected spi=0x00006042 outer_ecn=ect1 inner_ecn=ce action=forward suppressed=2"
                        + " suppressed_first_spi=0x00006042 suppressed_last_spi=0x00006042"), lines,
                "ECT(0) over ECT(0) is not unusual; the ECT(1)/Not-ECT and CE/Not-ECT ones were suppressed");
        assertEquals(List.of(DropReason.ECN_CE_NOT_ECT), drops.reasons);
    }

    private static final int NOT_ECT = 0;
    private static final int ECT_1 = 1;
    private static final int ECT_0 = 2;
    private static final int CE = 3;

    static int ecn(byte[] ip) {
        return (ip[0] >> 4 & 0xF) == 4 ? ip[1] & 3 : (ip[1] >> 4) & 3;
    }

    /** A copy of the IP packet with its ECN field set (and its IPv4 header checksum recomputed). */
    static byte[] withEcn(byte[] ip, int ecn) {
        ByteBuf b = Unpooled.copiedBuffer(ip);
        setEcn(b, ecn);
        byte[] out = bytes(b);
        b.release();
        return out;
    }

    static void setEcn(ByteBuf b, int ecn) {
        int at = b.readerIndex();
        if ((b.getUnsignedByte(at) >> 4) == 4) {
            b.setByte(at + 1, (b.getUnsignedByte(at + 1) & ~3) | ecn);
            Checksums.writeIpv4HeaderChecksum(b, at);
        } else {
            b.setByte(at + 1, (b.getUnsignedByte(at + 1) & ~0x30) | (ecn << 4));
        }
    }
}

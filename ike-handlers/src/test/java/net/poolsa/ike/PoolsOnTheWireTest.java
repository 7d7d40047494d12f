package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * The pools on the wire between two poolsa gateways (docs/ikev1-pools.md): several ranges per side go as one RFC 3554
 * ID_LIST in one Quick Mode and make one SA pair; each side's outer pool travels in the outer-pool notification and
 * lands in the peer's SAs; a claim outside the configured pools is refused with INVALID-ID-INFORMATION and a log line
 * naming the addresses; the host case makes the protected pool the outer pool.
 * <pre>
 * HDR*, HASH(1), SA, Ni, KE, IDci=ID_LIST, IDcr=ID_LIST, N(outer pool) --&gt;
 *                 &lt;-- HDR*, HASH(2), SA, Nr, KE, IDci=ID_LIST, IDcr=ID_LIST, N(outer pool)
 * HDR*, HASH(3) --&gt;
 * </pre>
 */
class PoolsOnTheWireTest {
    private static final String A_OUTER = "192.0.2.1,198.51.100.201";
    private static final String B_OUTER = "192.0.2.2,203.0.113.202";
    private static final String A_PROTECTED = "198.51.100.0/26,198.51.100.128/26";
    private static final String B_PROTECTED = "203.0.113.0/26,203.0.113.128/26,2001:db8:2::/48";

    private static Gateways dualHomed() {
        Gateways g = new Gateways();
        g.configure(Conn.of(A_OUTER, B_OUTER, A_PROTECTED, B_PROTECTED), Conn.of(B_OUTER, A_OUTER, B_PROTECTED, A_PROTECTED));
        return g;
    }

    @Test
    void severalRangesPerSideMakeOneQuickModeAndOneSaPair() {
        Gateways g = dualHomed();
        assertTrue(g.initiate(g.a).ok());
        assertEquals(9, g.wire.log.size(), "one Main Mode, one Quick Mode");
        for (Wire.Side s : List.of(g.a, g.b)) {
            assertEquals(2, s.kernel.listSas().size(), s + ": one SA pair");
            assertEquals(2, s.kernel.spd().size(), s + ": one pair of policies");
        }
        SecurityAssociation out = Gateways.one(g.a, Direction.OUTBOUND);
        assertEquals(TrafficSelector.between(AddressPool.parse(A_PROTECTED), AddressPool.parse(B_PROTECTED)),
                out.selector());
        assertEquals(7, out.reqid(), "the connection's own reqid: the whole pools");
        assertEquals(TrafficSelector.between(AddressPool.parse(A_PROTECTED), AddressPool.parse(B_PROTECTED)),
                Gateways.one(g.b, Direction.INBOUND).selector());
        assertTrue(g.a.events.fallbacks.isEmpty());
    }

    @Test
    void eachSidesOuterPoolReachesThePeersSas() {
        Gateways g = dualHomed();
        assertTrue(g.initiate(g.b).ok());
        for (Wire.Side s : List.of(g.a, g.b)) {
            String local = s == g.a ? A_OUTER : B_OUTER;
            String remote = s == g.a ? B_OUTER : A_OUTER;
            for (Direction d : Direction.values()) {
                SecurityAssociation sa = Gateways.one(s, d);
                assertEquals(AddressPool.parse(local), sa.localOuter(), s + " " + d);
                assertEquals(AddressPool.parse(remote), sa.remoteOuter(), s + " " + d);
            }
            SecurityAssociation out = Gateways.one(s, Direction.OUTBOUND);
            assertEquals(s == g.a ? "192.0.2.2" : "192.0.2.1", out.currentRemote().toString(),
                    "the outbound SA starts on the IKE addresses");
            assertEquals(s == g.a ? "192.0.2.1" : "192.0.2.2", out.currentLocal().toString());
        }
        ChildSaSnapshot c = g.snapshot(g.a).get(0).children().get(0);
        assertEquals("192.0.2.1/32, 198.51.100.201/32", c.localOuter());
        assertEquals("192.0.2.2/32, 203.0.113.202/32", c.remoteOuter());
    }

    @Test
    void aProtectedPoolBeyondTheConfigurationIsRefusedAndTheLogNamesIt() {
        Gateways g = new Gateways();
        // A claims 198.51.100.0/24; B allows A only 198.51.100.0/25
        g.configure(Gateways.forA(), Conn.of("192.0.2.2", "192.0.2.1", "203.0.113.0/24", "198.51.100.0/25"));
        try (LogCapture log = new LogCapture()) {
            IkeResult r = g.initiate(g.a);
            assertFalse(r.ok());
            assertTrue(r.message().contains("INVALID-ID-INFORMATION"), r.message());
            List<String> lines = log.with("event=ike_refused reason=invalid_id");
            assertEquals(1, lines.size(), log.lines().toString());
            assertTrue(lines.get(0).contains("protected pool (IDci) [198.51.100.0/24] outside the configured [198.51.100.0/25]"),
                    lines.get(0));
        }
        assertEquals(0, g.a.kernel.listSas().size());
        assertEquals(0, g.b.kernel.listSas().size(), "nothing installed for a refused claim");
        assertEquals(1, g.b.events.drops("invalid_id"));
        assertEquals(1, g.b.events.exchanges("quick_mode/refused"));
        assertEquals(1, g.a.events.exchanges("quick_mode/refused"));
    }

    @Test
    void anOuterPoolBeyondTheConfigurationIsRefused() {
        Gateways g = new Gateways();
        // A announces 192.0.2.1 and 198.51.100.201; B knows A only as 192.0.2.1
        g.configure(Conn.of(A_OUTER, "192.0.2.2", "198.51.100.0/24", "203.0.113.0/24"), Gateways.forB());
        try (LogCapture log = new LogCapture()) {
            IkeResult r = g.initiate(g.a);
            assertFalse(r.ok(), r.message());
            List<String> lines = log.with("reason=invalid_id");
            assertEquals(1, lines.size(), log.lines().toString());
            assertTrue(lines.get(0).contains("outer pool [192.0.2.1/32, 198.51.100.201/32] outside the configured [192.0.2.1/32]"),
                    lines.get(0));
        }
        assertEquals(0, g.b.kernel.listSas().size());
    }

    @Test
    void aNarrowerClaimGetsANarrowerSaPairOfItsOwnReqid() {
        Gateways g = new Gateways();
        g.configure(Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/26", "203.0.113.0/24"),
                Conn.of("192.0.2.2", "192.0.2.1", "203.0.113.0/24", "198.51.100.0/24"));
        assertTrue(g.initiate(g.a).ok());
        SecurityAssociation in = Gateways.one(g.b, Direction.INBOUND);
        assertEquals(TrafficSelector.between(AddressPool.parse("198.51.100.0/26"), AddressPool.parse("203.0.113.0/24")),
                in.selector());
        assertEquals(7 + (1 << 16), in.reqid(), "sub-pair 1");
        assertTrue(g.b.kernel.spd().get("c/out/1") != null && g.b.kernel.spd().get("c/out") == null);
    }

    @Test
    void theHostCaseMakesTheProtectedPoolTheOuterPool() {
        Gateways g = new Gateways();
        // transport mode between two multihomed hosts: protected pool = own addresses = outer pool
        g.configure(Conn.of(A_OUTER, B_OUTER, A_OUTER, B_OUTER).mode(SaMode.TRANSPORT),
                Conn.of(B_OUTER, A_OUTER, B_OUTER, A_OUTER).mode(SaMode.TRANSPORT));
        assertTrue(g.initiate(g.a).ok());
        SecurityAssociation in = Gateways.one(g.b, Direction.INBOUND);
        assertEquals(AddressPool.parse(A_OUTER), in.remoteOuter());
        assertEquals(AddressPool.parse(A_OUTER), in.selector().source());
    }
}

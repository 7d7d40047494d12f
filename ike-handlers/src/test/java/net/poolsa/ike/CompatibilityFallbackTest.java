package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.exchange.OuterPoolNotify;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpMessageDecoder;
import net.poolsa.ike.message.IsakmpMessageEncoder;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.VendorIdPayload;

/**
 * Peers without the poolsa extensions, played by two poolsa engines whose Main Mode vendor IDs the wire strips
 * (Main Mode's HASH_I/HASH_R do not cover vendor IDs, so the exchange still authenticates): each side then takes the
 * other for an implementation without outer-pool notifications and without a guaranteed ID_LIST.
 * <pre>
 * HDR, SA, VID(NAT-T), VID(poolsa) --strip--&gt;      &lt;--strip-- HDR, SA, VID(NAT-T), VID(poolsa)
 * HDR*, HASH(1), SA, Ni, KE, IDci=ID_LIST, IDcr --&gt;   (no N(outer pool): the peer did not announce it)
 *                  &lt;-- HDR*, HASH(1), N(INVALID-ID-INFORMATION)
 * HDR*, HASH(1), SA, Ni, KE, IDci=198.51.100.0/26, IDcr --&gt; ... one Quick Mode per range pair
 * </pre>
 */
class CompatibilityFallbackTest {

    /** Takes the poolsa vendor ID out of Main Mode messages 1 and 2. */
    static Wire.Datagram strip(Wire.Datagram d) {
        if (d.exchangeType() != 2 || d.encrypted()) {
            return d;
        }
        ByteBuf in = Unpooled.wrappedBuffer(d.bytes());
        try {
            IsakmpMessage m = (IsakmpMessage) IsakmpMessageDecoder.decode(in);
            List<IsakmpPayload> kept = new ArrayList<>();
            for (IsakmpPayload p : m.payloads()) {
                if (!(p instanceof VendorIdPayload && ((VendorIdPayload) p).data().equals(OuterPoolNotify.VENDOR_ID))) {
                    kept.add(p);
                }
            }
            ByteBuf out = Unpooled.buffer();
            try {
                IsakmpMessageEncoder.encode(new IsakmpMessage(m.header(), kept), out);
                return d.with(ByteBufUtil.getBytes(out));
            } finally {
                out.release();
            }
        } catch (IkeProtocolException e) {
            throw new AssertionError(e);
        } finally {
            in.release();
        }
    }

    @Test
    void withoutTheVendorIdEachOuterPoolFallsBackToTheIkeAddress() {
        Gateways g = new Gateways();
        String aOuter = "192.0.2.1,198.51.100.201";
        String bOuter = "192.0.2.2,203.0.113.202";
        g.configure(Conn.of(aOuter, bOuter, "198.51.100.0/25", "203.0.113.0/25"),
                Conn.of(bOuter, aOuter, "203.0.113.0/25", "198.51.100.0/25"));
        g.wire.nat = CompatibilityFallbackTest::strip;
        assertTrue(g.initiate(g.a).ok(), "the negotiation does not fail");
        for (Wire.Side s : List.of(g.a, g.b)) {
            for (Direction d : Direction.values()) {
                SecurityAssociation sa = Gateways.one(s, d);
                assertEquals(AddressPool.parse(s == g.a ? "192.0.2.1" : "192.0.2.2"), sa.localOuter(), s + " " + d);
                assertEquals(AddressPool.parse(s == g.a ? "192.0.2.2" : "192.0.2.1"), sa.remoteOuter(), s + " " + d);
            }
        }
    }

    @Test
    void aRefusedIdListFallsBackToRangePairsAndIsRemembered() {
        Gateways g = new Gateways();
        // A offers two ranges; B allows only the first of them
        g.configure(Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/26,198.51.100.128/26", "203.0.113.0/24"),
                Conn.of("192.0.2.2", "192.0.2.1", "203.0.113.0/24", "198.51.100.0/26"));
        g.wire.nat = CompatibilityFallbackTest::strip;
        try (LogCapture log = new LogCapture()) {
            IkeResult first = g.initiate(g.a);
            assertFalse(first.ok(), "the second range pair is outside B's policy");
            assertTrue(first.message().contains("installed: 198.51.100.0/26 === 203.0.113.0/24"), first.message());
            assertEquals(List.of("c 192.0.2.2"), g.a.events.fallbacks);
            assertEquals(1, log.with("event=ike_compatibility_fallback connection=c peer=192.0.2.2 reason=\"the peer "
                    + "refused our ID_LIST with INVALID-ID-INFORMATION\"").size(), log.lines().toString());
            SecurityAssociation out = Gateways.one(g.a, Direction.OUTBOUND);
            assertEquals(7 + (1 << 16), out.reqid(), "a range pair is a sub-pair");

            Gateways.done(g.a.engine.terminate("c").toCompletableFuture());
            g.wire.flush();
            IkeResult second = g.initiate(g.a);
            assertFalse(second.ok());
            assertEquals(1, g.a.events.fallbacks.size(), "remembered: no second fallback");
            assertEquals(1, log.with("idci=\"ID_LIST").size(), "ID_LIST offered once only");
            assertEquals(1, log.with("event=quick_mode_per_range_pair").size());
            assertEquals(3, g.a.events.exchanges("quick_mode/refused"), "ID_LIST, then the second pair twice");
            assertEquals(2, g.a.events.exchanges("quick_mode/ok"));
        }
    }
}

package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.Direction;
import net.poolsa.ike.message.DeletePayload;
import net.poolsa.ike.message.Doi;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.IsakmpHeader;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpMessageEncoder;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.ProtocolId;

/**
 * Informational exchanges (RFC 2409 §5.7, {@code HDR*, HASH(1), D}): a Delete authenticated under the IKE SA removes
 * what it names; one in the clear, one whose HASH(1) does not verify and a replay of one already acted on change
 * nothing. Flow of {@code poolsa terminate} on A:
 * <pre>
 * HDR*, HASH(1), D(ESP, A's inbound SPI)  --&gt;     B removes the SA pair and its policies
 * HDR*, HASH(1), D(ISAKMP, cookies)       --&gt;     B removes the IKE SA
 * </pre>
 */
class InformationalTest {

    @Test
    void onlyAnAuthenticatedDeleteRemovesAnything() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        int aIn = Gateways.one(g.a, Direction.INBOUND).spi();
        IkeResult t = Gateways.done(g.a.engine.terminate("c").toCompletableFuture());
        assertEquals("connection c terminated: 1 child SA pair(s), 1 IKE SA(s) deleted", t.message());
        List<Wire.Datagram> deletes = g.wire.take();
        assertEquals(2, deletes.size(), "D(ESP), then D(ISAKMP)");
        IkeSaSnapshot ike = g.snapshot(g.b).get(0);

        // HDR, D --> in the clear: anybody on the path could send it
        g.wire.deliver(deletes.get(0).with(clearDelete(ike, aIn)));
        assertEquals(2, g.b.kernel.listSas().size());
        assertEquals(1, g.b.events.drops("unauthenticated"));

        // HDR*, HASH(1), D --> with the hash damaged (ciphertext block 1 is the middle of HASH(1))
        byte[] bad = deletes.get(0).bytes().clone();
        bad[28 + 16] ^= 0x40;
        g.wire.deliver(deletes.get(0).with(bad));
        assertEquals(2, g.b.kernel.listSas().size());
        assertEquals(1, g.b.events.drops("bad_hash"));

        // the genuine D(ESP): the pair goes, the IKE SA stays
        g.wire.deliver(deletes.get(0));
        assertEquals(0, g.b.kernel.listSas().size());
        assertEquals(0, g.b.kernel.spd().size());
        assertEquals(1, g.snapshot(g.b).size());

        // the same D(ESP) again: a replay, dropped by its message ID
        g.wire.deliver(deletes.get(0));
        assertEquals(1, g.b.events.drops("replayed"));

        // D(ISAKMP): the IKE SA goes
        g.wire.deliver(deletes.get(1));
        assertEquals(0, g.snapshot(g.b).size());
        assertEquals(3, g.b.events.totalDrops());
        assertEquals(2, g.b.events.exchanges("informational/ok"));
    }

    @Test
    void terminateByTheResponderWorksTheOtherWayRound() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        IkeResult t = Gateways.done(g.b.engine.terminate("c").toCompletableFuture());
        assertTrue(t.ok());
        g.wire.flush();
        assertEquals(0, g.a.kernel.listSas().size());
        assertEquals(0, g.snapshot(g.a).size());
        assertEquals(0, g.a.events.totalDrops());
    }

    private static byte[] clearDelete(IkeSaSnapshot ike, int spi) {
        long ci = Long.parseUnsignedLong(ike.initiatorCookie(), 16);
        long cr = Long.parseUnsignedLong(ike.responderCookie(), 16);
        IsakmpMessage m = new IsakmpMessage(IsakmpHeader.of(ci, cr, ExchangeType.INFORMATIONAL, 0x01020304),
                List.of(new DeletePayload(Doi.IPSEC, ProtocolId.IPSEC_ESP, List.of(Octets.ofInt(spi)))));
        ByteBuf b = Unpooled.buffer();
        try {
            IsakmpMessageEncoder.encode(m, b);
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }
}

package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import net.poolsa.esp.sa.Direction;

/**
 * Retransmission with stored replies (RFC 2408 §2.5.2): whichever of the nine messages is lost once, the exchange
 * completes. A lost request is sent again after the first timeout; a lost reply makes the peer repeat its request,
 * which is answered with the stored reply, byte for byte, and counted as {@code retransmitted} instead of being
 * processed twice. The last message of Quick Mode (HASH(3)) has no answer: the responder repeats HASH(2) until it
 * comes. Flows (message k lost):
 * <pre>
 * k odd (a request):  request --X      ... 4 s ...  request --&gt;  &lt;-- reply
 * k even (a reply):   request --&gt;  X-- reply   ... 4 s ...  request --&gt;  &lt;-- stored reply
 * k = 9 (HASH(3)):    HASH(3) --X      ... 4 s ...  &lt;-- HASH(2) again  HASH(3) (stored) --&gt;
 * </pre>
 */
class RetransmissionTest {

    @ParameterizedTest(name = "message {0} lost once")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9})
    void completesWhicheverMessageIsLost(int lost) {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().encap(true), Gateways.forB());
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        int[] n = {0};
        List<byte[]> dropped = new ArrayList<>();
        g.wire.flush(d -> {
            if (++n[0] == lost) {
                dropped.add(d.bytes());
                return null;
            }
            return d;
        });
        g.wire.advance(5000);
        assertTrue(r.isDone() && r.getNow(null).ok(), () -> String.valueOf(r.getNow(null)));
        assertEquals(Gateways.one(g.a, Direction.INBOUND).spi(), Gateways.one(g.b, Direction.OUTBOUND).spi());
        assertEquals(Gateways.one(g.b, Direction.INBOUND).spi(), Gateways.one(g.a, Direction.OUTBOUND).spi());
        boolean replyLost = lost % 2 == 0 || lost == 9;
        assertEquals(replyLost ? 10 : 9, g.wire.log.size(), "datagrams delivered");
        Wire.Side repeats = lost == 9 ? g.a : g.b;
        assertEquals(replyLost ? 1 : 0, repeats.events.drops("retransmitted"), repeats.events.drops.toString());
        assertEquals(replyLost ? 1 : 0, repeats.events.totalDrops());
        if (replyLost && lost != 9) {
            // the stored reply is the very datagram that was lost
            assertArrayEquals(dropped.get(0), g.wire.log.get(lost).bytes());
        }
        assertEquals(1, g.a.events.exchanges("quick_mode/ok"));
        assertEquals(1, g.b.events.exchanges("quick_mode/ok"));
    }

    /**
     * A message the network delivers twice is answered once more with the stored reply, never processed twice. In
     * IKEv1 both sides retransmit, so a repeated reply is how a sender learns its next message was lost: each side
     * answers the repeat with its stored message, and the extra copies run at most to the end of the exchange
     * ({@code 10 - k} of them), with the same SAs in the end.
     */
    @ParameterizedTest(name = "message {0} arrives twice")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9})
    void aDuplicateIsAnsweredWithStoredRepliesOnly(int twice) {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        int[] n = {0};
        g.wire.flush(d -> {
            if (++n[0] == twice) {
                g.wire.deliver(d);
            }
            return d;
        });
        assertTrue(r.isDone() && r.getNow(null).ok());
        assertEquals(2, g.a.kernel.listSas().size());
        assertEquals(2, g.b.kernel.listSas().size());
        assertEquals(Gateways.one(g.a, Direction.INBOUND).spi(), Gateways.one(g.b, Direction.OUTBOUND).spi());
        int drops = g.a.events.totalDrops() + g.b.events.totalDrops();
        int repeats = g.a.events.drops("retransmitted") + g.a.events.drops("replayed")
                + g.b.events.drops("retransmitted") + g.b.events.drops("replayed");
        assertEquals(drops, repeats, "only repeats dropped: " + g.a.events.drops + g.b.events.drops);
        assertTrue(drops >= 1 && drops <= 10 - twice, drops + " repeats for a duplicate of message " + twice);
        assertEquals(9 + drops, g.wire.log.size(), "every extra datagram is one repeat");
        assertEquals(1, g.a.events.exchanges("main_mode/ok"));
        assertEquals(1, g.b.events.exchanges("quick_mode/ok"));
    }
}

package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import net.poolsa.ike.job.Timers;
import net.poolsa.ike.message.ExchangeType;

/**
 * Main Mode between two dual-homed engines (A on 192.0.2.1 and 192.0.2.11, B on 192.0.2.2 and 192.0.2.12, each
 * address in its outer pool) while an uplink is dead. Message 1 that gets no answer within the first wait moves to the
 * next pair of the pools, so the dead uplink costs one wait (4 s), not the retransmission backoff (2.75 minutes);
 * after every pair had its wait, the retransmissions take the pairs in turn; the next initiation starts on the pair
 * that got through. Before, every initiation, a trap's included, went over the
 * first pair, and a dead first uplink kept the connection down for good. Virtual time ({@link ManualScheduler}).
 */
class MainModePairsTest {
    private static final String[] A = {"192.0.2.1", "192.0.2.11"};
    private static final String[] B = {"192.0.2.2", "192.0.2.12"};

    private static Gateways dualHomed() {
        Gateways g = new Gateways(Timers.DEFAULT, A, B);
        g.configure(Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "203.0.113.0/24"),
                Conn.of("192.0.2.2,192.0.2.12", "192.0.2.1,192.0.2.11", "203.0.113.0/24", "198.51.100.0/24"));
        return g;
    }

    /** Every datagram sent, delivered or not. */
    private final List<Wire.Datagram> sent = new ArrayList<>();

    /** Records each datagram, then drops those from or to one of {@code addresses}. */
    private Wire.Filter silence(String... addresses) {
        Set<String> dead = Set.of(addresses);
        return d -> {
            sent.add(d);
            return dead.contains(d.from().getAddress().getHostAddress())
                    || dead.contains(d.to().getAddress().getHostAddress()) ? null : d;
        };
    }

    /** Main Mode messages 1 A sent (responder cookie zero), as "local>remote". */
    private List<String> firstMessages() {
        return sent.stream().filter(d -> d.exchangeType() == ExchangeType.IDENTITY_PROTECTION.code()
                        && d.from().getAddress().getHostAddress().startsWith("192.0.2.1") && responderCookieZero(d.bytes()))
                .map(d -> d.from().getAddress().getHostAddress() + ">" + d.to().getAddress().getHostAddress()).toList();
    }

    private static boolean responderCookieZero(byte[] b) {
        for (int i = 8; i < 16; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void advance(Gateways g, long millis, Wire.Filter f) {
        g.wire.clock.advance(millis, () -> g.wire.flush(f));
        g.wire.flush(f);
    }

    @Test
    void aDeadFirstUplinkCostsOneWaitAndTheNextInitiationStartsOnThePairThatGotThrough() {
        Gateways g = dualHomed();
        Wire.Filter bFirstUplinkDead = silence("192.0.2.2");
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        g.wire.flush(bFirstUplinkDead);
        assertFalse(r.isDone(), "message 1 over 192.0.2.1>192.0.2.2 is lost");
        advance(g, Timers.DEFAULT.waitAfter(1) - 1, bFirstUplinkDead);
        assertFalse(r.isDone());
        advance(g, 1, bFirstUplinkDead);
        assertTrue(r.isDone() && r.getNow(null).ok(), "up after one wait: " + (r.isDone() ? r.getNow(null) : "pending"));
        assertEquals(List.of("192.0.2.1>192.0.2.2", "192.0.2.11>192.0.2.12"), firstMessages());
        assertEquals("192.0.2.12", g.snapshot(g.a).get(0).remote().getAddress().getHostAddress());
        assertEquals(1, g.snapshot(g.a).size(), "the abandoned Main Mode is gone: " + g.snapshot(g.a));
        assertEquals(1, g.a.events.exchanges("main_mode/timeout"), "the first pair's Main Mode is counted as timed out");
        assertEquals(1, g.a.events.exchanges("main_mode/ok"));

        Gateways.done(g.a.engine.terminate("c").toCompletableFuture());
        g.wire.flush(bFirstUplinkDead);
        sent.clear();
        CompletableFuture<IkeResult> again = g.a.engine.initiate("c").toCompletableFuture();
        g.wire.flush(bFirstUplinkDead);
        assertTrue(again.isDone() && again.getNow(null).ok(), "at once, over the pair that got through");
        assertEquals(List.of("192.0.2.11>192.0.2.12"), firstMessages());
    }

    @Test
    void withThePeerDeadEachPairHasOneWaitThenTheLastRetransmitsAsBeforeAndTheInitiationFails() {
        Gateways g = dualHomed();
        Wire.Filter peerDead = silence(B);
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        g.wire.flush(peerDead);
        // the pools make four pairs (1>2, 11>12, then the crossed 11>2, 1>12): each has its own wait, then the
        // retransmissions take them in turn with the backoff
        advance(g, 3 * Timers.DEFAULT.waitAfter(1) + Timers.DEFAULT.giveUpMillis() - 1, peerDead);
        assertFalse(r.isDone());
        advance(g, 1, peerDead);
        assertTrue(r.isDone(), "the initiation ends");
        assertFalse(r.getNow(null).ok(), r.getNow(null).message());
        assertTrue(r.getNow(null).message().contains("Main Mode timed out in MM1_SENT: no answer from 192.0.2.2:500"),
                r.getNow(null).message());
        List<String> round = List.of("192.0.2.1>192.0.2.2", "192.0.2.11>192.0.2.12", "192.0.2.11>192.0.2.2",
                "192.0.2.1>192.0.2.12");
        List<String> expected = new ArrayList<>(round);
        expected.addAll(round);
        expected.add(round.get(0));
        assertEquals(expected, firstMessages(), "four, then the five retransmissions in turn: no endless hopping");
        assertEquals(List.of(), g.snapshot(g.a), "no IKE SA left");
    }

    /**
     * Each uplink reaches only the peer's uplink on the same link (no crossed pair works, as in the namespace labs),
     * and the peer comes up 15 s after the first message 1, when every pair had its wait: the retransmissions take
     * the pairs in turn, so the next one over a straight pair gets through. Sticking to the last pair tried, a crossed
     * one, would have kept retransmitting where no link goes.
     */
    @Test
    void aPeerThatComesUpAfterTheFirstRoundIsMetOnAPairThatWorks() {
        Gateways g = dualHomed();
        Wire.Filter crossed = d -> link(d.from()) != link(d.to()) ? null : d;
        Wire.Filter down = silence(B);
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        g.wire.flush(down);
        advance(g, 15_000, down);
        assertFalse(r.isDone());
        assertEquals(4, firstMessages().size(), firstMessages().toString());
        advance(g, 30_000, d -> crossed.apply(silence().apply(d))); // silence(): records only
        assertTrue(r.isDone() && r.getNow(null).ok(), "met on a straight pair: " + firstMessages());
        assertEquals("192.0.2.1>192.0.2.2", firstMessages().get(firstMessages().size() - 1));
        assertEquals("192.0.2.2", g.snapshot(g.a).get(0).remote().getAddress().getHostAddress());
    }

    /** The link an address is on: 1 for 192.0.2.1 and .2, 2 for .11 and .12. */
    private static int link(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return h.substring(h.lastIndexOf('.') + 1).length();
    }

    @Test
    void aSingleHomedPeerIsRetransmittedToOverItsOnePairAsBefore() {
        Gateways g = new Gateways(Timers.DEFAULT);
        g.configure(Gateways.forA(), Gateways.forB());
        Wire.Filter lost = silence("192.0.2.2");
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        g.wire.flush(lost);
        advance(g, Timers.DEFAULT.waitAfter(1) + Timers.DEFAULT.waitAfter(2) + 1, lost);
        assertFalse(r.isDone());
        assertEquals(List.of("192.0.2.1>192.0.2.2", "192.0.2.1>192.0.2.2", "192.0.2.1>192.0.2.2"), firstMessages());
        // the link comes back: the next retransmission gets through on the same Main Mode
        advance(g, Timers.DEFAULT.waitAfter(3), silence());
        assertTrue(r.isDone() && r.getNow(null).ok(), "up on the third retransmission");
        assertEquals(4, firstMessages().size());
    }
}

package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import net.poolsa.ike.job.Timers;

/**
 * What happens when answers stop coming, on the virtual clock (strongSwan's timers: retransmissions after 4 s,
 * 7.2 s, 13 s, 23 s, 42 s, giving up 75.6 s after the last, 165 s in all; half-open Main Mode 30 s):
 * state is removed, reserved SPIs are released, installed SAs whose pair never completed are deleted and the
 * peer told, and the initiation says why it failed.
 */
class ExpiryTest {
    private static final long GIVE_UP = Timers.DEFAULT.giveUpMillis();

    @Test
    void aResponderDropsHalfOpenMainModeAfterThirtySeconds() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        int[] fromA = {0};
        Wire.Filter onlyFirstFromA = d -> d.from().getAddress().getHostAddress().equals("192.0.2.1") && ++fromA[0] > 1
                ? null : d;
        g.wire.flush(onlyFirstFromA); //  HDR, SA -->   <-- HDR, SA   HDR, KE, Ni --X (and every retransmission)
        assertEquals(1, g.snapshot(g.b).size(), "B holds the half-open SA");
        g.wire.clock.advance(29_000, () -> g.wire.flush(onlyFirstFromA));
        assertEquals(1, g.snapshot(g.b).size(), "still within 30 s");
        g.wire.clock.advance(1_000, () -> g.wire.flush(onlyFirstFromA));
        assertEquals(0, g.snapshot(g.b).size(), "gone after 30 s");
        assertEquals(1, g.b.events.exchanges("main_mode/timeout"));
        assertFalse(r.isDone(), "A is still retransmitting");
        g.wire.clock.advance(GIVE_UP, () -> g.wire.flush(onlyFirstFromA));
        assertTrue(r.isDone());
        assertFalse(r.getNow(null).ok());
        assertTrue(r.getNow(null).message().contains("Main Mode timed out in MM3_SENT"), r.getNow(null).message());
        assertEquals(0, g.snapshot(g.a).size());
        assertEquals(6, fromA[0] - 1, "message 3 sent once and retransmitted 5 times");
    }

    @Test
    void anUnansweredMainModeFailsAfterFiveRetransmissions() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        int[] sent = {0};
        Wire.Filter silence = d -> {
            sent[0]++;
            return null;
        };
        g.wire.flush(silence);
        g.wire.clock.advance(GIVE_UP - 1, () -> g.wire.flush(silence));
        assertFalse(r.isDone(), "not before " + GIVE_UP + " ms");
        g.wire.clock.advance(1, () -> g.wire.flush(silence));
        assertTrue(r.isDone());
        assertEquals("connection c: Main Mode timed out in MM1_SENT: no answer from 192.0.2.2:500",
                r.getNow(null).message());
        assertEquals(6, sent[0]);
        assertEquals(1, g.a.events.exchanges("main_mode/timeout"));
        assertEquals(0, g.snapshot(g.a).size());
    }

    @Test
    void anUnansweredQuickModeReleasesItsSpi() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        Wire.Filter noQuickMode = d -> d.exchangeType() == 32 ? null : d;
        g.wire.flush(noQuickMode);
        assertEquals(1, g.a.counting.allocated);
        assertEquals(1, g.a.counting.held(), "reserved while Quick Mode runs");
        g.wire.clock.advance(GIVE_UP, () -> g.wire.flush(noQuickMode));
        assertTrue(r.isDone());
        assertTrue(r.getNow(null).message().contains("Quick Mode timed out"), r.getNow(null).message());
        assertEquals(1, g.a.counting.released);
        assertEquals(0, g.a.counting.held());
        assertEquals(0, g.a.kernel.listSas().size());
        assertEquals(0, g.b.counting.allocated, "B never saw Quick Mode");
        assertEquals(1, g.snapshot(g.a).size(), "the IKE SA stays");
    }

    /**
     * HASH(3) never arrives: A installed both SAs at HASH(2), B only its inbound one. B repeats HASH(2) (A answers
     * with its stored HASH(3), lost again), gives up, removes its inbound SA and tells A with a Delete, and A removes
     * the pair: no half of it stays.
     */
    @Test
    void aResponderThatNeverGetsHashThreeDeletesThePair() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        CompletableFuture<IkeResult> r = g.a.engine.initiate("c").toCompletableFuture();
        Wire.Filter noHash3 = d -> d.exchangeType() == 32 && d.bytes().length < 100 ? null : d;
        g.wire.flush(noHash3);
        assertTrue(r.getNow(null).ok());
        assertEquals(2, g.a.kernel.listSas().size());
        assertEquals(1, g.b.kernel.listSas().size(), "B: inbound only");
        try (LogCapture log = new LogCapture()) {
            g.wire.clock.advance(GIVE_UP, () -> g.wire.flush(noHash3));
            // B's log tells its half pair (never reported installed) from A's whole one
            List<String> removed = log.with("event=child_sa_removed");
            assertEquals(2, removed.size(), removed.toString());
            assertTrue(removed.get(0).endsWith("delete_sent=true outbound_installed=false"), removed.get(0));
            assertTrue(removed.get(1).endsWith("delete_sent=false outbound_installed=true"), removed.get(1));
        }
        assertEquals(0, g.b.kernel.listSas().size());
        assertEquals(0, g.a.kernel.listSas().size(), "A removed the pair on B's Delete");
        assertEquals(0, g.a.kernel.spd().size(), "and its policies");
        assertEquals(1, g.b.events.exchanges("quick_mode/timeout"));
        assertEquals(5, g.a.events.drops("retransmitted"), "HASH(2) repeated 5 times, answered each time");
        assertEquals(0, g.b.counting.held());
    }
}

package net.poolsa.esp.replay;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** RFC 4303 Appendix A2.2 cases and the never-wrapping sender counter. */
class SequenceNumbersTest {
    @Test
    void inferEsnCaseA() {
        long top = (5L << 32) | 10_000;
        assertEquals((5L << 32) | 9_500, SequenceNumbers.inferEsn(9_500, top, 1024)); // inside the window
        assertEquals((5L << 32) | 20_000, SequenceNumbers.inferEsn(20_000, top, 1024)); // ahead, same epoch
        assertEquals((6L << 32) | 100, SequenceNumbers.inferEsn(100, top, 1024)); // below the window: next epoch
    }

    @Test
    void inferEsnCaseBWindowStraddlesTheWrap() {
        long top = (5L << 32) | 10; // window reaches back into epoch 4
        assertEquals((4L << 32) | 0xFFFF_FFF0L, SequenceNumbers.inferEsn(0xFFFF_FFF0, top, 1024));
        assertEquals((5L << 32) | 5, SequenceNumbers.inferEsn(5, top, 1024));
        assertEquals((5L << 32) | 50_000, SequenceNumbers.inferEsn(50_000, top, 1024));
    }

    @Test
    void inferEsnAtStart() {
        assertEquals(1, SequenceNumbers.inferEsn(1, 0, 1024));
        assertEquals(0xFFFF_FFFEL, SequenceNumbers.inferEsn(0xFFFF_FFFE, 0, 1024));
    }

    @Test
    void counterStopsAt32Bits() {
        OutboundSequence s = new OutboundSequence(false, 0xFFFF_FFFEL);
        assertEquals(0xFFFF_FFFEL, s.next());
        assertEquals(0xFFFF_FFFFL, s.next());
        assertEquals(OutboundSequence.EXHAUSTED, s.next());
        assertEquals(OutboundSequence.EXHAUSTED, s.next());
    }

    @Test
    void esnCounterCrosses32BitsAndStopsAt64() {
        OutboundSequence s = new OutboundSequence(true, 0xFFFF_FFFFL);
        assertEquals(0xFFFF_FFFFL, s.next());
        assertEquals(0x1_0000_0000L, s.next());
        OutboundSequence end = new OutboundSequence(true, -2L);
        assertEquals(-2L, end.next());
        assertEquals(-1L, end.next()); // 2^64 - 1, the last one
        assertEquals(OutboundSequence.EXHAUSTED, end.next());
        assertEquals(OutboundSequence.EXHAUSTED, end.next());
    }

    @Test
    void skipToNeverGoesBack() {
        OutboundSequence s = new OutboundSequence(false);
        s.skipTo(100);
        s.skipTo(50);
        assertEquals(100, s.next());
    }

    @Test
    void reservedCounterHandsOutOnlyReservedNumbersAndCountsTheShortfall() {
        OutboundSequence s = new OutboundSequence(false);
        assertEquals(OutboundSequence.UNBOUNDED, s.limit());
        s.reserveUpTo(3);
        assertEquals(1, s.next());
        assertEquals(2, s.next());
        assertEquals(3, s.next());
        assertEquals(OutboundSequence.EXHAUSTED, s.next());
        assertEquals(OutboundSequence.EXHAUSTED, s.next());
        assertFalse(s.exhausted(), "a late reservation is not the end of the space");
        assertEquals(2, s.starved());
        s.reserveUpTo(2); // never lowered
        assertEquals(3, s.limit());
        s.reserveUpTo(5);
        assertEquals(4, s.next(), "continues where it stopped: nothing skipped, nothing repeated");
        assertEquals(5, s.next());
        assertEquals(OutboundSequence.EXHAUSTED, s.next());
        assertEquals(3, s.starved());
    }

    @Test
    void reservationBeyondTheSpaceStillStopsAtItsEnd() {
        OutboundSequence s = new OutboundSequence(false, 0xFFFF_FFFFL);
        s.reserveUpTo(0x1_0000_0005L);
        assertEquals(0xFFFF_FFFFL, s.next());
        assertEquals(OutboundSequence.EXHAUSTED, s.next());
        assertTrue(s.exhausted());
        assertEquals(0, s.starved());
    }

    @Test
    void skipToZeroMeansPastTheEndOfTheEsnSpace() {
        OutboundSequence s = new OutboundSequence(true, 5);
        s.skipTo(0);
        assertTrue(s.exhausted());
        assertEquals(OutboundSequence.EXHAUSTED, s.next());
        OutboundSequence t = new OutboundSequence(false, 5);
        t.skipTo(0x1_0000_0000L);
        assertTrue(t.exhausted());
    }
}

package net.poolsa.esp.replay;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    @Test
    void acceptsNewRejectsDuplicatesAndOld() {
        ReplayWindow w = new ReplayWindow(1024);
        assertEquals(ReplayWindow.OK, w.update(1));
        assertEquals(ReplayWindow.REPLAYED, w.check(1));
        assertEquals(ReplayWindow.OK, w.update(5000));
        assertEquals(ReplayWindow.OK, w.check(5000 - 1023));
        assertEquals(ReplayWindow.TOO_OLD, w.check(5000 - 1024));
        assertEquals(ReplayWindow.OK, w.update(4000));
        assertEquals(ReplayWindow.REPLAYED, w.update(4000));
        assertEquals(ReplayWindow.TOO_OLD, w.check(1));
    }

    @Test
    void slidingClearsOnlyWhatLeftTheWindow() {
        ReplayWindow w = new ReplayWindow(128);
        for (long s = 1; s <= 100; s += 2) {
            assertEquals(ReplayWindow.OK, w.update(s));
        }
        assertEquals(ReplayWindow.OK, w.update(130)); // slides by less than the window
        for (long s = 3; s <= 99; s += 2) {
            assertEquals(ReplayWindow.REPLAYED, w.check(s), "seq " + s);
        }
        for (long s = 4; s <= 100; s += 2) {
            assertEquals(ReplayWindow.OK, w.check(s), "seq " + s);
        }
        assertEquals(ReplayWindow.TOO_OLD, w.check(2));
        assertEquals(ReplayWindow.OK, w.update(130 + 100_000)); // far jump clears everything
        assertEquals(ReplayWindow.OK, w.check(130 + 100_000 - 127));
        assertEquals(ReplayWindow.REPLAYED, w.check(130 + 100_000));
    }

    @Test
    void windowSizeIsHonouredExactly() {
        for (int size : new int[] {1, 32, 64, 65, 1000, 1024, 4096}) {
            ReplayWindow w = new ReplayWindow(size);
            w.update(10_000);
            if (size > 1) {
                assertEquals(ReplayWindow.OK, w.check(10_000 - size + 1), "size " + size);
            }
            assertEquals(ReplayWindow.TOO_OLD, w.check(10_000 - size), "size " + size);
        }
    }

    @Test
    void worksAcrossTheTwoToThe32Boundary() {
        ReplayWindow w = new ReplayWindow(64);
        assertEquals(ReplayWindow.OK, w.update(0xFFFF_FFFFL));
        assertEquals(ReplayWindow.OK, w.update(0x1_0000_0001L));
        assertEquals(ReplayWindow.REPLAYED, w.check(0xFFFF_FFFFL));
        assertEquals(ReplayWindow.OK, w.check(0x1_0000_0000L));
    }

    @Test
    void restoredWindowRefusesEverythingAtOrBelowItsTopAndAcceptsNewNumbers() {
        ReplayWindow w = new ReplayWindow(128);
        w.restore(1000);
        assertEquals(1000, w.top());
        for (long s = 1000 - 127; s <= 1000; s++) {
            assertEquals(ReplayWindow.REPLAYED, w.check(s), "seq " + s + " may have arrived before the restart");
        }
        assertEquals(ReplayWindow.TOO_OLD, w.check(1000 - 128));
        // Above the top, in the top's own word and beyond, in any order.
        assertEquals(ReplayWindow.OK, w.update(1003));
        assertEquals(ReplayWindow.OK, w.update(1001));
        assertEquals(ReplayWindow.OK, w.update(1002));
        assertEquals(ReplayWindow.REPLAYED, w.update(1002));
        assertEquals(ReplayWindow.OK, w.update(1100));
        assertEquals(ReplayWindow.OK, w.check(1050));
        w.restore(500); // never moves back
        assertEquals(1100, w.top());
        assertEquals(ReplayWindow.OK, w.check(1050));
    }

    @Test
    void restoreAtTheEndOfAWord() {
        ReplayWindow w = new ReplayWindow(64);
        w.restore(127); // bit 63 of its word
        assertEquals(ReplayWindow.REPLAYED, w.check(127));
        assertEquals(ReplayWindow.OK, w.update(128));
        assertEquals(ReplayWindow.OK, w.update(130));
        assertEquals(ReplayWindow.OK, w.check(129));
    }
}

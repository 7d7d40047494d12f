package net.poolsa.ike.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.Lifetime;

/** The child SA lifetime both sides keep (RFC 2407 §4.5): ours, cut to the peer's where it asked for less. */
class QuickModeLifetimeTest {

    @Test
    void thePeersShorterLifetimeWinsAndTheSoftLimitKeepsItsShare() {
        Lifetime ours = new Lifetime(3000, 3600, 900_000, 1_000_000, 10, 20);
        assertEquals(ours, QuickMode.agree(ours, 0, 0), "the peer asked for nothing");
        assertEquals(ours, QuickMode.agree(ours, 7200, 4000), "the peer allows more");
        Lifetime cut = QuickMode.agree(ours, 1800, 500);
        assertEquals(1800, cut.hardSeconds());
        assertEquals(1500, cut.softSeconds());
        assertEquals(512_000, cut.hardBytes());
        assertEquals(460_800, cut.softBytes());
        assertEquals(10, cut.softPackets());
        Lifetime unlimited = QuickMode.agree(Lifetime.UNLIMITED, 3960, 0);
        assertEquals(3960, unlimited.hardSeconds());
        assertEquals(0, unlimited.softSeconds());
        Lifetime softOnly = QuickMode.agree(Lifetime.ofSeconds(5000, 0), 3960, 0);
        assertEquals(3960, softOnly.hardSeconds());
        assertEquals(3564, softOnly.softSeconds(), "soft kept below the new hard limit");
    }
}

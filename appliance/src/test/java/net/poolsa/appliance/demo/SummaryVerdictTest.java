package net.poolsa.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The verdict's claim about poolsa's gap against no IPsec's says what was measured. Seen in a demo run: "gap 0.015 s
 * equals no IPsec's 1.914 s (within 50 ms + 10 %)", which it did not: poolsa's gap was shorter.
 */
class SummaryVerdictTest {
    @Test
    void aGapWithinTheSlackEqualsOneBeyondItIsShorterOrLonger() {
        assertEquals("gap 0.010 s equals no IPsec's 0.006 s (within 50 ms + 10 %)", Summary.againstPlain(10, 6));
        assertEquals("gap 0.015 s is shorter than no IPsec's 1.914 s", Summary.againstPlain(15, 1914));
        assertEquals("gap 1.700 s equals no IPsec's 1.914 s (within 50 ms + 10 %)", Summary.againstPlain(1700, 1914));
        assertEquals("gap 0.300 s is LONGER than no IPsec's 0.200 s (within 50 ms + 10 %)", Summary.againstPlain(300, 200));
        assertEquals("gap 0.270 s equals no IPsec's 0.200 s (within 50 ms + 10 %)", Summary.againstPlain(270, 200));
    }
}

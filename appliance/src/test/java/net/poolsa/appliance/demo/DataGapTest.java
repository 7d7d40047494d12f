package net.poolsa.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** The data gap the summary prints, on delivery logs written here: one bin per millisecond with data. */
class DataGapTest {
    private static TreeMap<Long, Long> bins(long from, long to) {
        TreeMap<Long, Long> b = new TreeMap<>();
        for (long t = from; t <= to; t++) {
            b.put(t, 1000L);
        }
        return b;
    }

    @Test
    void theGapRunsFromTheLastDataBeforeTheFailureToTheFirstAfter() {
        TreeMap<Long, Long> b = bins(0, 1000);
        b.putAll(bins(1500, 3000));
        DataGap g = DataGap.of(b, 1000, 4000);
        assertTrue(g.resumed());
        assertEquals(1000, g.startMillis());
        assertEquals(1500, g.endMillis());
        assertEquals(500, g.millis());
    }

    @Test
    void dataAlreadyOnItsWayDoesNotEndTheGap() {
        TreeMap<Long, Long> b = bins(0, 1000);
        b.put(1002L, 1000L); // delivered 2 ms after the failure, then silence
        b.putAll(bins(1600, 2000));
        DataGap g = DataGap.of(b, 1000, 4000);
        assertEquals(1002, g.startMillis());
        assertEquals(1600, g.endMillis());
        assertEquals(598, g.millis());
    }

    @Test
    void dataThatNeverCameBackIsAnOpenGapToTheEndOfTheRun() {
        DataGap g = DataGap.of(bins(0, 990), 1000, 4000);
        assertFalse(g.resumed());
        assertEquals(990, g.startMillis());
        assertEquals(3010, g.millis());
        assertEquals(">3.010 s", Summary.gap(new RunResult("host", Variant.PLAIN, "download", "", RunResult.Outcome.RAN,
                "", "", 0, 1000, 4000, g, 0, 0, 0, 0, 0, java.util.Map.of(), java.util.Map.of(), 0, java.util.Map.of(),
                new long[2], java.util.List.of(), bins(0, 990), TunnelReport.NONE, null)));
    }
}

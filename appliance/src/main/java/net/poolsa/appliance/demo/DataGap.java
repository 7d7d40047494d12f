package net.poolsa.appliance.demo;

import java.util.Map;
import java.util.NavigableMap;

/**
 * The data gap at the receiver (the paper's measure of a failover): the longest silence in what the receiver delivered,
 * from the last data at or before the failure to the end of the transfer. It starts at the last data before the
 * failure unless some data still came after it (already on its way) and the silence began later. The harness counts
 * delivered bytes per millisecond, so the gap is exact to a millisecond; the transfer is paced (a message every
 * millisecond by default), so a silence of more than a few milliseconds after a failure is the failure's.
 *
 * @param startMillis     the last millisecond with data before the silence
 * @param endMillis       the first millisecond with data after it, or -1 if nothing came after the failure
 * @param searchEndMillis where the search stopped (the end of the run): the bound of a gap that never ended
 */
record DataGap(long startMillis, long endMillis, long searchEndMillis) {
    static DataGap of(NavigableMap<Long, Long> binsMillis, long failureMillis, long searchEndMillis) {
        Long last = binsMillis.floorKey(failureMillis);
        long prev = last == null ? failureMillis : last;
        long gapStart = prev;
        long gapEnd = -1;
        long longest = -1;
        for (Map.Entry<Long, Long> e : binsMillis.tailMap(prev, false).entrySet()) {
            if (e.getKey() > searchEndMillis) {
                break;
            }
            if (e.getKey() - prev > longest) {
                longest = e.getKey() - prev;
                gapStart = prev;
                gapEnd = e.getKey();
            }
            prev = e.getKey();
        }
        return gapEnd < 0 ? new DataGap(prev, -1, searchEndMillis) : new DataGap(gapStart, gapEnd, searchEndMillis);
    }

    boolean resumed() {
        return endMillis >= 0;
    }

    /** The gap in milliseconds; when data never came back, from the last data to the end of the run (a lower bound). */
    long millis() {
        return (resumed() ? endMillis : searchEndMillis) - startMillis;
    }
}

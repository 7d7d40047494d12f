package net.poolsa.esp.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RateLimitedLogTest {
    final AtomicLong now = new AtomicLong(1_000);
    final RateLimitedLog log = new RateLimitedLog(3, 2, 10_000, now::get);

    @Test
    void allowsLinesPerWindowThenCountsSuppressed() {
        assertEquals(0, log.permit(1));
        assertEquals(0, log.permit(1));
        for (int i = 0; i < 5; i++) {
            assertEquals(RateLimitedLog.SUPPRESSED, log.permit(1));
        }
        now.addAndGet(9_999);
        assertEquals(RateLimitedLog.SUPPRESSED, log.permit(1));
        now.addAndGet(1);
        assertEquals(6, log.permit(1), "first line of the next window reports what was suppressed");
        assertEquals(0, log.permit(1));
        assertEquals(RateLimitedLog.SUPPRESSED, log.permit(1));
    }

    @Test
    void causesAreIndependent() {
        log.permit(0);
        log.permit(0);
        assertEquals(RateLimitedLog.SUPPRESSED, log.permit(0));
        assertEquals(0, log.permit(2));
    }

    @Test
    void concurrentCallersNeverExceedTheBudget() throws Exception {
        RateLimitedLog one = new RateLimitedLog(1, 5, Long.MAX_VALUE, () -> 0);
        AtomicLong permitted = new AtomicLong();
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    if (one.permit(0) != RateLimitedLog.SUPPRESSED) {
                        permitted.incrementAndGet();
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(5, permitted.get());
    }

    @Test
    void aWrittenLineLearnsTheFirstAndLastKeyOfWhatWasSuppressed() {
        RateLimitedLog one = new RateLimitedLog(2, 1, 10_000, now::get);
        assertEquals(RateLimitedLog.Suppressed.NONE, one.admit(0, 0xa001));
        assertNull(one.admit(0, 0xb001));
        assertNull(one.admit(0, RateLimitedLog.NO_KEY));
        assertNull(one.admit(0, 0xb003));
        assertEquals(RateLimitedLog.Suppressed.NONE, one.admit(1, 0xc001), "another cause has its own budget");
        assertNull(one.admit(1, 0xc002));
        now.addAndGet(10_000);
        RateLimitedLog.Suppressed s = one.admit(0, 0xd001);
        assertEquals(new RateLimitedLog.Suppressed(3, 0xb001, 0xb003), s);
        assertEquals(" suppressed=3 suppressed_first_spi=0x0000b001 suppressed_last_spi=0x0000b003", s.describeSpis());
        assertNull(one.admit(0, RateLimitedLog.NO_KEY));
        now.addAndGet(10_000);
        assertEquals(new RateLimitedLog.Suppressed(1, 0xc002, 0xc002), one.admit(1, 0xc003), "and its own keys");
        assertEquals(" suppressed=1 suppressed_first_spi=none suppressed_last_spi=none", one.admit(0, 0xe001).describeSpis());
        now.addAndGet(10_000);
        assertEquals("", one.admit(0, 0xe002).describeSpis(), "nothing suppressed, nothing said about it");
    }
}

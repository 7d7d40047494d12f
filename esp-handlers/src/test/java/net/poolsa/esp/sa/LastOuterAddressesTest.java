package net.poolsa.esp.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The outer pair of an inbound SA's last authenticated packet: recorded without allocating, read consistently. */
class LastOuterAddressesTest {
    private static final OuterAddress A1 = OuterAddress.parse("198.51.100.1");
    private static final OuterAddress B1 = OuterAddress.parse("198.51.100.2");
    private static final OuterAddress A6 = OuterAddress.parse("2001:db8:100:2::1");
    private static final OuterAddress B6 = OuterAddress.parse("2001:db8:100:2::2");

    @Test
    void keepsTheLastPairOfEitherFamily() {
        LastOuterAddresses last = new LastOuterAddresses();
        assertNull(last.get());
        last.recordV4(A1.v4Bits(), B1.v4Bits());
        assertEquals(new LastOuterAddresses.Pair(A1, B1), last.get());
        last.recordV6(A6.v6Hi(), A6.v6Lo(), B6.v6Hi(), B6.v6Lo());
        assertEquals(new LastOuterAddresses.Pair(A6, B6), last.get());
        last.recordV4(B1.v4Bits(), A1.v4Bits());
        assertEquals(new LastOuterAddresses.Pair(B1, A1), last.get());
    }

    /** What the evidence relay of a second event loop asks per packet: is this still the SA's pair? */
    @Test
    void holdsOnlyTheLastPairOfItsFamily() {
        LastOuterAddresses last = new LastOuterAddresses();
        assertFalse(last.holdsV4(0, 0), "nothing recorded yet");
        last.recordV4(0xC6336402, 0xC6336401);
        assertTrue(last.holdsV4(0xC6336402, 0xC6336401));
        assertFalse(last.holdsV4(0xC6336401, 0xC6336402));
        assertFalse(last.holdsV6(0, 0xC6336402L, 0, 0xC6336401L), "the same bits as IPv6 are another pair");
        last.recordV6(0x20010db800000000L, 2, 0x20010db800000000L, 1);
        assertTrue(last.holdsV6(0x20010db800000000L, 2, 0x20010db800000000L, 1));
        assertFalse(last.holdsV4(0xC6336402, 0xC6336401));
    }

    @Test
    void recordingAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        LastOuterAddresses last = new LastOuterAddresses();
        long tid = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 200_000; i++) {
            // Alternating pairs: the worst case, a write per packet.
            last.recordV4(A1.v4Bits(), (i & 1) == 0 ? B1.v4Bits() : A1.v4Bits());
            last.recordV6(A6.v6Hi(), A6.v6Lo(), B6.v6Hi(), (i & 1) == 0 ? B6.v6Lo() : A6.v6Lo());
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        // 400,000 records; one object each would be over 6 MB. What is left is the measurement's own noise.
        assertTrue(allocated < 64 * 1024, "recording allocated " + allocated + " bytes");
    }

    @Test
    void aReaderNeverSeesHalfOfOnePairAndHalfOfAnother() throws Exception {
        LastOuterAddresses last = new LastOuterAddresses();
        last.recordV4(A1.v4Bits(), B1.v4Bits());
        Set<LastOuterAddresses.Pair> valid = Set.of(new LastOuterAddresses.Pair(A1, B1), new LastOuterAddresses.Pair(A6, B6));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        Thread writer = new Thread(() -> {
            for (long i = 0; !stop.get(); i++) {
                if ((i & 1) == 0) {
                    last.recordV6(A6.v6Hi(), A6.v6Lo(), B6.v6Hi(), B6.v6Lo());
                } else {
                    last.recordV4(A1.v4Bits(), B1.v4Bits());
                }
                writes.incrementAndGet();
            }
        });
        AtomicReference<LastOuterAddresses.Pair> torn = new AtomicReference<>();
        writer.start();
        try {
            for (int i = 0; i < 100_000 && torn.get() == null; i++) {
                LastOuterAddresses.Pair p = last.get();
                if (!valid.contains(p)) {
                    torn.set(p);
                }
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertNull(torn.get(), "a mixed pair was read");
        assertTrue(writes.get() > 1000, "the writer ran concurrently: " + writes.get() + " writes");
    }
}

package net.poolsa.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The per-source limit of new Main Modes: {@link SourceRateLimit#BURST} at once, {@link SourceRateLimit#PER_SECOND}
 * a second after; IPv6 sources share a bucket per /64; a flood from many other sources never takes a source's
 * permits away.
 */
class SourceRateLimitTest {
    private static SourceRateLimit limit() {
        Random r = new Random(11);
        return new SourceRateLimit(r::nextBytes);
    }

    private static int permits(SourceRateLimit l, String source, int tries, long now) throws Exception {
        InetAddress a = InetAddress.getByName(source);
        int n = 0;
        for (int i = 0; i < tries; i++) {
            if (l.permit(a, now)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aBurstAtOnceThenTheRate() throws Exception {
        SourceRateLimit l = limit();
        assertEquals(SourceRateLimit.BURST, permits(l, "192.0.2.1", 100, 1000));
        assertEquals(SourceRateLimit.BURST, permits(l, "192.0.2.2", 100, 1000), "another source, its own bucket");
        assertEquals(SourceRateLimit.PER_SECOND, permits(l, "192.0.2.1", 100, 2000));
        assertEquals(SourceRateLimit.PER_SECOND / 2, permits(l, "192.0.2.1", 100, 2500));
        assertEquals(SourceRateLimit.BURST, permits(l, "192.0.2.1", 100, 60_000), "refilled, up to the burst");
    }

    @Test
    void anIpv6SourceIsItsSlash64() throws Exception {
        SourceRateLimit l = limit();
        assertEquals(SourceRateLimit.BURST, permits(l, "2001:db8:1:2::1", 10, 0) + permits(l, "2001:db8:1:2::ffff", 10, 0));
        assertEquals(0, permits(l, "2001:db8:1:2:abcd::9", 10, 0));
        assertEquals(SourceRateLimit.BURST, permits(l, "2001:db8:1:3::1", 100, 0), "the next /64");
    }

    @Test
    void aFloodFromOtherSourcesTakesNoPermitsAway() throws Exception {
        SourceRateLimit l = limit();
        InetAddress genuine = InetAddress.getByName("198.51.100.7");
        int granted = 0;
        byte[] v6 = InetAddress.getByName("2001:db8::").getAddress();
        for (int i = 0; i < 3 * SourceRateLimit.SLOTS; i++) {
            v6[4] = (byte) (i >>> 8);
            v6[5] = (byte) i;
            l.permit(InetAddress.getByAddress(v6), 0);
            if (i % 100 == 0 && l.permit(genuine, 0)) {
                granted++;
            }
        }
        // 123 tries at one instant: at least the burst, whatever the flood did to its slot
        assertTrue(granted >= SourceRateLimit.BURST, granted + " permits");
    }
}

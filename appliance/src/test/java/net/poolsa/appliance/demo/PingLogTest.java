package net.poolsa.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The outage figures of {@code poolsa demo} and the namespace failover tests, computed from {@code ping -D -O}
 * logs: the longest time without replies after the cut, and the share of requests sent after it that were
 * answered.
 */
class PingLogTest {
    /**
     * Printed by iputils ping -n -D -O -i 0.1 in a namespace of this machine, pinging 127.0.0.1 while an nftables
     * rule dropped the echo replies for about 1.2 s (added after reply 13).
     */
    static final String REAL = """
            PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.
            [1796162177.535144] 64 bytes from 127.0.0.1: icmp_seq=10 ttl=64 time=0.086 ms
            [1796162177.644768] 64 bytes from 127.0.0.1: icmp_seq=11 ttl=64 time=0.045 ms
            [1796162177.755062] 64 bytes from 127.0.0.1: icmp_seq=12 ttl=64 time=0.045 ms
            [1796162177.867090] 64 bytes from 127.0.0.1: icmp_seq=13 ttl=64 time=0.049 ms
            [1796162178.075006] no answer yet for icmp_seq=14
            [1796162178.179013] no answer yet for icmp_seq=15
            [1796162178.285132] no answer yet for icmp_seq=16
            [1796162178.387021] no answer yet for icmp_seq=17
            [1796162178.495165] no answer yet for icmp_seq=18
            [1796162178.599041] no answer yet for icmp_seq=19
            [1796162178.703007] no answer yet for icmp_seq=20
            [1796162178.807009] no answer yet for icmp_seq=21
            [1796162178.911058] no answer yet for icmp_seq=22
            [1796162179.015145] no answer yet for icmp_seq=23
            [1796162179.119072] no answer yet for icmp_seq=24
            [1796162179.225895] no answer yet for icmp_seq=25
            [1796162179.327009] no answer yet for icmp_seq=26
            [1796162179.327104] 64 bytes from 127.0.0.1: icmp_seq=27 ttl=64 time=0.045 ms
            [1796162179.431119] 64 bytes from 127.0.0.1: icmp_seq=28 ttl=64 time=0.044 ms
            [1796162179.535089] 64 bytes from 127.0.0.1: icmp_seq=29 ttl=64 time=0.042 ms

            --- 127.0.0.1 ping statistics ---
            29 packets transmitted, 16 received, 44.8276% packet loss, time 2937ms
            rtt min/avg/max/mdev = 0.036/0.048/0.086/0.012 ms
            """;

    /**
     * The case a new user saw: a reply already on its way arrives 0.01 s after the cut, then 1.24 s pass without
     * replies while the gateways notice the dead path. The old report ("replies resumed 0.01 s after the cut (gap
     * 0.12 s)": the first reply after the cut minus the last before it) missed it; the longest time without replies
     * is 1.24 s.
     */
    static final String REPLY_IN_FLIGHT = """
            [100.780500] 64 bytes from 192.0.2.130: icmp_seq=9 ttl=62 time=0.500 ms
            [100.880500] 64 bytes from 192.0.2.130: icmp_seq=10 ttl=62 time=0.500 ms
            [101.000500] 64 bytes from 192.0.2.130: icmp_seq=11 ttl=62 time=20.500 ms
            [101.180100] no answer yet for icmp_seq=12
            [101.280100] no answer yet for icmp_seq=13
            [101.380100] no answer yet for icmp_seq=14
            [101.480100] no answer yet for icmp_seq=15
            [101.580100] no answer yet for icmp_seq=16
            [101.680100] no answer yet for icmp_seq=17
            [101.780100] no answer yet for icmp_seq=18
            [101.880100] no answer yet for icmp_seq=19
            [101.980100] no answer yet for icmp_seq=20
            [102.080100] no answer yet for icmp_seq=21
            [102.180100] no answer yet for icmp_seq=22
            [102.240500] 64 bytes from 192.0.2.130: icmp_seq=23 ttl=62 time=60.500 ms
            [102.280500] 64 bytes from 192.0.2.130: icmp_seq=24 ttl=62 time=0.500 ms
            [102.380500] 64 bytes from 192.0.2.130: icmp_seq=25 ttl=62 time=0.500 ms
            [102.380600] 64 bytes from 192.0.2.130: icmp_seq=25 ttl=62 time=0.600 ms (DUP!)
            [102.480500] 64 bytes from 192.0.2.130: icmp_seq=26 ttl=62 time=0.500 ms
            --- 192.0.2.130 ping statistics ---
            26 packets transmitted, 14 received, +1 duplicates, 46.1538% packet loss, time 2500ms
            """;

    @Test
    void longestGapOfARealLog() {
        PingLog p = PingLog.parse(REAL, 0.1);
        assertEquals(29, p.transmitted());
        assertEquals(16, p.received());
        PingLog.Gap g = p.longestGapAfter(1796162177.90);
        assertTrue(g.closed());
        assertEquals(1796162177.867090, g.from(), 1e-6);
        assertEquals(1796162179.327104, g.to(), 1e-6);
        assertEquals(1.460014, g.seconds(), 1e-6);
        // Requests 14..29 were sent after 177.90 (14 one interval before its "no answer yet" line); 27-29 answered.
        assertEquals(1796162177.975006, p.sentAt(14), 1e-6);
        assertEquals(1796162179.327104 - 0.000045, p.sentAt(27), 1e-6);
        assertEquals(new PingLog.Share(3, 16), p.answeredSentAfter(1796162177.90));
    }

    @Test
    void aReplyInFlightAtTheCutDoesNotHideTheOutage() {
        PingLog p = PingLog.parse(REPLY_IN_FLIGHT, 0.1);
        double cut = 100.99;
        PingLog.Gap g = p.longestGapAfter(cut);
        assertTrue(g.closed());
        assertEquals(101.0005, g.from(), 1e-9);
        assertEquals(102.2405, g.to(), 1e-9);
        assertEquals(1.24, g.seconds(), 1e-9);
        // 11 was sent at 100.98, before the cut; after it 12..26 were sent, 23..26 answered (the DUP counts once).
        assertEquals(100.98, p.sentAt(11), 1e-9);
        assertEquals(101.0801, p.sentAt(12), 1e-9);
        assertEquals(new PingLog.Share(4, 15), p.answeredSentAfter(cut));
        assertEquals(7, p.replies().size(), "9, 10, 11, 23, 24, 25 (its DUP not again), 26");
    }

    @Test
    void noReplyAfterTheCutIsAnOpenGapToTheEnd() {
        String log = REPLY_IN_FLIGHT.lines().limit(14).reduce("", (a, b) -> a + b + "\n");
        PingLog p = PingLog.parse(log, 0.1);
        PingLog.Gap g = p.longestGapAfter(100.99);
        // The reply in flight at the cut (seq 11) does not end the outage: requests up to 22 (sent 102.08) went unanswered.
        assertFalse(g.closed());
        assertEquals(101.0005, g.from(), 1e-9);
        assertEquals(102.0801, g.to(), 1e-9);
        // No totals line: the requests the log names count; none of those sent after the cut was answered.
        assertEquals(new PingLog.Share(0, 11), p.answeredSentAfter(100.99));
    }

    @Test
    void theDemoLineStatesTheGapAndTheShare() {
        PingLog p = PingLog.parse(REPLY_IN_FLIGHT, 0.1);
        String line = PoolFailoverDemo.pingLine("192.0.2.10", p, new PoolFailoverDemo.Times(91.0, 100.99, Double.NaN));
        // The first reply after the cut came 0.01 s after it; what counts is the 1.24 s that followed.
        assertEquals("ping from 192.0.2.10: 26 sent, 14 received; of those sent after the cut 4 of 15 answered (27 %);"
                + " longest time without replies after the cut: 1.24 s (t=10.00 s to t=11.24 s, the cut at t=9.99 s)", line);
    }
}

package net.poolsa.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * RFC 2408 §2.5.3 cookies: the same initiator cookie and endpoints give the same cookie within a secret's lifetime;
 * any other initiator cookie, address or port does not verify; a cookie verifies for one more lifetime after its
 * secret stops making cookies and never after; another engine (another secret) makes other cookies.
 */
class ResponderCookiesTest {
    private static final InetSocketAddress PEER = new InetSocketAddress("192.0.2.1", 500);
    private static final InetSocketAddress LOCAL = new InetSocketAddress("192.0.2.2", 500);
    private static final long LIFE = 60_000;

    private static ResponderCookies cookies(long seed) {
        Random r = new Random(seed);
        return new ResponderCookies(r::nextBytes, LIFE);
    }

    @Test
    void aCookieNamesOneInitiatorCookieAndOnePairOfEndpoints() {
        ResponderCookies c = cookies(1);
        IkeSaTable table = new IkeSaTable();
        long now = 10 * LIFE;
        long cookie = c.make(0x1122334455667788L, PEER, LOCAL, now, table);
        assertEquals(cookie, c.make(0x1122334455667788L, PEER, LOCAL, now + 1000, table), "stable: a retransmission");
        assertTrue(c.verify(cookie, 0x1122334455667788L, PEER, LOCAL, now + 1000));
        assertFalse(c.verify(cookie, 0x1122334455667789L, PEER, LOCAL, now), "other initiator cookie");
        assertFalse(c.verify(cookie, 0x1122334455667788L, new InetSocketAddress("192.0.2.3", 500), LOCAL, now));
        assertFalse(c.verify(cookie, 0x1122334455667788L, new InetSocketAddress("192.0.2.1", 4500), LOCAL, now));
        assertFalse(c.verify(cookie, 0x1122334455667788L, PEER, new InetSocketAddress("192.0.2.2", 4500), now));
        assertFalse(c.verify(cookie, 0x1122334455667788L, new InetSocketAddress("2001:db8::1", 500), LOCAL, now));
        assertNotEquals(cookie, cookies(2).make(0x1122334455667788L, PEER, LOCAL, now, table), "another secret");

        Random r = new Random(7);
        int verified = 0;
        for (int i = 0; i < 10_000; i++) {
            if (c.verify(r.nextLong(), 0x1122334455667788L, PEER, LOCAL, now)) {
                verified++;
            }
        }
        assertEquals(0, verified, "guessed cookies");
    }

    @Test
    void aCookieVerifiesUntilTheEndOfTheNextLifetime() {
        ResponderCookies c = cookies(3);
        long start = 5 * LIFE + LIFE - 1; // the last millisecond of a lifetime
        long cookie = c.make(42, PEER, LOCAL, start, new IkeSaTable());
        assertTrue(c.verify(cookie, 42, PEER, LOCAL, start + LIFE), "the whole next lifetime");
        assertFalse(c.verify(cookie, 42, PEER, LOCAL, start + LIFE + 1), "two secrets later");
        assertNotEquals(cookie, c.make(42, PEER, LOCAL, start + 1, new IkeSaTable()), "a new secret makes new cookies");
    }

    @Test
    void aCookieInUseIsNotGivenTwice() {
        ResponderCookies c = cookies(4);
        IkeSaTable table = new IkeSaTable();
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            // the same inputs three times: a table holding the first cookie makes the next one differ
            long cookie = c.make(99, PEER, LOCAL, LIFE, table);
            assertTrue(seen.add(cookie));
            assertTrue(c.verify(cookie, 99, PEER, LOCAL, LIFE));
            table.add(new IkeSa(Role.RESPONDER, 99 + i, cookie, "c", LOCAL, PEER, 0));
        }
    }
}

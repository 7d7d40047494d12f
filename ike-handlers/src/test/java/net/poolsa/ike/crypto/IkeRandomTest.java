package net.poolsa.ike.crypto;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class IkeRandomTest {

    /** A cookie is never zero (RFC 2408 §3.1: a zero responder cookie starts an exchange): an all-zero draw is redrawn. */
    @Test
    void cookieIsNeverZero() {
        int[] calls = {0};
        SeededRandom seeded = new SeededRandom("cookie");
        IkeRandom zerosFirst = out -> {
            if (calls[0]++ < 2) {
                Arrays.fill(out, (byte) 0);
            } else {
                seeded.nextBytes(out);
            }
        };
        byte[] c = zerosFirst.cookie();
        assertEquals(3, calls[0], "two all-zero draws were refused");
        assertEquals(8, c.length);
        assertArrayEquals(new SeededRandom("cookie").bytes(8), c);
    }

    @Test
    void nonceHas32BytesAndSystemSourceDiffers() {
        IkeRandom r = IkeRandom.system();
        byte[] a = r.nonce();
        assertEquals(32, a.length);
        assertFalse(Arrays.equals(a, r.nonce()));
    }
}

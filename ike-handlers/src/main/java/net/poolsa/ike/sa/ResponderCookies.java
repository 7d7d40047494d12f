package net.poolsa.ike.sa;

import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.Arrays;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import net.poolsa.ike.crypto.IkeRandom;

/**
 * Our responder cookies, made as RFC 2408 §2.5.3 asks: a keyed hash of the initiator's cookie, both IP addresses and
 * ports, and a local secret that is replaced every {@link #SECRET_LIFETIME_MILLIS} (the "date and time" of the RFC),
 * so that only we can make a cookie, it names one peer endpoint, and checking one costs an HMAC, no lookup and no
 * state. A cookie made under the current or the previous secret verifies: at least one full lifetime, longer than
 * any half-open SA lives. Confined to the IKE event loop (one {@link Mac} reused).
 *
 * <p>{@code cookie = HMAC-SHA-256(secret, CKY-I | IPi | porti | IPr | portr | n)[0..8]}, {@code n} a counter that is
 * 0 unless the first value is zero or already in use.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.3">RFC 2408 §2.5.3 (anti-clogging cookies)</a>
 */
public final class ResponderCookies {
    /** How long one secret makes new cookies; it verifies them for as long again. */
    public static final long SECRET_LIFETIME_MILLIS = 60_000;
    private static final int SECRET_BYTES = 32;
    /** 8 + 16 + 2 + 16 + 2 + 1: the longest input (IPv6 both ways). */
    private static final int INPUT_BYTES = 45;

    private final IkeRandom random;
    private final long lifetimeMillis;
    private final Mac mac;
    private final byte[] input = new byte[INPUT_BYTES];
    private final byte[] out = new byte[32];
    private byte[] current;
    private byte[] previous;
    private long epoch = Long.MIN_VALUE;

    /**
     * @param lifetimeMillis how long a secret makes cookies; at least as long as a half-open SA lives, so that a
     *                       message 3 still verifies at the end of it
     */
    public ResponderCookies(IkeRandom random, long lifetimeMillis) {
        if (lifetimeMillis < 1) {
            throw new IllegalArgumentException("secret lifetime must be positive");
        }
        this.random = random;
        this.lifetimeMillis = lifetimeMillis;
        try {
            this.mac = Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java 17 runtime", e);
        }
    }

    /** The cookie for a new responder SA; unique in {@code table} and never zero. */
    public long make(long initiatorCookie, InetSocketAddress peer, InetSocketAddress local, long nowMillis,
                     IkeSaTable table) {
        rotate(nowMillis);
        for (int n = 0; ; n++) {
            long c = compute(current, initiatorCookie, peer, local, n);
            if (c != 0 && table.byLocalCookie(c) == null) {
                return c;
            }
        }
    }

    /** Whether {@code cookie} is one we made for this initiator cookie and these endpoints within the last lifetimes. */
    public boolean verify(long cookie, long initiatorCookie, InetSocketAddress peer, InetSocketAddress local,
                          long nowMillis) {
        rotate(nowMillis);
        return matches(current, cookie, initiatorCookie, peer, local)
                || (previous != null && matches(previous, cookie, initiatorCookie, peer, local));
    }

    /** Zeroes the secrets (engine shutdown). */
    public void destroy() {
        if (current != null) {
            Arrays.fill(current, (byte) 0);
        }
        if (previous != null) {
            Arrays.fill(previous, (byte) 0);
        }
        current = null;
        previous = null;
        epoch = Long.MIN_VALUE;
    }

    private boolean matches(byte[] secret, long cookie, long initiatorCookie, InetSocketAddress peer,
                            InetSocketAddress local) {
        // a counter above 0 is taken only on a collision in the table: rare, so a few tries cover it
        for (int n = 0; n < 4; n++) {
            if (compute(secret, initiatorCookie, peer, local, n) == cookie) {
                return true;
            }
        }
        return false;
    }

    private void rotate(long nowMillis) {
        long e = Math.floorDiv(nowMillis, lifetimeMillis);
        if (e == epoch) {
            return;
        }
        if (previous != null) {
            Arrays.fill(previous, (byte) 0);
        }
        // one lifetime skipped: the old current secret is too old to verify anything
        previous = e == epoch + 1 ? current : null;
        if (previous == null && current != null) {
            Arrays.fill(current, (byte) 0);
        }
        current = random.bytes(SECRET_BYTES);
        epoch = e;
    }

    private long compute(byte[] secret, long initiatorCookie, InetSocketAddress peer, InetSocketAddress local, int n) {
        int i = putLong(input, 0, initiatorCookie);
        i = putEndpoint(input, i, peer);
        i = putEndpoint(input, i, local);
        input[i++] = (byte) n;
        try {
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(input, 0, i);
            mac.doFinal(out, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 with a 32-byte key cannot fail", e);
        }
        long c = 0;
        for (int k = 0; k < 8; k++) {
            c = (c << 8) | (out[k] & 0xff);
        }
        return c;
    }

    private static int putLong(byte[] b, int i, long v) {
        for (int k = 7; k >= 0; k--) {
            b[i++] = (byte) (v >>> (8 * k));
        }
        return i;
    }

    private static int putEndpoint(byte[] b, int i, InetSocketAddress a) {
        byte[] ip = a.getAddress().getAddress();
        System.arraycopy(ip, 0, b, i, ip.length);
        i += ip.length;
        b[i++] = (byte) (a.getPort() >>> 8);
        b[i++] = (byte) a.getPort();
        return i;
    }
}

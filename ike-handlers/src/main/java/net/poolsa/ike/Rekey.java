package net.poolsa.ike;

/**
 * When and how the engine replaces SAs before they expire (make-before-break).
 *
 * <p>A child SA pair is rekeyed at its soft lifetime ({@code lifetime.rekey-time}, {@code rekey-bytes},
 * {@code rekey-packets}; for a 32-bit sequence number also at {@link #SEQUENCE_SOFT_LIMIT} packets, RFC 4303
 * §3.3.3 forbids a wrap); the time-based rekey comes earlier by a random share of up to {@code jitter} of the soft
 * time, so that two peers with the same lifetimes do not both start a Quick Mode at the same instant. The replaced
 * pair stays installed for inbound traffic for {@code graceSeconds} after the new one carries ours, then it is
 * deleted and the peer told with a Delete payload.
 *
 * <p>The ISAKMP SA is replaced by a new Main Mode at {@code ikeRekeySeconds} (0: nine tenths of its lifetime), with
 * the same jitter; the child SAs move to the new one untouched and the old one is deleted.
 *
 * @param jitter          the largest share of the soft time by which a rekey comes earlier, 0 to 0.5
 * @param graceSeconds    how long a replaced pair keeps receiving before it is deleted, at least 1
 * @param ikeRekeySeconds phase-1 soft lifetime in seconds; 0 = nine tenths of the negotiated lifetime
 * @param ikeLifetimeKilobytes phase-1 hard lifetime in kilobytes (1024 bytes) of the messages the ISAKMP SA protects,
 *                        offered and accepted as RFC 2409 Appendix A life type 2; 0 = none. Both peers count the
 *                        same messages, so a jitter would not keep them from starting a rekey at once: the SA's
 *                        initiator replaces it at nine tenths ({@link #ikeSoftBytes}), its responder only at nineteen
 *                        twentieths ({@link #ikeResponderSoftBytes}, when the initiator did not); deleted at the limit
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4.2.1">RFC 4301 §4.4.2.1 (soft and hard lifetimes)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.3.3">RFC 4303 §3.3.3 (no sequence number wrap)</a>
 */
public record Rekey(double jitter, long graceSeconds, long ikeRekeySeconds, long ikeLifetimeKilobytes) {
    /** strongSwan's defaults: rand_time is a tenth of the rekey time, rekeyed inbound SAs go after 5 s. */
    public static final Rekey DEFAULT = new Rekey(0.1, 5, 0, 0);
    /** Largest {@link #jitter()}: beyond half the soft time a rekey would come before the SA did much. */
    public static final double MAX_JITTER = 0.5;
    /**
     * Outbound packets after which a child SA with 32-bit sequence numbers is rekeyed: seven eighths of the space,
     * which leaves half a billion packets for the Quick Mode to finish before the data plane must stop sending.
     */
    public static final long SEQUENCE_SOFT_LIMIT = 0xFFFF_FFFFL / 8 * 7;
    /** Largest phase-1 lifetime in kilobytes: 2^32 - 1, the most a four-byte Life Duration carries. */
    public static final long MAX_IKE_LIFETIME_KILOBYTES = 0xFFFF_FFFFL;

    /** Without a phase-1 lifetime in kilobytes (the form before it existed). */
    public Rekey(double jitter, long graceSeconds, long ikeRekeySeconds) {
        this(jitter, graceSeconds, ikeRekeySeconds, 0);
    }

    public Rekey {
        if (!(jitter >= 0 && jitter <= MAX_JITTER)) {
            throw new IllegalArgumentException("rekey jitter " + jitter + " is not within 0-" + MAX_JITTER);
        }
        if (graceSeconds < 1) {
            throw new IllegalArgumentException("rekey grace must be at least 1 s, got " + graceSeconds);
        }
        if (ikeRekeySeconds < 0) {
            throw new IllegalArgumentException("negative IKE rekey time " + ikeRekeySeconds);
        }
        if (ikeLifetimeKilobytes < 0 || ikeLifetimeKilobytes > MAX_IKE_LIFETIME_KILOBYTES) {
            throw new IllegalArgumentException("IKE lifetime " + ikeLifetimeKilobytes + " KiB is not within 0-"
                    + MAX_IKE_LIFETIME_KILOBYTES);
        }
    }

    /**
     * When to rekey an SA whose soft limit is {@code softMillis} away, given {@code u} uniform in [0, 1): between
     * {@code (1 - jitter) * softMillis} and {@code softMillis}.
     */
    public long rekeyAfter(long softMillis, double u) {
        return softMillis - (long) (softMillis * jitter * u);
    }

    /** The same timing with a phase-1 lifetime of {@code kilobytes} (0: none). */
    public Rekey withIkeLifetimeKilobytes(long kilobytes) {
        return new Rekey(jitter, graceSeconds, ikeRekeySeconds, kilobytes);
    }

    /** The phase-1 soft limit in bytes of an ISAKMP SA we initiated whose hard limit is {@code hardBytes}: 9/10. */
    public static long ikeSoftBytes(long hardBytes) {
        return hardBytes / 10 * 9;
    }

    /** The phase-1 soft limit in bytes of an ISAKMP SA we responded to: 19/20, after its initiator's. */
    public static long ikeResponderSoftBytes(long hardBytes) {
        return hardBytes / 20 * 19;
    }

    /** The phase-1 soft time of an ISAKMP SA that lives {@code lifetimeSeconds}. */
    public long ikeSoftSeconds(long lifetimeSeconds) {
        return ikeRekeySeconds > 0 && ikeRekeySeconds < lifetimeSeconds ? ikeRekeySeconds : lifetimeSeconds / 10 * 9;
    }
}

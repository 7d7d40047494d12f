package net.poolsa.ike.job;

/**
 * The IKE timers. The defaults are strongSwan's: a first retransmission after 4 s, each later one 1.8 times
 * later, 5 retransmissions (the exchange gives up about 165 s after its first send), half-open SAs 30 s.
 *
 * @param retransmitMillis   wait before the first retransmission
 * @param backoff            factor of each further wait
 * @param retransmits        retransmissions before the exchange fails
 * @param halfOpenMillis     how long a responder keeps a Main Mode that is not finished
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.2">RFC 2408 §2.5.2</a>
 */
public record Timers(long retransmitMillis, double backoff, int retransmits, long halfOpenMillis) {
    public static final Timers DEFAULT = new Timers(4000, 1.8, 5, 30_000);

    public Timers {
        if (retransmitMillis < 1 || backoff < 1 || retransmits < 0 || halfOpenMillis < 1) {
            throw new IllegalArgumentException("timers must be positive (backoff at least 1)");
        }
    }

    /** The wait after send number {@code sent} (1 = the first send). */
    public long waitAfter(int sent) {
        return Math.round(retransmitMillis * Math.pow(backoff, sent - 1));
    }

    /** The whole time from the first send until the exchange gives up: how long a finished one answers repeats. */
    public long giveUpMillis() {
        long total = 0;
        for (int sent = 1; sent <= retransmits + 1; sent++) {
            total += waitAfter(sent);
        }
        return total;
    }
}

package net.poolsa.ike.job;

/**
 * What the timed jobs act on. A job holds IDs (our cookie of the IKE SA, a message ID, a sequence number), never
 * the objects: the target looks them up again when the job fires and does nothing if they are gone, so a job
 * can never act on a dead SA or keep one alive.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.2">RFC 2408 §2.5.2</a>
 */
public interface JobTarget {
    /** Resend the message of exchange {@code messageId} if it is still unanswered after send number {@code sent}. */
    void retransmit(long localCookie, int messageId, int sent);

    /** Remove the IKE SA if it is still not established. */
    void expireHalfOpen(long localCookie);

    /** Stop answering retransmissions of a finished exchange. */
    void forgetExchange(long localCookie, int messageId);

    /** Rekey the child SA pair whose inbound SPI is {@code spiIn}, unless it is gone, replaced or being rekeyed. */
    void rekeyChild(int spiIn);

    /** Install the outbound SA of the rekey Quick Mode {@code messageId} we initiated (its switch delay is over). */
    void switchOutbound(long localCookie, int messageId);

    /** Delete the replaced child SA pair whose inbound SPI is {@code spiIn} (its grace period is over). */
    void retireChild(int spiIn);

    /** Phase 1: start a new Main Mode for the ISAKMP SA ({@code hard} false), or end it ({@code hard} true). */
    void ikeLifetime(long localCookie, boolean hard);

    /** Dead peer detection (RFC 3706): declare the peer dead if nothing answered, else send the next R-U-THEREs. */
    default void deadPeerCheck(long localCookie) {
    }

    /** Send the IKE SA's NAT-keepalive if it is still established behind a NAT, and plan the next one. */
    default void natKeepaliveDue(long localCookie) {
    }

    /** {@code dpd.action: restart}: negotiate {@code connection} again unless it is gone or up. */
    default void dpdRestart(String connection) {
    }
}

package net.poolsa.ike.job;

/**
 * Removes an IKE SA that is still not established when it fires: a responder's Main Mode state that the
 * initiator abandoned (or that a spoofed first message created) does not stay.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.3">RFC 2408 §2.5.3 (cookies against flooding)</a>
 */
public record HalfOpenExpiryJob(JobTarget target, long localCookie) implements Runnable {
    @Override
    public void run() {
        target.expireHalfOpen(localCookie);
    }

    @Override
    public String toString() {
        return String.format("expire-half-open[%016x]", localCookie);
    }
}

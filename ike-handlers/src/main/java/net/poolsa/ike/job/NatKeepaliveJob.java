package net.poolsa.ike.job;

/**
 * The next NAT-keepalive of one IKE SA (RFC 3948 §2.3): holds our cookie only; the target looks the SA up again and
 * does nothing if it is gone.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.3">RFC 3948 §2.3</a>
 */
public record NatKeepaliveJob(JobTarget target, long localCookie) implements Runnable {
    @Override
    public void run() {
        target.natKeepaliveDue(localCookie);
    }
}

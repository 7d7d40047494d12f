package net.poolsa.ike.job;

/**
 * The dead peer detection round of one IKE SA (RFC 3706 §5.3): holds our cookie only; the target looks the SA up
 * again and does nothing if it is gone.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706#section-5.3">RFC 3706 §5.3</a>
 */
public record DpdCheckJob(JobTarget target, long localCookie) implements Runnable {
    @Override
    public void run() {
        target.deadPeerCheck(localCookie);
    }
}

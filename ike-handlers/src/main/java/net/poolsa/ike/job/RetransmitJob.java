package net.poolsa.ike.job;

/**
 * Resends an unanswered message; the target schedules the next one with a longer timeout (exponential backoff)
 * or gives the exchange up when the tries are spent.
 *
 * @param sent how many times the message had gone out when this job was scheduled: an answer in between, or a
 *             newer message of the exchange, makes the job stale
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.2">RFC 2408 §2.5.2</a>
 */
public record RetransmitJob(JobTarget target, long localCookie, int messageId, int sent) implements Runnable {
    @Override
    public void run() {
        target.retransmit(localCookie, messageId, sent);
    }

    @Override
    public String toString() {
        return String.format("retransmit[%016x mid %08x #%d]", localCookie, messageId, sent);
    }
}

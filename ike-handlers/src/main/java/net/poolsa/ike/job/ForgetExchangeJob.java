package net.poolsa.ike.job;

/**
 * Ends the time a finished exchange answers retransmissions with its stored reply (e.g. a Quick Mode initiator
 * that sent HASH(3) and may see HASH(2) again if HASH(3) was lost).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 */
public record ForgetExchangeJob(JobTarget target, long localCookie, int messageId) implements Runnable {
    @Override
    public void run() {
        target.forgetExchange(localCookie, messageId);
    }

    @Override
    public String toString() {
        return String.format("forget[%016x mid %08x]", localCookie, messageId);
    }
}

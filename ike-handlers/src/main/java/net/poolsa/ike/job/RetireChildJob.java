package net.poolsa.ike.job;

/**
 * Deletes a replaced child SA pair (Delete payload to the peer) once its grace period is over: until then it still
 * receives the packets the peer sent before it switched to the new pair.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.15">RFC 2408 §3.15 (Delete)</a>
 */
public record RetireChildJob(JobTarget target, int spiIn) implements Runnable {
    @Override
    public void run() {
        target.retireChild(spiIn);
    }

    @Override
    public String toString() {
        return String.format("retire-child[0x%08x]", spiIn);
    }
}

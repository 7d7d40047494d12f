package net.poolsa.ike.job;

/**
 * Negotiates a connection again after dead peer detection removed its SAs ({@code dpd.action: restart}): holds the
 * connection's name only; the target does nothing if the connection is gone or up again.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706#section-5.5">RFC 3706 §5.5</a>
 */
public record DpdRestartJob(JobTarget target, String connection) implements Runnable {
    @Override
    public void run() {
        target.dpdRestart(connection);
    }
}

package net.poolsa.ike.job;

/**
 * The phase-1 lifetime of an ISAKMP SA: at the (jittered) soft time a new Main Mode replaces it, at the hard time
 * (or at the end of a replaced SA's grace period) it is deleted.
 *
 * @param hard false: rekey; true: delete
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.5">RFC 2407 §4.5 (SA Life Type/Duration)</a>
 */
public record IkeLifetimeJob(JobTarget target, long localCookie, boolean hard) implements Runnable {
    @Override
    public void run() {
        target.ikeLifetime(localCookie, hard);
    }

    @Override
    public String toString() {
        return String.format("%s[%016x]", hard ? "expire-ike" : "rekey-ike", localCookie);
    }
}

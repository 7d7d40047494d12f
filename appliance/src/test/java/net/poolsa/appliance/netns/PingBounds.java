package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertTrue;

import net.poolsa.appliance.demo.PingLog;

/**
 * What the namespace tests require of a {@code ping -D -O} log after an event (a cut, a reload), computed by the
 * demo's own {@link PingLog}: enough requests sent after it, a share of them answered, and a longest time without
 * replies that ended (a reply came) under a limit.
 */
final class PingBounds {
    private PingBounds() {
    }

    /**
     * @param t           the event, epoch seconds
     * @param minRequests requests that must have been sent after it (else the bounds would say little)
     * @return the requests sent after the event and how many were answered
     */
    static PingLog.Share assertAfter(ApplianceLab.PingResult r, double interval, double t, String event, long minRequests,
                                     double minAnswered, double maxGapSeconds) {
        PingLog log = PingLog.parse(r.output(), interval);
        PingLog.Share after = log.answeredSentAfter(t);
        PingLog.Gap gap = log.longestGapAfter(t);
        System.out.printf("%s, %s: %d of %d requests after it answered, longest gap %.3f s%n", event,
                r.output().lines().findFirst().orElse(""), after.answered(), after.total(), gap.seconds());
        assertTrue(after.total() >= minRequests, () -> after.total() + " requests after the " + event + ":\n" + r.output());
        assertTrue(after.fraction() >= minAnswered, () -> after.answered() + " of " + after.total() + " requests sent after the "
                + event + " answered:\n" + r.output());
        assertTrue(gap.closed() && gap.seconds() < maxGapSeconds, () -> "longest time without replies after the " + event + " "
                + gap.seconds() + " s (" + (gap.from() - t) + " s to " + (gap.to() - t) + " s from it, ended by a reply: "
                + gap.closed() + "):\n" + r.output());
        return after;
    }
}

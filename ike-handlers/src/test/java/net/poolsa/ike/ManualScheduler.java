package net.poolsa.ike;

import java.util.PriorityQueue;

import net.poolsa.ike.job.Scheduler;

/**
 * A {@link Scheduler} on virtual time for tests: jobs run only when the test advances the clock, on the test's
 * thread, in time order; {@link #execute} runs at once. Retransmissions and expiries can so be checked by count,
 * never by wall-clock.
 */
final class ManualScheduler implements Scheduler {
    private record Job(long at, long seq, Runnable task, boolean[] cancelled) {
    }

    private final PriorityQueue<Job> jobs = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : Long.compare(a.seq, b.seq));
    private long now = 1_000_000;
    private long seq;

    @Override
    public long nowMillis() {
        return now;
    }

    @Override
    public Cancellable schedule(Runnable job, long delayMillis) {
        boolean[] cancelled = new boolean[1];
        jobs.add(new Job(now + delayMillis, seq++, job, cancelled));
        return () -> cancelled[0] = true;
    }

    @Override
    public void execute(Runnable task) {
        task.run();
    }

    /** Runs, in order, every job due within the next {@code millis}; the clock ends {@code millis} later. */
    void advance(long millis, Runnable afterEachJob) {
        long end = now + millis;
        while (!jobs.isEmpty() && jobs.peek().at <= end) {
            Job j = jobs.poll();
            now = Math.max(now, j.at);
            if (!j.cancelled[0]) {
                j.task.run();
                afterEachJob.run();
            }
        }
        now = end;
    }

    /** Jobs waiting (cancelled ones included until their time comes). */
    int pending() {
        int n = 0;
        for (Job j : jobs) {
            if (!j.cancelled[0]) {
                n++;
            }
        }
        return n;
    }
}

package net.poolsa.ike;

import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import net.poolsa.ike.job.Scheduler;

/**
 * A {@link Scheduler} on virtual time for tests: jobs run only when the test advances the clock, on the test's
 * thread, in time order; {@link #execute} runs at once. Retransmissions and expiries can so be checked by count,
 * never by wall-clock. A task handed to {@link #execute} from another thread (a crypto pool's result) waits in an
 * inbox until the test thread runs it ({@link #runPosted}), as a task posted to an event loop waits for the loop.
 */
final class ManualScheduler implements Scheduler {
    private record Job(long at, long seq, Runnable task, boolean[] cancelled) {
    }

    private final PriorityQueue<Job> jobs = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : Long.compare(a.seq, b.seq));
    private long now = 1_000_000;
    private long seq;
    private final Thread owner = Thread.currentThread();
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger posted = new AtomicInteger();

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
        if (Thread.currentThread() == owner) {
            task.run();
        } else {
            inbox.add(task);
            posted.incrementAndGet();
        }
    }

    /** Tasks posted from other threads so far (run or not). */
    int posted() {
        return posted.get();
    }

    /** Runs the tasks posted from other threads, on the test thread, in the order they came; returns how many. */
    int runPosted() {
        int n = 0;
        for (Runnable t = inbox.poll(); t != null; t = inbox.poll()) {
            t.run();
            n++;
        }
        return n;
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

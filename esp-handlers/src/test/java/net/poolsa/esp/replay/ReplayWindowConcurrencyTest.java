package net.poolsa.esp.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * The anti-replay window shared by several threads (RFC 4303 §3.4.3): no lock, no number accepted twice, no
 * number lost. Counts, never times.
 */
class ReplayWindowConcurrencyTest {
    private static final int THREADS = 4;

    /**
     * Every thread offers every number in increasing order, as copies of one stream arriving on several event loops
     * would: the first offer of each number is accepted (nobody can have moved the window past a number before some
     * thread offered it), every later one is a replay or too old. So each number is accepted exactly once, for
     * windows small enough that slots are reused all the time and larger than the threads' drift.
     */
    @Test
    void everyNumberIsAcceptedExactlyOnceWhileThreadsRace() throws Exception {
        for (int size : new int[] {32, 64, 100, 1024}) {
            int n = 200_000;
            ReplayWindow w = new ReplayWindow(size);
            AtomicIntegerArray accepted = new AtomicIntegerArray(n + 1);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            run(THREADS, t -> {
                start.await();
                for (int s = 1; s <= n; s++) {
                    if (w.check(s) == ReplayWindow.OK && w.update(s) == ReplayWindow.OK) {
                        accepted.incrementAndGet(s);
                    }
                }
            });
            int wrong = 0;
            for (int s = 1; s <= n; s++) {
                if (accepted.get(s) != 1) {
                    wrong++;
                }
            }
            assertEquals(0, wrong, "numbers not accepted exactly once, window " + size);
            assertEquals(n, w.top());
        }
    }

    /**
     * Threads offer interleaved numbers out of order (each thread its own residue class, each class in bursts that
     * jump ahead), and each also replays what the others offered: per number at most one acceptance, and every
     * number that was in the window when first offered is accepted.
     */
    @Test
    void outOfOrderOffersAndReplaysFromOtherThreads() throws Exception {
        int n = 100_000;
        int size = 256;
        ReplayWindow w = new ReplayWindow(size);
        AtomicIntegerArray accepted = new AtomicIntegerArray(n + 1);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        run(THREADS, t -> {
            start.await();
            for (int base = 1; base <= n; base += 64) {
                // This thread's numbers of the block, highest first, then the whole block again (replays).
                for (int s = Math.min(n, base + 63); s >= base; s--) {
                    if (s % THREADS == t && w.update(s) == ReplayWindow.OK) {
                        accepted.incrementAndGet(s);
                    }
                }
                for (int s = base; s <= Math.min(n, base + 63); s++) {
                    if (w.update(s) == ReplayWindow.OK) {
                        accepted.incrementAndGet(s);
                    }
                }
            }
        });
        int twice = 0;
        int lost = 0;
        for (int s = 1; s <= n; s++) {
            if (accepted.get(s) > 1) {
                twice++;
            } else if (accepted.get(s) == 0) {
                lost++;
            }
        }
        assertEquals(0, twice, "numbers accepted more than once");
        assertEquals(0, lost, "numbers never accepted although every thread offered them within 64 of its own top");
    }

    /**
     * No monitor: the old window synchronised on itself, so a thread that held its monitor stopped every packet of
     * the SA. With the test thread holding it, another thread must still check, record and read the top.
     */
    @Test
    void checkAndUpdateTakeNoLock() throws Exception {
        ReplayWindow w = new ReplayWindow(64);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long[] results = new long[4];
        Thread t = new Thread(() -> {
            try {
                results[0] = w.check(7);
                results[1] = w.update(7);
                results[2] = w.update(7);
                results[3] = w.top();
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        synchronized (w) {
            t.start();
            Thread.State s;
            do {
                s = t.getState();
                Thread.onSpinWait();
            } while (s != Thread.State.TERMINATED && s != Thread.State.BLOCKED);
            assertNotEquals(Thread.State.BLOCKED, s, "the window's methods waited for its monitor");
        }
        t.join();
        assertEquals(null, failed.get());
        assertEquals(ReplayWindow.OK, results[0]);
        assertEquals(ReplayWindow.OK, results[1]);
        assertEquals(ReplayWindow.REPLAYED, results[2]);
        assertEquals(7, results[3]);
    }

    interface Body {
        void run(int thread) throws Exception;
    }

    static void run(int threads, Body body) throws Exception {
        List<Thread> all = new ArrayList<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try {
                    body.run(id);
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                }
            }, "replay-" + i);
            all.add(t);
            t.start();
        }
        for (Thread t : all) {
            t.join();
        }
        if (failed.get() != null) {
            throw new AssertionError("a thread failed", failed.get());
        }
        assertTrue(all.stream().noneMatch(Thread::isAlive));
    }
}

package net.poolsa.esp;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;

/** What a thread waits for, for the tests that show a per-packet path takes no lock. */
public final class Monitors {
    private Monitors() {
    }

    /**
     * Whether {@code t} waits for {@code lock}'s monitor. A thread can also block for a moment on a lock that is not
     * the one under test (class loading, the JIT), which says nothing about the code under test.
     */
    public static boolean blockedOn(Thread t, Object lock) {
        ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(t.getId());
        return info != null && info.getThreadState() == Thread.State.BLOCKED && info.getLockInfo() != null
                && info.getLockInfo().getIdentityHashCode() == System.identityHashCode(lock);
    }
}

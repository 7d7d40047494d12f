package net.poolsa.esp.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * Raises the calling thread's scheduling priority above its process's. Linux nice values belong to threads
 * (setpriority(2) with a thread id: "a thread's nice value", sched(7)), so the threads that move SAs when a link goes
 * down (the rtnetlink reader, the data plane's loop) can run ahead of the process's other threads and of ordinary
 * processes on a loaded host, relative to whatever nice the process was started with. Java thread priorities cannot do
 * this: the JVM ignores them on Linux unless {@code -XX:ThreadPriorityPolicy=1}, which sets absolute nice values (a
 * normal thread to 0, undoing the nice an operator gave the process).
 *
 * @see <a href="https://man7.org/linux/man-pages/man2/setpriority.2.html">setpriority(2)</a>
 */
public final class ThreadNice {
    /** How far the failover threads are raised above their process: nice -5 in a process at 0. */
    public static final int RAISE = 5;
    static final int MIN_NICE = -20;
    private static final int PRIO_PROCESS = 0; // with a thread id: that one thread (Linux)

    static {
        Native.register(ThreadNice.class, "c");
    }

    private ThreadNice() {
    }

    private static native int gettid();

    private static native int getpriority(int which, int who) throws LastErrorException;

    private static native int setpriority(int which, int who, int prio) throws LastErrorException;

    /**
     * Lowers the calling thread's nice value by {@code by} (not below -20). Needs CAP_SYS_NICE.
     *
     * @return the thread's nice value now
     * @throws IllegalStateException when the kernel refused (no CAP_SYS_NICE): the thread keeps its nice value
     */
    public static int raiseCallingThread(int by) {
        int tid = gettid();
        try {
            int now = getpriority(PRIO_PROCESS, tid);
            int want = Math.max(MIN_NICE, now - by);
            setpriority(PRIO_PROCESS, tid, want);
            return want;
        } catch (LastErrorException e) {
            throw new IllegalStateException("setpriority refused (errno " + e.getErrorCode() + ")", e);
        }
    }
}

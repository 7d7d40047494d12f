package net.poolsa.esp.emit;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * One thread that lives in a network namespace (needs root): {@code setns(2)} moves only the calling thread, and
 * threads it starts inherit the namespace, so sockets, netlink and the emitter's neighbour thread created from here
 * all belong to it while the test's own thread stays where it was. The thread stands in for the event loop.
 */
final class InNamespace implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;

    static {
        Native.register(InNamespace.class, "c");
    }

    private static native int setns(int fd, int nstype) throws LastErrorException;

    private final ExecutorService thread;

    InNamespace(String netns) throws Exception {
        this.thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "in-" + netns));
        try {
            run(() -> {
                int fd = LibC.open("/var/run/netns/" + netns, O_RDONLY);
                try {
                    setns(fd, CLONE_NEWNET);
                } finally {
                    LibC.close(fd);
                }
            });
        } catch (Exception e) {
            thread.shutdownNow();
            throw e;
        }
    }

    <T> T call(Callable<T> task) throws Exception {
        try {
            return thread.submit(task).get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    void run(ThrowingRunnable task) throws Exception {
        call(() -> {
            task.run();
            return null;
        });
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

package net.poolsa.esp.netlink;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a view of the kernel's links and addresses current: {@link #start()} opens an rtnetlink socket, dumps the
 * links and addresses (returned as the first batch, so the caller knows the state before it starts using it), then
 * a daemon thread reads the notifications and hands each datagram's events to the listener as they arrive, stamped
 * with {@link System#nanoTime()} at their receipt. When the kernel reports that notifications were lost (ENOBUFS),
 * the state is dumped again and handed over as a new full batch. The listener runs on the reader thread: it should
 * pass the batch to the thread that owns the state (the data plane's event loop) and return.
 *
 * @see <a href="https://man7.org/linux/man-pages/man7/rtnetlink.7.html">rtnetlink(7)</a>
 */
public final class RtNetlinkReader implements AutoCloseable {
    /** How long the thread waits in recv at most, which bounds how long {@link #close()} waits for it. */
    static final int RECEIVE_TIMEOUT_MILLIS = 200;
    private static final Logger LOG = LoggerFactory.getLogger(RtNetlinkReader.class);

    /** Receives the kernel's events. */
    public interface Listener {
        /**
         * @param events     in the order the kernel sent them
         * @param full       true when {@code events} is a complete dump of the links and addresses (start, or after
         *                   notifications were lost): anything not in it is gone
         * @param nanos      {@link System#nanoTime()} when they were read
         */
        void events(List<RtEvent> events, boolean full, long nanos);
    }

    private final Listener listener;
    private final String threadName;
    private RtNetlinkSocket socket;
    private Thread thread;
    private volatile boolean running;
    private long malformed;

    public RtNetlinkReader(Listener listener, String threadName) {
        this.listener = listener;
        this.threadName = threadName;
    }

    /**
     * Opens the socket in the calling thread's network namespace and dumps the current state.
     *
     * @return the links and addresses now (the same batch is not given to the listener)
     * @throws IllegalStateException when rtnetlink is not available
     */
    public synchronized List<RtEvent> start() {
        if (socket != null) {
            throw new IllegalStateException("already started");
        }
        RtNetlinkSocket s = RtNetlinkSocket.open(RtNetlinkSocket.GROUPS, RECEIVE_TIMEOUT_MILLIS);
        List<RtEvent> state;
        try {
            state = dumpAll(s);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        socket = s;
        running = true;
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
        return state;
    }

    /** Messages skipped as malformed so far. */
    public synchronized long malformed() {
        return malformed;
    }

    private void run() {
        // Its message starts a local failover: on a loaded host it must not wait behind ordinary threads
        // (docs/benchmarks.md §5).
        try {
            ThreadNice.raiseCallingThread(ThreadNice.RAISE);
        } catch (RuntimeException e) {
            LOG.info("rtnetlink reader at the process's priority: {}", e.getMessage());
        }
        RtNetlinkSocket s = socket;
        List<RtEvent> batch = new ArrayList<>();
        try {
            while (running) {
                int r = s.receive(batch::add);
                long now = System.nanoTime();
                if (r == RtNetlinkSocket.OVERRUN) {
                    LOG.warn("rtnetlink notifications were lost (receive buffer full): reading the links and addresses again");
                    batch.clear();
                    List<RtEvent> state = dumpAll(s);
                    listener.events(state, true, System.nanoTime());
                    continue;
                }
                if (r > 0) {
                    synchronized (this) {
                        malformed += r;
                    }
                    LOG.warn("rtnetlink: {} malformed message(s) skipped", r);
                }
                if (!batch.isEmpty()) {
                    listener.events(List.copyOf(batch), false, now);
                    batch.clear();
                }
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.warn("rtnetlink reader stopped: {}; local link events are no longer seen, probes still detect failures",
                        e.toString());
            }
        } finally {
            s.close();
        }
    }

    /** Links, then addresses: one dump at a time (the kernel refuses a second dump while one is running). */
    private List<RtEvent> dumpAll(RtNetlinkSocket s) {
        List<RtEvent> out = new ArrayList<>();
        for (int part = 0; part < 2; part++) {
            int seq = part == 0 ? s.dumpLinks() : s.dumpAddresses();
            boolean[] done = new boolean[1];
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!done[0]) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("rtnetlink dump did not finish within 5 s");
                }
                int r = s.receive(e -> {
                    if (e instanceof RtEvent.DumpDone d && d.sequence() == seq) {
                        done[0] = true;
                    } else if (e instanceof RtEvent.Error err && err.sequence() == seq && err.error() != 0) {
                        throw new IllegalStateException("rtnetlink dump refused: errno " + -err.error());
                    } else if (!(e instanceof RtEvent.DumpDone) && !(e instanceof RtEvent.Error)) {
                        out.add(e);
                    }
                });
                if (r == RtNetlinkSocket.OVERRUN) {
                    throw new IllegalStateException("rtnetlink overrun during the dump");
                }
            }
        }
        return out;
    }

    /** Stops the thread (within {@link #RECEIVE_TIMEOUT_MILLIS}); it closes the socket itself. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
            thread = null;
        }
        if (t != null) {
            try {
                t.join(2L * RECEIVE_TIMEOUT_MILLIS + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

package net.poolsa.esp.capture;

import java.net.SocketAddress;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import net.poolsa.esp.emit.PacketSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Netty channel whose reads are IP packets from a kernel descriptor (a capture ring, a TUN device) and
 * whose writes go to a {@link PacketSink}: the source and the sink are the two ends of one pipeline, so the
 * flow between them reads as a list of handlers.
 *
 * <p>Reading runs on the event loop itself. On an epoll event loop ({@link #newEventLoop}) the loop's own
 * {@code epoll_wait} watches the descriptor and reads up to {@link #MAX_BATCH} packets when the kernel has some
 * (level-triggered: a source with more waiting is reported again after the loop's other work), so that a batch
 * costs the loop one system call to wait and no thread hand-off. On any other loop a small waker thread per channel
 * sleeps in {@code poll(2)} on the descriptor and, when the kernel has packets, queues one drain task; the task reads up to
 * {@link #MAX_BATCH} packets into pooled direct buffers of the loop's own allocator cache, fires
 * {@code channelRead} per packet and one {@code channelReadComplete} per batch (where the last stage
 * flushes the sink: one {@code sendmmsg} per batch), then either re-queues itself behind the other
 * channels' tasks or, once the source ran dry, lets the waker poll again. Buffers are allocated and
 * released on the same thread (no cross-thread recycling), and a loop that falls behind simply reads later:
 * the kernel's queue absorbs the burst (backpressure) instead of packets being read and then dropped.
 * The waker only polls the descriptor, never reads: the source is used by the event loop alone.
 *
 * <p>Register it on a plain {@link SingleThreadEventLoop} (e.g. {@code DefaultEventLoop}).
 */
public abstract class PolledChannel extends AbstractChannel {
    /**
     * Packets read per drain task at most: then the task re-queues itself behind the other channels' tasks,
     * so that a busy sink cannot starve the uplinks (TCP's ACKs come back through them).
     */
    public static final int MAX_BATCH = 128;
    /** More than a full batch of the largest IP packets: the pipeline never sees the channel unwritable. */
    static final int WRITE_HIGH_WATER = 16 << 20;
    /** How long the waker sleeps in poll(2) at most: bounds how long close() waits for it. */
    static final int POLL_MILLIS = 100;
    /**
     * Reports in a row of an error with nothing to read after which reading pauses for {@link #POLL_MILLIS}: reading
     * did not clear the error, and a level-triggered report would come back at once (a spin of the loop).
     */
    static final int ERRORS_BEFORE_PAUSE = 4;
    /** How long reading pauses after the source failed a read (a hard error), before it tries again. */
    static final int RETRY_MILLIS = 1000;
    /** The least time between two warnings about one channel's source. */
    static final long WARN_EVERY_NANOS = 10_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(PolledChannel.class);
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 64);

    private final String device;
    private final PacketSink writes;
    private final ChannelConfig config;
    private final Runnable drainTask = this::drain;
    private volatile boolean open = true;
    private volatile boolean draining;
    private volatile Thread waker;
    /** The source's registration with an epoll event loop, instead of a waker thread (event loop only). */
    private IoRegistration registration;
    private boolean reading;
    private volatile int emptyWakeups;
    // The source's trouble (event loop only): reports in a row with nothing read, the warning rate limit.
    private int errorsInARow;
    private boolean warned;
    private long nextWarn;
    private int warningsHeld;
    /** Set on the loop when the waker should sleep before it polls again (a failed read, a repeated error). */
    private volatile int wakerPauseMillis;

    protected PolledChannel(String device, PacketSink writes) {
        super(null);
        this.device = device;
        this.writes = writes;
        this.config = new DefaultChannelConfig(this);
        // A whole read batch is written before the flush at its end: with Netty's default 64 KB high-water
        // mark every batch would flip the channel unwritable and back (events nobody here listens to).
        config.setWriteBufferWaterMark(new WriteBufferWaterMark(WRITE_HIGH_WATER / 2, WRITE_HIGH_WATER));
        // Reads are allocated and released on the loop thread: the pooled allocator serves both from that
        // thread's cache (Netty 4.2's default adaptive allocator recycled its buffers through a slower path).
        config.setAllocator(PooledByteBufAllocator.DEFAULT);
    }

    /** Readiness reports of the epoll loop that found nothing to read (a level-triggered error would count up fast). */
    int emptyWakeups() {
        return emptyWakeups;
    }

    public String device() {
        return device;
    }

    /** System property: "false" makes {@link #newEventLoop} build loops with waker threads (one per channel). */
    public static final String EPOLL_LOOP_PROPERTY = "poolsa.dataplane.epoll";

    /**
     * An event loop whose channels of this kind are read without waker threads: an epoll loop ({@link EpollIoHandler})
     * where Netty's native epoll transport is available and {@value #EPOLL_LOOP_PROPERTY} is not "false", else a
     * {@link DefaultEventLoop} (waker threads).
     */
    public static SingleThreadEventLoop newEventLoop(ThreadFactory threads) {
        boolean epoll = !"false".equalsIgnoreCase(System.getProperty(EPOLL_LOOP_PROPERTY, "true").trim());
        return epoll && Epoll.isAvailable() ? new SingleThreadIoEventLoop(null, threads, EpollIoHandler.newFactory())
                : new DefaultEventLoop(threads);
    }

    /** Prepares the source for reading on the event loop (called once, on the loop, before the first read). */
    protected abstract void startSource() throws Exception;

    /**
     * Waits until the source has packets, at most {@code millis}. Called by the waker thread: must only
     * poll the descriptor, never read.
     *
     * @return > 0 when ready, 0 on timeout or EINTR, < 0 when the descriptor failed (the waker stops)
     */
    protected abstract int awaitReadable(int millis);

    /**
     * The descriptor an epoll event loop waits on for this source (valid after {@link #startSource()}), or -1 to be
     * woken by a waker thread ({@link #awaitReadable}) on any loop.
     */
    protected int descriptor() {
        return -1;
    }

    /**
     * Reads at most {@code max} packets (on the event loop), firing {@code channelRead} for each IP packet;
     * the caller fires {@code channelReadComplete} after a non-empty batch.
     *
     * @return packets or frames consumed; {@code max} means more may be waiting; &lt; 0 for a fatal error
     */
    protected abstract int readBatch(ChannelPipeline p, int max);

    /** Releases the source (on the event loop, or before registration). */
    protected abstract void closeSource();

    /**
     * For the log, on the event loop, when the source reported an error or failed a read: its state and what an
     * operator can do about it (a capture's interface down, gone). Called at most once per {@link #WARN_EVERY_NANOS}.
     */
    protected String sourceState() {
        return "its descriptor reports an error";
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
                safeSetFailure(promise, new UnsupportedOperationException("a capture channel has no peer"));
            }
        };
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop instanceof SingleThreadEventLoop;
    }

    @Override
    protected SocketAddress localAddress0() {
        return null;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("a capture channel is bound to its interface");
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doClose() {
        open = false;
        IoRegistration r = registration;
        registration = null;
        if (r != null) {
            r.cancel(); // on the loop: no read of this source runs after this
        }
        Thread t = waker;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
            try {
                t.join(2000); // the waker sees !open within its poll timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // On the event loop (or before registration): no drain task runs concurrently, and a queued one
        // sees !open and does not touch the source.
        closeSource();
    }

    @Override
    protected void doBeginRead() {
        if (reading || !open) {
            return;
        }
        reading = true;
        try {
            startSource();
        } catch (Exception e) {
            pipeline().fireExceptionCaught(e);
            return;
        }
        int fd = descriptor();
        if (fd >= 0 && eventLoop() instanceof IoEventLoop io && io.isCompatible(EpollIoHandle.class)) {
            try {
                register(io, fd);
                return;
            } catch (RuntimeException e) {
                LOG.warn("reading {}: epoll registration failed, using a waker thread: {}", device, e.toString());
                registration = null;
            }
        }
        startWaker();
    }

    private void register(IoEventLoop io, int fd) {
        Future<IoRegistration> f = io.register(new ReadyHandle(new FileDescriptor(fd))); // on the loop: at once
        if (!f.isSuccess()) {
            throw new IllegalStateException(String.valueOf(f.cause()));
        }
        registration = f.getNow();
        registration.submit(EpollIoOps.EPOLLIN); // level-triggered: see the class comment
    }

    /**
     * Stops the epoll loop watching the source for {@code millis} (epoll reports an error or hang-up whatever the
     * interest set, so only leaving the epoll set stops a report that reading does not clear), then watches it again.
     */
    private void pause(IoRegistration r, int millis) {
        registration = null;
        r.cancel();
        eventLoop().schedule(() -> {
            if (open && registration == null && eventLoop() instanceof IoEventLoop io) {
                try {
                    register(io, descriptor());
                } catch (RuntimeException e) {
                    warn("reading {} stopped: epoll registration failed again: {}", e::toString);
                    if (open) {
                        close();
                    }
                }
            }
        }, millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * A warning about the source, at most one per {@link #WARN_EVERY_NANOS} (a flapping interface or a source that
     * fails every retry would flood the log otherwise); on the event loop. The first {} is the device.
     */
    private void warn(String format, java.util.function.Supplier<String> detail) {
        long now = System.nanoTime();
        if (warned && now - nextWarn < 0) {
            warningsHeld++;
            return;
        }
        warned = true;
        nextWarn = now + WARN_EVERY_NANOS;
        String held = warningsHeld == 0 ? "" : " (" + warningsHeld + " more reports since the last warning)";
        warningsHeld = 0;
        LOG.warn(format + held, device, detail.get());
    }

    /** A batch read packets: the source is healthy again (on the event loop). */
    private void readAgain() {
        errorsInARow = 0;
        if (warned) {
            warned = false;
            warningsHeld = 0;
            LOG.info("reading {} again", device);
        }
    }

    private void startWaker() {
        Thread t = new Thread(this::wakeLoop, "poll-" + device);
        t.setDaemon(true);
        waker = t;
        t.start();
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        while (true) {
            Object m = in.current();
            if (m == null) {
                break;
            }
            if (m instanceof ByteBuf b) {
                writes.send(b.retain());
            }
            in.remove();
        }
        writes.flush();
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    /** The waker thread: poll, hand one drain task to the loop, wait until the source ran dry, repeat. */
    private void wakeLoop() {
        try {
            while (open) {
                int r = awaitReadable(POLL_MILLIS);
                if (r < 0) {
                    if (open) {
                        LOG.warn("reading {} stopped: its descriptor failed", device);
                    }
                    return;
                }
                if (r == 0 || !open) {
                    continue;
                }
                draining = true;
                eventLoop().execute(drainTask);
                while (draining && open) {
                    LockSupport.parkNanos(this, POLL_MILLIS * 1_000_000L);
                }
                int pause = wakerPauseMillis;
                if (pause > 0) {
                    wakerPauseMillis = 0;
                    long until = System.nanoTime() + pause * 1_000_000L;
                    for (long left = pause * 1_000_000L; left > 0 && open; left = until - System.nanoTime()) {
                        LockSupport.parkNanos(this, left);
                    }
                }
            }
        } catch (RuntimeException e) {
            if (open) {
                LOG.warn("reading {} stopped: {}", device, e.toString());
            }
        }
    }

    /** The source's descriptor on an epoll loop: each readiness report reads one batch, on the loop. */
    private final class ReadyHandle implements EpollIoHandle {
        private final FileDescriptor fd;

        ReadyHandle(FileDescriptor fd) {
            this.fd = fd;
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration r, IoEvent event) {
            if (!open || registration == null) { // closed; r may be a wrapper of what register() returned
                return;
            }
            ChannelPipeline p = pipeline();
            int n = readBatch(p, MAX_BATCH);
            if (n > 0) {
                p.fireChannelReadComplete();
                readAgain();
                return;
            }
            emptyWakeups++;
            if (n < 0) {
                warn("reading {} failed, trying again every second: {}", PolledChannel.this::sourceState);
                pause(r, RETRY_MILLIS);
            } else if (event instanceof EpollIoEvent e && (e.ops().value() & ~EpollIoOps.EPOLLIN.value()) != 0) {
                // An error or hang-up with nothing to read. A capture whose interface went down gets ENETDOWN, which
                // libpcap's read takes (so it is reported once), and the kernel hands it frames again once the
                // interface is up: keep reading. An error that reading does not clear comes back at once
                // (level-triggered): pause instead of spinning the loop.
                warn("reading {}: no packets, " + errorBits(e.ops().value()) + ": {}", PolledChannel.this::sourceState);
                if (++errorsInARow >= ERRORS_BEFORE_PAUSE) {
                    errorsInARow = 0;
                    pause(r, POLL_MILLIS);
                }
            }
        }

        @Override
        public void close() {
            // The descriptor belongs to the source (libpcap, the TUN device), which closes it in closeSource().
        }
    }

    private static String errorBits(int ops) {
        return (ops & EpollIoOps.EPOLLERR.value()) != 0 ? "EPOLLERR" : (ops & 0x10) != 0 ? "EPOLLHUP" : "events " + ops;
    }

    /** On the event loop: one batch, then re-queue (more waiting) or wake the waker (ran dry). */
    private void drain() {
        if (!open) {
            wakeWaker();
            return;
        }
        ChannelPipeline p = pipeline();
        int n = readBatch(p, MAX_BATCH);
        if (n > 0) {
            p.fireChannelReadComplete();
            readAgain();
        }
        if (n >= MAX_BATCH) {
            eventLoop().execute(drainTask);
            return;
        }
        if (n < 0) {
            warn("reading {} failed, trying again every second: {}", this::sourceState);
            wakerPauseMillis = RETRY_MILLIS;
        } else if (n == 0 && ++errorsInARow >= ERRORS_BEFORE_PAUSE) {
            // poll(2) keeps reporting the source with nothing to read (an error reading does not clear): pause the waker.
            errorsInARow = 0;
            warn("reading {}: poll(2) reports the source ready with no packets: {}", this::sourceState);
            wakerPauseMillis = POLL_MILLIS;
        }
        wakeWaker();
    }

    private void wakeWaker() {
        draining = false;
        Thread t = waker;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}

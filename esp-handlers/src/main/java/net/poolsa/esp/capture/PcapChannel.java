package net.poolsa.esp.capture;

import java.net.SocketAddress;
import java.util.concurrent.locks.LockSupport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import net.poolsa.esp.emit.RawSocketEmitter;
import net.poolsa.esp.event.DropListener;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Netty channel whose reads are the IP packets libpcap captures on one interface and whose writes are
 * IP packets sent through the shared {@link RawSocketEmitter}: capture and emit are the two ends of one
 * pipeline, so the flow between them reads as a list of handlers.
 *
 * <p>Reading runs on the event loop itself: a small waker thread per channel sleeps in {@code poll(2)} on
 * the capture descriptor and, when the kernel has packets, queues one drain task; the task reads with
 * libpcap's {@code pcap_next_ex} (non-blocking, {@link FastPcap}), copies each frame once without its link
 * header into a pooled direct buffer of the loop's own allocator cache, fires {@code channelRead} per
 * packet and one {@code channelReadComplete} per batch, where the last stage flushes the emitter: one
 * {@code sendmmsg} per read batch. Buffers are allocated and released on the same thread (no cross-thread
 * recycling), and a loop that falls behind simply reads later: the 32 MB kernel ring absorbs the burst
 * (backpressure) instead of packets being captured and then dropped. {@code close()} stops the waker
 * within its 100 ms poll timeout.
 *
 * <p>Register it on a plain {@link SingleThreadEventLoop} (e.g. {@code DefaultEventLoop}); all channels of
 * one data plane share that loop and its emitter.
 */
public final class PcapChannel extends AbstractChannel {
    /** The kernel capture buffer (lab notes: a large buffer is what keeps bursts from being dropped). */
    public static final int BUFFER_BYTES = 32 << 20;
    public static final int SNAPLEN = 65535;
    private static final Logger LOG = LoggerFactory.getLogger(PcapChannel.class);
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 64);

    private final String device;
    private final String filter;
    private final PcapHandle.PcapDirection direction;
    private final RawSocketEmitter emitter;
    private final DropListener drops;
    private final ChannelConfig config;
    private final boolean immediate;
    private final Runnable drainTask = this::drain;
    private volatile boolean open = true;
    private volatile boolean draining;
    private volatile PcapHandle handle;
    private volatile Thread thread;
    // Used by the event loop only (after doBeginRead):
    private FastPcap pcap;
    private ByteBufAllocator alloc;
    private int dlt;
    private long nextStats;
    private volatile long captured;
    private volatile long kernelDrops;

    /**
     * @param device    interface name
     * @param filter    BPF filter (tcpdump syntax) applied in the kernel
     * @param direction IN on uplinks (hides what we send ourselves), OUT on a divert sink (routed packets leave through it)
     */
    public PcapChannel(String device, String filter, PcapHandle.PcapDirection direction, RawSocketEmitter emitter,
                       DropListener drops) {
        this(device, filter, direction, emitter, drops, false);
    }

    /**
     * @param immediate libpcap immediate mode: every packet wakes the capture thread (lower latency, measured
     *                  about 1 ms less per gateway pair, at a large throughput cost: docs/benchmarks.md, section 3)
     */
    public PcapChannel(String device, String filter, PcapHandle.PcapDirection direction, RawSocketEmitter emitter,
                       DropListener drops, boolean immediate) {
        super(null);
        this.immediate = immediate;
        this.device = device;
        this.filter = filter;
        this.direction = direction;
        this.emitter = emitter;
        this.drops = drops;
        this.config = new DefaultChannelConfig(this);
    }

    public String device() {
        return device;
    }

    /** Packets the kernel dropped because the capture ring was full (libpcap ps_drop), sampled every second. */
    public long kernelDrops() {
        return kernelDrops;
    }

    /** Frames captured so far (before any drop). */
    public long captured() {
        return captured;
    }

    /**
     * Opens the pcap handle now, so that a missing interface or a bad filter fails the caller (and lets
     * the data plane roll back) instead of failing later in the capture thread.
     */
    public void open() throws PcapNativeException, NotOpenException {
        PcapHandle h = new PcapHandle.Builder(device)
                .snaplen(SNAPLEN)
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                .timeoutMillis(1)
                .immediateMode(immediate)
                .bufferSize(BUFFER_BYTES)
                .build();
        try {
            h.setDirection(direction);
            h.setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE);
        } catch (PcapNativeException | NotOpenException | RuntimeException e) {
            h.close();
            throw e;
        }
        handle = h;
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
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
            try {
                t.join(2000); // the waker sees !open within its poll timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Runs on the event loop (or before registration): no drain task is running concurrently, and a
        // queued one sees !open and does not touch the handle.
        PcapHandle h = handle;
        handle = null;
        if (h != null) {
            h.close();
        }
    }

    @Override
    protected void doBeginRead() {
        if (thread != null || !open) {
            return;
        }
        try {
            if (handle == null) {
                open();
            }
            pcap = new FastPcap(handle);
        } catch (PcapNativeException | NotOpenException | RuntimeException e) {
            pipeline().fireExceptionCaught(e);
            return;
        }
        alloc = config.getAllocator();
        dlt = LinkLayer.code(handle.getDlt());
        nextStats = System.nanoTime();
        Thread t = new Thread(this::wakeLoop, "pcap-" + device);
        t.setDaemon(true);
        thread = t;
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
                emitter.send(b.retain());
            }
            in.remove();
        }
        emitter.flush();
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

    /**
     * Packets read per drain task at most: then the task re-queues itself behind the other channels' tasks,
     * so that a busy sink cannot starve the uplinks (TCP's ACKs come back through them).
     */
    static final int MAX_BATCH = 128;

    /**
     * The waker thread: sleeps in {@code poll(2)} on the capture descriptor until the kernel has packets
     * ready, then hands one drain task to the event loop and waits until it ran dry. It never touches the
     * libpcap handle itself, only its descriptor; reading, copying and the statistics happen on the event
     * loop (libpcap handles are not thread-safe). While the loop is behind, nothing more is read: the
     * kernel ring absorbs the burst (its overflow shows in {@link #kernelDrops()}).
     */
    private void wakeLoop() {
        try {
            while (open) {
                if (pcap.await(100) <= 0 || !open) {
                    continue; // timeout (lets close() stop us) or EINTR
                }
                draining = true;
                eventLoop().execute(drainTask);
                while (draining && open) {
                    LockSupport.parkNanos(this, 100_000_000L);
                }
            }
        } catch (RuntimeException e) {
            if (open) {
                LOG.warn("capture on {} stopped: {}", device, e.toString());
            }
        }
    }

    /**
     * On the event loop: reads up to {@link #MAX_BATCH} packets, copying each once from the ring into a
     * buffer of the loop's own pool (allocated and released on the same thread), fires them as one read
     * batch, and either re-queues itself (more may be ready) or wakes the waker thread (the ring ran dry).
     */
    private void drain() {
        if (!open) {
            wakeWaker();
            return;
        }
        ChannelPipeline p = pipeline();
        int n = 0;
        int r = FastPcap.NONE;
        while (n < MAX_BATCH && (r = pcap.next()) == FastPcap.PACKET) {
            captured++;
            int len = pcap.caplen();
            int at = LinkLayer.ipOffset(dlt, pcap.data(), len);
            if (at < 0) {
                continue; // ARP, LLDP and the like: not ours
            }
            ByteBuf b = alloc.directBuffer(len - at);
            pcap.copyTo(at, len - at, b);
            n++;
            p.fireChannelRead(b);
        }
        if (n > 0) {
            p.fireChannelReadComplete();
        }
        long now = System.nanoTime();
        if (now - nextStats >= 0) {
            try {
                kernelDrops = handle.getStats().getNumPacketsDropped();
            } catch (PcapNativeException | NotOpenException e) {
                LOG.debug("capture statistics on {}: {}", device, e.toString());
            }
            nextStats = now + 1_000_000_000L;
        }
        if (r == FastPcap.PACKET) {
            eventLoop().execute(drainTask); // the batch was full: more are probably waiting
        } else {
            if (r != FastPcap.NONE && open) {
                LOG.warn("capture on {} stopped: pcap_next_ex returned {}", device, r);
                close(); // stops the waker and closes the handle
            }
            wakeWaker();
        }
    }

    private void wakeWaker() {
        draining = false;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}

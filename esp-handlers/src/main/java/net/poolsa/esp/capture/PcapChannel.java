package net.poolsa.esp.capture;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

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
import net.poolsa.esp.event.DropReason;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.RawPacketListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Netty channel whose reads are the IP packets libpcap captures on one interface and whose writes are
 * IP packets sent through the shared {@link RawSocketEmitter}: capture and emit are the two ends of one
 * pipeline, so the flow between them reads as a list of handlers.
 *
 * <p>A dedicated thread runs pcap4j's {@code dispatch} with a raw-bytes listener (3-5x faster than
 * {@code getNextRawPacket}, which can also block forever); each captured frame is copied once into a
 * pooled direct buffer without its link header, and each dispatch batch is handed to the event loop as one
 * task that fires {@code channelRead} per packet and one {@code channelReadComplete}, where the last stage
 * flushes the emitter: one {@code sendmmsg} per read batch. When the event loop falls behind by more than
 * {@link #MAX_PENDING_BATCHES} batches, new batches are dropped as {@link DropReason#OVERLOAD} instead of
 * queueing without bound. {@code close()} stops the loop with {@code breakLoop()}.
 *
 * <p>Register it on a plain {@link SingleThreadEventLoop} (e.g. {@code DefaultEventLoop}); all channels of
 * one data plane share that loop and its emitter.
 */
public final class PcapChannel extends AbstractChannel {
    /** The kernel capture buffer (lab notes: a large buffer is what keeps bursts from being dropped). */
    public static final int BUFFER_BYTES = 32 << 20;
    public static final int SNAPLEN = 65535;
    public static final int MAX_PENDING_BATCHES = 32;
    private static final Logger LOG = LoggerFactory.getLogger(PcapChannel.class);
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 64);

    private final String device;
    private final String filter;
    private final PcapHandle.PcapDirection direction;
    private final RawSocketEmitter emitter;
    private final DropListener drops;
    private final ChannelConfig config;
    private final boolean immediate;
    private final AtomicInteger pendingBatches = new AtomicInteger();
    private volatile boolean open = true;
    private volatile PcapHandle handle;
    private Thread thread;
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
        PcapHandle h = handle;
        if (h != null) {
            try {
                h.breakLoop();
            } catch (NotOpenException ignored) {
                // already closed
            }
        }
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (h != null && t == null) {
            h.close(); // never started: otherwise the capture thread closes its own handle on exit
            handle = null;
        }
    }

    @Override
    protected void doBeginRead() {
        if (thread != null || !open) {
            return;
        }
        if (handle == null) {
            try {
                open();
            } catch (PcapNativeException | NotOpenException e) {
                pipeline().fireExceptionCaught(e);
                return;
            }
        }
        thread = new Thread(this::captureLoop, "pcap-" + device);
        thread.setDaemon(true);
        thread.start();
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

    /** Packets handed to the event loop at most per task, so that a busy ring still yields regular batches. */
    static final int MAX_BATCH = 256;

    private void captureLoop() {
        if (FastPcap.usable()) {
            fastCaptureLoop();
        } else {
            dispatchCaptureLoop();
        }
    }

    /** The hot loop: pcap_next_ex in non-blocking mode, one copy per packet into a pooled direct buffer. */
    private void fastCaptureLoop() {
        PcapHandle h = handle;
        ByteBufAllocator alloc = config.getAllocator();
        int dlt = LinkLayer.code(h.getDlt());
        List<ByteBuf> batch = new ArrayList<>(64);
        long nextStats = System.nanoTime();
        try {
            FastPcap pcap = new FastPcap(h);
            while (open) {
                int r = pcap.next();
                if (r == FastPcap.PACKET) {
                    captured++;
                    int len = pcap.caplen();
                    int at = LinkLayer.ipOffset(dlt, pcap.data(), len);
                    if (at < 0) {
                        continue; // ARP, LLDP and the like: not ours
                    }
                    ByteBuf b = alloc.directBuffer(len - at);
                    if (b.hasMemoryAddress()) {
                        io.netty.util.internal.PlatformDependent.copyMemory(pcap.data() + at, b.memoryAddress() + b.writerIndex(), len - at);
                        b.writerIndex(b.writerIndex() + len - at);
                    } else {
                        for (int i = at; i < len; i++) {
                            b.writeByte(io.netty.util.internal.PlatformDependent.getByte(pcap.data() + i));
                        }
                    }
                    batch.add(b);
                    if (batch.size() < MAX_BATCH) {
                        continue;
                    }
                } else if (r != FastPcap.NONE) {
                    if (open) {
                        LOG.warn("capture on {} stopped: pcap_next_ex returned {}", device, r);
                    }
                    break;
                }
                if (!batch.isEmpty()) {
                    hand(batch);
                    batch = new ArrayList<>(64);
                }
                long now = System.nanoTime();
                if (now - nextStats >= 0) {
                    kernelDrops = h.getStats().getNumPacketsDropped();
                    nextStats = now + 1_000_000_000L;
                }
                if (r == FastPcap.NONE) {
                    pcap.await(100); // until the kernel retires a ring block; 100 ms bounds the reaction to close()
                }
            }
        } catch (PcapNativeException | NotOpenException | RuntimeException e) {
            if (open) {
                LOG.warn("capture on {} stopped: {}", device, e.toString());
            }
        } finally {
            for (ByteBuf b : batch) {
                b.release();
            }
            if (!open && handle != null) {
                h.close();
                handle = null;
            }
        }
    }

    /** Fallback without Unsafe: pcap4j's dispatch with a raw-bytes listener (one byte[] per packet). */
    private void dispatchCaptureLoop() {
        PcapHandle h = handle;
        ByteBufAllocator alloc = config.getAllocator();
        int dlt = LinkLayer.code(h.getDlt());
        List<ByteBuf>[] batch = newBatch();
        RawPacketListener listener = frame -> {
            captured++;
            int at = LinkLayer.ipOffset(dlt, frame);
            if (at < 0) {
                return; // ARP, LLDP and the like: not ours, nothing to count
            }
            ByteBuf b = alloc.directBuffer(frame.length - at);
            b.writeBytes(frame, at, frame.length - at);
            batch[0].add(b);
        };
        long nextStats = System.nanoTime();
        try {
            while (open) {
                h.dispatch(-1, listener);
                long now = System.nanoTime();
                if (now - nextStats >= 0) {
                    // Read by the capture thread itself: libpcap handles are not safe to share between threads.
                    kernelDrops = h.getStats().getNumPacketsDropped();
                    nextStats = now + 1_000_000_000L;
                }
                if (!batch[0].isEmpty()) {
                    hand(batch[0]);
                    batch[0] = new ArrayList<>(64);
                }
            }
        } catch (InterruptedException e) {
            // breakLoop(): normal stop
        } catch (PcapNativeException | NotOpenException e) {
            if (open) {
                LOG.warn("capture on {} stopped: {}", device, e.toString());
            }
        } finally {
            for (ByteBuf b : batch[0]) {
                b.release();
            }
            if (!open && handle != null) {
                h.close();
                handle = null;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<ByteBuf>[] newBatch() {
        return new List[] {new ArrayList<ByteBuf>(64)};
    }

    private void hand(List<ByteBuf> packets) {
        if (pendingBatches.get() >= MAX_PENDING_BATCHES || !isRegistered()) {
            for (ByteBuf b : packets) {
                b.release();
                drops.dropped(DropReason.OVERLOAD, null);
            }
            return;
        }
        pendingBatches.incrementAndGet();
        eventLoop().execute(() -> {
            pendingBatches.decrementAndGet();
            ChannelPipeline p = pipeline();
            if (!open) {
                for (ByteBuf b : packets) {
                    b.release();
                }
                return;
            }
            for (ByteBuf b : packets) {
                p.fireChannelRead(b);
            }
            p.fireChannelReadComplete();
        });
    }
}

package net.poolsa.esp.capture;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import net.poolsa.esp.emit.PacketSink;
import net.poolsa.esp.event.DropListener;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PolledChannel} whose reads are the IP packets captured on one interface, each copied once from the kernel's
 * TPACKET ring without its link header: in immediate mode (the default) from a ring of its own ({@link PacketRxRing},
 * read from Java; the BPF filter still compiled by libpcap), else, or where that ring cannot be set up, through libpcap's
 * {@code pcap_next_ex} in non-blocking mode ({@link FastPcap}); the log says which one at open. Writes go to the given
 * sink (the shared raw-socket emitter, or a TUN device for decapsulated packets).
 */
public final class PcapChannel extends PolledChannel {
    /**
     * The kernel capture buffer at most (lab notes: a large buffer is what keeps bursts from being dropped). libpcap's
     * ring takes all of it; a capture's own ring takes 4096 frames sized from the interface's MTU where that is less
     * (6.5 MB at MTU 1500, {@link PacketRxRing}).
     */
    public static final int BUFFER_BYTES = 32 << 20;
    public static final int SNAPLEN = 65535;
    /**
     * Snapshot length in immediate mode. libpcap then uses a TPACKET_V2 ring of fixed-size frames, sized by
     * the snapshot length on interfaces with offloads (veth): with 65535 the 32 MB ring held only ~500 frames
     * and overflowed under TCP load. 9216 bytes hold a jumbo frame; a longer one is captured truncated and
     * dropped by the decoder (counted); the sink gets segmented packets (offloads off) and ESP is not merged
     * by GRO, so no packet here comes near it.
     */
    public static final int IMMEDIATE_SNAPLEN = 9216;
    private static final Logger LOG = LoggerFactory.getLogger(PcapChannel.class);
    /** A filter no frame passes (no frame is 0 bytes long); "ip and not ip" would be refused as rejecting all. */
    static final String PASS_NOTHING = "less 0";
    /**
     * System property: "false" reads every capture through libpcap; otherwise a capture in immediate mode reads its own
     * TPACKET_V2 ring ({@link PacketRxRing}) where it can set one up.
     */
    public static final String RING_PROPERTY = "poolsa.capture.ring";
    /** Bound on the frames discarded before a fanout join: the ring holds fewer (BUFFER_BYTES / frame size). */
    private static final int MAX_DISCARDED = 1 << 16;

    private final String filter;
    private final PcapHandle.PcapDirection direction;
    private final boolean immediate;
    private volatile PcapHandle handle;
    /** The capture's own ring instead of libpcap's handle (immediate mode, where it could be set up). */
    private volatile PacketRxRing ring;
    private com.sun.jna.Memory pollFd;
    private volatile long captured;
    private volatile long kernelDrops;
    private volatile long kernelReceived;
    // Used by the event loop only, after startSource():
    private FastPcap pcap;
    private ByteBufAllocator alloc;
    private int dlt;
    private long nextStats;
    /** The interface's index when the capture started: a different one later means it was deleted and re-created. */
    private int ifindex;
    private String lastError;

    /**
     * @param device    interface name
     * @param filter    BPF filter (tcpdump syntax) applied in the kernel
     * @param direction IN on uplinks (hides what we send ourselves), OUT on a divert sink (routed packets leave through it)
     */
    public PcapChannel(String device, String filter, PcapHandle.PcapDirection direction, PacketSink writes,
                       DropListener drops) {
        this(device, filter, direction, writes, drops, false);
    }

    /**
     * @param immediate libpcap immediate mode: every packet wakes the reader instead of every retired ring
     *                  block (TPACKET_V3's 1 ms block timeout): lower latency (docs/benchmarks.md, section 3)
     */
    public PcapChannel(String device, String filter, PcapHandle.PcapDirection direction, PacketSink writes,
                       DropListener drops, boolean immediate) {
        super(device, writes);
        this.immediate = immediate;
        this.filter = filter;
        this.direction = direction;
    }

    /** Packets the kernel dropped because the capture ring was full (libpcap ps_drop), sampled every second. */
    public long kernelDrops() {
        return kernelDrops;
    }

    /**
     * Frames the kernel put into the capture ring (libpcap ps_recv), sampled every second with {@link #kernelDrops()}:
     * more than {@link #captured()} when libpcap skipped some in user space (frames of the wrong direction).
     */
    public long kernelReceived() {
        return kernelReceived;
    }

    /** Frames captured so far. */
    public long captured() {
        PacketRxRing r = ring;
        return r != null ? r.taken() : captured;
    }

    /** Whether the capture reads its own TPACKET ring (else libpcap's handle); after {@link #open()}. */
    public boolean readsItsOwnRing() {
        return ring != null;
    }

    /**
     * Opens the pcap handle now, so that a missing interface or a bad filter fails the caller (and lets
     * the data plane roll back) instead of failing later on the event loop.
     */
    public void open() throws PcapNativeException, NotOpenException {
        open(false);
    }

    /**
     * Opens the pcap handle as one of the captures of a PACKET_FANOUT group on this interface: the kernel
     * hands each packet to one of them by flow hash, so the packets of one flow (the fragments of one datagram
     * included: the hash of a fragment has no ports) always reach the same capture, in order. A socket receives every frame of its interface from activation until it joins; the captures
     * already in the group receive those frames too, so each would reach the data plane twice (an ESP packet dropped
     * as a replay, a probe reply refused as already answered). So the socket first takes a filter that passes
     * nothing, joins, discards what its ring got before that filter, and only then takes its own filter.
     *
     * @param group the id another capture of this interface returned, or -1 for a new group
     * @return the group's id, for the other captures of the interface
     */
    public int openInFanout(int group) throws PcapNativeException, NotOpenException {
        open(true);
        PacketRxRing r = ring;
        if (r != null) {
            try {
                return r.joinFanout(group < 0 ? FastPcap.NEW_FANOUT_GROUP : group, filter);
            } catch (RuntimeException e) {
                ring = null;
                r.close();
                throw e;
            }
        }
        PcapHandle h = handle;
        try {
            int id = FastPcap.joinFanout(h, group < 0 ? FastPcap.NEW_FANOUT_GROUP : group);
            // Nothing passes the filter now: read the ring empty without waiting (the loop sets non-blocking mode too).
            h.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
            for (int i = 0; i < MAX_DISCARDED && h.getNextPacket() != null; i++) {
                // a frame the group's other captures also got: dropped here
            }
            h.setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE);
            return id;
        } catch (PcapNativeException | NotOpenException | RuntimeException e) {
            handle = null;
            h.close();
            throw e;
        }
    }

    private void open(boolean passNothingYet) throws PcapNativeException, NotOpenException {
        String why = "not in immediate mode";
        if (immediate && !"false".equalsIgnoreCase(System.getProperty(RING_PROPERTY, "true").trim())) {
            try {
                ring = PacketRxRing.open(device(), filter, direction == PcapHandle.PcapDirection.OUT, IMMEDIATE_SNAPLEN,
                        BUFFER_BYTES, passNothingYet);
                LOG.info("capture on {}: its own {}", device(), ring);
                return;
            } catch (RuntimeException | LinkageError e) {
                why = e.getMessage();
            }
        } else if (immediate) {
            why = "-D" + RING_PROPERTY + "=false";
        }
        PcapHandle h = new PcapHandle.Builder(device())
                .snaplen(immediate ? IMMEDIATE_SNAPLEN : SNAPLEN)
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                .timeoutMillis(1)
                .immediateMode(immediate)
                .bufferSize(BUFFER_BYTES)
                .build();
        try {
            h.setDirection(direction);
            if (direction == PcapHandle.PcapDirection.IN && !FastPcap.ignoreOutgoing(h)) {
                LOG.debug("capture on {}: no PACKET_IGNORE_OUTGOING, libpcap skips outgoing frames itself", device());
            }
            h.setFilter(passNothingYet ? PASS_NOTHING : filter, BpfProgram.BpfCompileMode.OPTIMIZE);
        } catch (PcapNativeException | NotOpenException | RuntimeException e) {
            h.close();
            throw e;
        }
        handle = h;
        LOG.info("capture on {}: libpcap ({})", device(), why);
    }

    @Override
    protected void startSource() throws PcapNativeException, NotOpenException {
        if (handle == null && ring == null) {
            open();
        }
        alloc = config().getAllocator();
        nextStats = System.nanoTime();
        if (ring != null) {
            pollFd = new com.sun.jna.Memory(8);
            pollFd.setInt(0, ring.descriptor());
            pollFd.setShort(4, (short) 1); // POLLIN
        } else {
            pcap = new FastPcap(handle);
            dlt = LinkLayer.code(handle.getDlt());
        }
        ifindex = FastPcap.interfaceIndex(descriptor(), device());
    }

    /**
     * What the log says when the capture reports an error or fails: the interface's state and what to do. A socket
     * whose interface goes down is unbound with ENETDOWN and bound again by the kernel at the up (packet(7)); one
     * whose interface was deleted stays bound to the old index and never reads again.
     */
    @Override
    protected String sourceState() {
        String dev = device();
        String pcapError = lastError == null ? "" : " (" + lastError + ")";
        int flags = FastPcap.interfaceFlags(descriptor(), dev);
        int index = FastPcap.interfaceIndex(descriptor(), dev);
        if (flags == -FastPcap.ENODEV || index == -FastPcap.ENODEV) {
            return "interface " + dev + " no longer exists: this capture cannot read again; re-create it and restart poolsa"
                    + pcapError;
        }
        if (flags < 0 || index < 0) {
            return "the state of interface " + dev + " is unknown (errno " + -Math.min(flags, index) + ")" + pcapError;
        }
        if (index != ifindex) {
            return "interface " + dev + " was deleted and re-created (index " + ifindex + ", now " + index
                    + "): this capture is bound to the old one; restart poolsa" + pcapError;
        }
        if ((flags & FastPcap.IFF_UP) == 0) {
            return "interface " + dev + " is down: reading resumes when it is up (ip link set " + dev + " up)" + pcapError;
        }
        if ((flags & FastPcap.IFF_RUNNING) == 0) {
            return "interface " + dev + " is up without a carrier: reading resumes when its link is" + pcapError;
        }
        return "interface " + dev + " is up" + pcapError;
    }

    @Override
    protected int descriptor() {
        PacketRxRing r = ring;
        return r != null ? r.descriptor() : pcap.descriptor();
    }

    @Override
    protected int awaitReadable(int millis) {
        int r = ring != null ? FastPcap.LibPoll.poll(pollFd, 1, millis) : pcap.await(millis);
        return r < 0 ? 0 : r; // EINTR; a closed descriptor shows as POLLNVAL (> 0) and the drain task finds the handle gone
    }

    @Override
    protected int readBatch(ChannelPipeline p, int max) {
        PacketRxRing ownRing = ring;
        if (ownRing != null) {
            return readRing(ownRing, p, max);
        }
        int n = 0;
        int r = FastPcap.NONE;
        while (n < max && (r = pcap.next()) == FastPcap.PACKET) {
            captured++;
            n++;
            int len = pcap.caplen();
            int at = LinkLayer.ipOffset(dlt, pcap.data(), len);
            if (at < 0) {
                continue; // ARP, LLDP and the like: not ours
            }
            ByteBuf b = alloc.directBuffer(len - at);
            pcap.copyTo(at, len - at, b);
            p.fireChannelRead(b);
        }
        long now = System.nanoTime();
        if (now - nextStats >= 0) {
            try {
                PcapStat stat = handle.getStats();
                kernelDrops = stat.getNumPacketsDropped();
                kernelReceived = stat.getNumPacketsReceived();
            } catch (PcapNativeException | NotOpenException e) {
                LOG.debug("capture statistics on {}: {}", device(), e.toString());
            }
            nextStats = now + 1_000_000_000L;
        }
        if (r != FastPcap.PACKET && r != FastPcap.NONE) {
            lastError = "pcap_next_ex returned " + r + ": " + pcap.error(); // logged by the caller, at a rate limit
            return n > 0 ? n : -1; // the packets read first are delivered; the error comes back at the next read
        }
        lastError = null;
        return n;
    }

    private int readRing(PacketRxRing r, ChannelPipeline p, int max) {
        int n = r.read(p, alloc, max);
        long now = System.nanoTime();
        if (now - nextStats >= 0) {
            r.updateStatistics();
            kernelDrops = r.drops();
            kernelReceived = r.received();
            nextStats = now + 1_000_000_000L;
        }
        if (n == 0) {
            // Nothing to read, so maybe an error report: take it (ENETDOWN, the interface went down) so that a
            // level-triggered epoll does not report it again.
            int err = r.takeError();
            if (err != 0 && err != PacketRxRing.ENETDOWN) {
                lastError = "socket error, errno " + err; // logged by the caller, at a rate limit
                return -1;
            }
        }
        lastError = null;
        return n;
    }

    @Override
    protected void closeSource() {
        PcapHandle h = handle;
        handle = null;
        if (h != null) {
            h.close();
        }
        PacketRxRing r = ring;
        ring = null;
        if (r != null) {
            captured = r.taken(); // captured() reads this field once the ring is gone
            r.close();
        }
        if (pollFd != null) {
            pollFd.close();
            pollFd = null;
        }
    }
}

package net.poolsa.esp.capture;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import io.netty.util.internal.PlatformDependent;
import net.poolsa.esp.event.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code PACKET_MMAP} receive ring ({@code AF_PACKET}, {@code TPACKET_V2}) on one interface, read from Java: each
 * frame's IP packet is copied once, from the ring into the pooled buffer the pipeline gets, without libpcap's
 * {@code pcap_next_ex} (a JNA call per packet, and in immediate mode a second copy into libpcap's own buffer). Only the
 * filter is still libpcap's: compiled by {@code pcap_compile} for the interface's link type and attached with
 * {@code SO_ATTACH_FILTER}. A frame:
 *
 * <pre>
 * 0   tpacket2_hdr: tp_status u32 | tp_len u32 | tp_snaplen u32 | tp_mac u16 | tp_net u16 | tp_sec, tp_nsec u32 | ... (32)
 * 32  sockaddr_ll: sll_family u16 | sll_protocol u16 | sll_ifindex s32 | sll_hatype u16 | sll_pkttype u8 | ...
 * tp_mac: the link-layer frame, tp_snaplen bytes
 * </pre>
 *
 * Frames go {@code KERNEL -> USER} (the kernel filled it) {@code -> KERNEL} (we read it), in ring order. Use from one
 * thread only, except {@link #descriptor()}.
 *
 * @see <a href="https://www.kernel.org/doc/html/latest/networking/packet_mmap.html">PACKET_MMAP</a>
 */
final class PacketRxRing implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_ERROR = 4;
    private static final int SO_ATTACH_FILTER = 26;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_RX_RING = 5;
    private static final int PACKET_STATISTICS = 6;
    private static final int PACKET_VERSION = 10;
    private static final int PACKET_IGNORE_OUTGOING = 23;
    private static final int TPACKET_V2 = 1;
    private static final int TP_STATUS_KERNEL = 0;
    private static final int TP_STATUS_USER = 1;
    private static final int PACKET_OUTGOING = 4;
    /** ETH_P_ALL in network byte order (bind's sll_protocol). */
    private static final short ETH_P_ALL_BE = 0x0300;
    private static final int ARPHRD_ETHER = 1;
    private static final int ARPHRD_LOOPBACK = 772;
    private static final int ARPHRD_NONE = 0xfffe;
    private static final long SIOCGIFHWADDR = 0x8927;
    private static final long SIOCGIFMTU = 0x8921;
    static final int ENETDOWN = 100;
    /**
     * Where the kernel puts the link header of an Ethernet frame: TPACKET_ALIGN(TPACKET2_HDRLEN + 16) - 14 (packet(7):
     * the network header at the first 16-byte boundary after the headers and 16 bytes of link-header room).
     */
    private static final int FRAME_OVERHEAD = 80;
    /** Link-layer bytes a frame may carry before its IP packet: Ethernet with two VLAN tags. */
    static final int LINK_HEADROOM = 22;
    /** Frames the ring holds where its memory cap allows: more than the old 32 MB ring of 9,296-byte frames did. */
    static final int FRAMES = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(PacketRxRing.class);
    private static final int BLOCK_BYTES = 1 << 17;
    private static final long MAP_FAILED = -1L;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final String device;
    private final int fd;
    private final int dlt;
    private final int frameSize;
    private final int frameCount;
    private final long mapped;
    private final long mappedLength;
    private final ByteBuffer ring;
    private final boolean outgoing;
    private final int snaplen;
    private final Memory scratch = new Memory(16);
    private final RateLimitedLog truncations = RateLimitedLog.perTenSeconds(1);
    private final int perBlock;
    /** The next frame to read: its offset in the mapping, and its place in its block (frames never straddle blocks). */
    private int next;
    private int nextInBlock;
    private long received;
    private long truncatedFrames;
    private long drops;
    /** Frames of the capture's direction read (the IP packets and the others). */
    private long taken;
    private boolean closed;

    private PacketRxRing(String device, int fd, int dlt, int frameSize, int frameCount, long mapped, long mappedLength,
                         boolean outgoing, int snaplen) {
        this.device = device;
        this.fd = fd;
        this.dlt = dlt;
        this.frameSize = frameSize;
        this.frameCount = frameCount;
        this.mapped = mapped;
        this.mappedLength = mappedLength;
        this.outgoing = outgoing;
        this.snaplen = snaplen;
        this.perBlock = BLOCK_BYTES / frameSize;
        this.ring = new Pointer(mapped).getByteBuffer(0, mappedLength).order(ByteOrder.nativeOrder());
    }

    /**
     * Opens a ring of about {@code bufferBytes} on {@code device} (in the calling thread's network namespace; needs
     * CAP_NET_RAW), frames of {@code snaplen} bytes of link-layer frame at most (longer ones are truncated).
     *
     * @param filter   tcpdump syntax, compiled by libpcap for the interface's link type
     * @param outgoing true: only the frames this host sends (a divert sink); false: only the frames it receives (the
     *                 kernel does not even queue the others: PACKET_IGNORE_OUTGOING)
     * @param passNothing attach a filter that passes nothing instead (a fanout member before its join: see
     *                    {@link #attachFilter})
     * @throws IllegalStateException when the interface's link type is not one read here, or the kernel refuses a step
     *                               (the caller then uses libpcap)
     */
    static PacketRxRing open(String device, String filter, boolean outgoing, int snaplen, int bufferBytes,
                             boolean passNothing) {
        int fd = LibRing.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); // protocol 0: nothing arrives before bind
        String step = "SIOCGIFHWADDR";
        long addr = MAP_FAILED;
        long length = 0;
        try {
            int ifindex = FastPcap.interfaceIndex(fd, device);
            if (ifindex < 0) {
                throw new IllegalStateException("no interface " + device + " (errno " + -ifindex + ")");
            }
            int dlt = linkType(fd, device);
            int mtu = mtu(fd, device);
            // Frames as long as the interface's packets, not the cap: every frame the kernel fills or looks ahead
            // at (tpacket_rcv checks the frame a quarter of the ring ahead for room) is memory a packet touches, and
            // 32 MB of 9 KB frames missed the caches for each (packet_lookup_frame: 10 % of a gateway's CPU with its
            // peer's receive run inline, 5 % with 4 MB of 1.6 KB frames).
            int wanted = mtu > 0 ? Math.min(snaplen, mtu + LINK_HEADROOM) : snaplen;
            int frameSize = (FRAME_OVERHEAD + wanted + 15) & ~15;
            if (frameSize > BLOCK_BYTES) {
                throw new IllegalStateException("snaplen " + wanted + " does not fit a ring block");
            }
            snaplen = frameSize - FRAME_OVERHEAD;
            int perBlock = BLOCK_BYTES / frameSize;
            int blocks = Math.max(1, Math.min(bufferBytes / BLOCK_BYTES, (FRAMES + perBlock - 1) / perBlock));
            int frames = blocks * perBlock;
            try (Memory v = new Memory(20)) {
                step = "PACKET_VERSION";
                v.setInt(0, TPACKET_V2);
                LibRing.setsockopt(fd, SOL_PACKET, PACKET_VERSION, v, 4);
                step = "PACKET_RX_RING";
                v.setInt(0, BLOCK_BYTES);
                v.setInt(4, blocks);
                v.setInt(8, frameSize);
                v.setInt(12, frames);
                LibRing.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, v, 16);
                length = (long) blocks * BLOCK_BYTES;
                step = "mmap";
                addr = LibRing.mmap(null, length, 1 | 2, 1, fd, 0); // PROT_READ | PROT_WRITE, MAP_SHARED
                if (addr == MAP_FAILED) {
                    throw new LastErrorException(Native.getLastError());
                }
                step = "SO_ATTACH_FILTER";
                attachFilter(fd, dlt, snaplen, passNothing ? PcapChannel.PASS_NOTHING : filter);
                if (!outgoing) {
                    step = "PACKET_IGNORE_OUTGOING";
                    v.setInt(0, 1);
                    try {
                        LibRing.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, v, 4);
                    } catch (LastErrorException e) {
                        // Linux before 4.20: the outgoing frames are queued and skipped in read()
                    }
                }
                step = "bind";
                v.clear();
                v.setShort(0, (short) AF_PACKET);
                v.setShort(2, ETH_P_ALL_BE);
                v.setInt(4, ifindex);
                LibRing.bind(fd, v, 20);
            }
            return new PacketRxRing(device, fd, dlt, frameSize, frames, addr, length, outgoing, snaplen);
        } catch (LastErrorException e) {
            release(fd, addr, length);
            throw new IllegalStateException(step + " on " + device + " failed (errno " + e.getErrorCode() + ")", e);
        } catch (RuntimeException e) {
            release(fd, addr, length);
            throw e;
        }
    }

    private static void release(int fd, long addr, long length) {
        if (addr != MAP_FAILED) {
            LibRing.munmap(new Pointer(addr), length);
        }
        LibRing.close(fd);
    }

    /** A zeroed {@code struct ifreq} naming {@code device}, for an interface ioctl. */
    private static Memory ifreq(String device) {
        byte[] n = device.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Memory ifr = new Memory(40);
        ifr.clear();
        ifr.write(0, n, 0, Math.min(n.length, 15));
        return ifr;
    }

    /** The interface's MTU, or -1 when the kernel does not say. */
    private static int mtu(int fd, String device) {
        try (Memory ifr = ifreq(device)) {
            LibRing.ioctl(fd, SIOCGIFMTU, ifr);
            return ifr.getInt(16); // ifr_mtu
        } catch (LastErrorException e) {
            return -1;
        }
    }

    /** The libpcap link type of the frames: what the filter is compiled for and {@link LinkLayer} reads. */
    private static int linkType(int fd, String device) {
        try (Memory ifr = ifreq(device)) {
            LibRing.ioctl(fd, SIOCGIFHWADDR, ifr);
            int hatype = ifr.getShort(16) & 0xffff; // ifr_hwaddr.sa_family
            switch (hatype) {
                case ARPHRD_ETHER:
                case ARPHRD_LOOPBACK:
                    return LinkLayer.ETHERNET;
                case ARPHRD_NONE:
                    return LinkLayer.RAW;
                default:
                    throw new IllegalStateException("link type ARPHRD " + hatype + " of " + device + " is libpcap's to read");
            }
        }
    }

    private static void attachFilter(int fd, int dlt, int snaplen, String filter) {
        FastPcap.attachFilter(fd, dlt, snaplen, filter);
    }

    /**
     * Joins the ring's socket to a PACKET_FANOUT group ({@link FastPcap#joinFanout(int, int)}) and only then attaches
     * its filter: opened with {@code passNothing}, it took no frame before the join (the filter was attached before the
     * bind), so no frame reaches the data plane through two captures of the group.
     *
     * @return the group's id
     */
    int joinFanout(int group, String filter) {
        int id = FastPcap.joinFanout(fd, group);
        attachFilter(fd, dlt, snaplen, filter);
        return id;
    }

    int descriptor() {
        return fd;
    }

    /**
     * Reads at most {@code max} frames: each IP packet of the right direction is copied into a buffer of {@code alloc}
     * and fired as {@code channelRead}; the frame goes back to the kernel before the pipeline sees the packet.
     *
     * @return frames consumed (IP or not), 0 when none was ready
     */
    int read(ChannelPipeline p, ByteBufAllocator alloc, int max) {
        int n = 0;
        while (n < max) {
            int base = next;
            if (((int) INT.getAcquire(ring, base) & TP_STATUS_USER) == 0) {
                break;
            }
            n++;
            if (++nextInBlock < perBlock) {
                next += frameSize;
            } else {
                nextInBlock = 0;
                next = base - (perBlock - 1) * frameSize + BLOCK_BYTES;
                if (next >= mappedLength) {
                    next = 0;
                }
            }
            boolean sent = (ring.get(base + 42) & 0xff) == PACKET_OUTGOING; // sockaddr_ll.sll_pkttype
            ByteBuf b = null;
            if (sent == outgoing) {
                taken++;
                int len = ring.getInt(base + 8); // tp_snaplen
                if (len < ring.getInt(base + 4)) {
                    truncated(ring.getInt(base + 4)); // the decoder drops the packet, counted by its reason
                }
                long frame = mapped + base + (ring.getShort(base + 12) & 0xffff);
                int at = LinkLayer.ipOffset(dlt, frame, len);
                if (at >= 0) { // ARP, LLDP and the like are not ours
                    b = alloc.directBuffer(len - at);
                    copy(frame + at, len - at, b);
                }
            }
            INT.setRelease(ring, base, TP_STATUS_KERNEL);
            if (b != null) {
                p.fireChannelRead(b);
            }
        }
        return n;
    }

    private void truncated(int length) {
        truncatedFrames++;
        long suppressed = truncations.permit(0);
        if (suppressed >= 0) {
            LOG.warn("event=capture_truncated interface={} frame_bytes={} ring_frame_bytes={} suppressed={} "
                    + "(the ring's frames were sized from the interface's MTU at start: restart poolsa after raising "
                    + "the MTU of {})", device, length, snaplen, suppressed, device);
        }
    }

    private static void copy(long from, int length, ByteBuf to) {
        int wi = to.writerIndex();
        if (to.hasMemoryAddress()) {
            PlatformDependent.copyMemory(from, to.memoryAddress() + wi, length);
        } else {
            to.setBytes(wi, new Pointer(from).getByteBuffer(0, length));
        }
        to.writerIndex(wi + length);
    }

    /**
     * Takes the socket's pending error (SO_ERROR reads and clears it): ENETDOWN when its interface went down (the
     * kernel binds it again at the up). Clearing it keeps a level-triggered epoll from reporting it again.
     *
     * @return the errno, 0 for none
     */
    int takeError() {
        scratch.setInt(0, 0);
        scratch.setInt(4, 4);
        try {
            LibRing.getsockopt(fd, SOL_SOCKET, SO_ERROR, scratch, scratch.share(4));
            return scratch.getInt(0);
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
    }

    /** Adds the kernel's counters since the last call (PACKET_STATISTICS reads and resets them) to the totals. */
    void updateStatistics() {
        scratch.setInt(8, 8);
        try {
            LibRing.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, scratch, scratch.share(8));
            received += scratch.getInt(0) & 0xffffffffL;
            drops += scratch.getInt(4) & 0xffffffffL;
        } catch (LastErrorException e) {
            // the totals stay as they were
        }
    }

    /** Frames of the capture's direction read so far (what libpcap would have returned). */
    long taken() {
        return taken;
    }

    /** Frames of the capture's direction longer than the ring's frames (captured truncated, then dropped). */
    long truncatedFrames() {
        return truncatedFrames;
    }

    /** The longest link-layer frame the ring holds whole. */
    int snaplen() {
        return snaplen;
    }

    /** Frames the kernel handed the ring, the dropped ones included (libpcap's ps_recv), at the last update. */
    long received() {
        return received;
    }

    /** Frames the kernel dropped because the ring was full (libpcap's ps_drop), at the last update. */
    long drops() {
        return drops;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            release(fd, mapped, mappedLength);
            scratch.close();
        }
    }

    @Override
    public String toString() {
        return "TPACKET_V2 ring of " + frameCount + " frames of " + frameSize + " bytes (link frames up to " + snaplen + " bytes)";
    }

    /** The libc calls of the ring, bound with JNA direct mapping. */
    static final class LibRing {
        static {
            Native.register(LibRing.class, "c");
        }

        private LibRing() {
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native int setsockopt(int fd, int level, int name, Pointer value, int len) throws LastErrorException;

        static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len) throws LastErrorException;

        static native int bind(int fd, Pointer addr, int len) throws LastErrorException;

        static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

        /** Returns the address, or -1 (MAP_FAILED): errno from {@link Native#getLastError()}. */
        static native long mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

        static native int munmap(Pointer addr, long length);

        static native int close(int fd);
    }
}

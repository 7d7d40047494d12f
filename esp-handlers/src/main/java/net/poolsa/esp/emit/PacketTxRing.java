package net.poolsa.esp.emit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * A {@code PACKET_MMAP} transmit ring ({@code AF_PACKET}, {@code TPACKET_V2}) bound to one interface. Each frame is
 * a {@code tpacket2_hdr}, a {@code virtio_net_hdr} and the Ethernet frame:
 *
 * <pre>
 * 0   tpacket2_hdr: tp_status u32 | tp_len u32 | tp_snaplen u32 | tp_mac u16 | tp_net u16 | ... (32 bytes)
 * 32  virtio_net_hdr: flags u8 = 0 | gso_type u8 = 0 | hdr_len u16 = frame length | gso_size, csum_start, csum_offset = 0
 * 42  Ethernet header (14 bytes), then the IP packet
 * </pre>
 *
 * The virtio header ({@code PACKET_VNET_HDR}) is there for its {@code hdr_len}: the kernel copies that many bytes into
 * the socket buffer's linear part, here the whole frame. Without it the kernel attaches the ring's pages to the buffer
 * (zero copy) and the receiver has to pull every header out of a page fragment first: on veth, with a receiver that
 * captures and drops like a poolsa peer, the copy measured cheaper per packet than the page references
 * (bench/datapath/emit.sh, docs/benchmarks.md section 3).
 *
 * <p>Frames go {@code AVAILABLE -> SEND_REQUEST} (us) {@code -> SENDING -> AVAILABLE} (kernel, when the buffer is
 * freed). The kernel sends the frames from its head onwards as long as they are {@code SEND_REQUEST}, so the slot
 * we write next is always the kernel's head plus the frames it has not taken yet.
 *
 * @see <a href="https://www.kernel.org/doc/html/latest/networking/packet_mmap.html">PACKET_MMAP</a>
 */
final class PacketTxRing implements TxRing {
    static final int SOL_PACKET = 263;
    static final int PACKET_VERSION = 10;
    static final int PACKET_TX_RING = 13;
    static final int PACKET_LOSS = 14;
    static final int PACKET_VNET_HDR = 15;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int TPACKET_V2 = 1;
    static final int TP_STATUS_AVAILABLE = 0;
    static final int TP_STATUS_SEND_REQUEST = 1;
    /** tpacket2_hdr (32, aligned to 16) + virtio_net_hdr (10): where the Ethernet header starts. */
    static final int DATA_OFFSET = 32;
    static final int VNET_HDR = 10;
    static final int LINK_OFFSET = DATA_OFFSET + VNET_HDR;
    private static final int ENETDOWN = 100;
    private static final int ENXIO = 6;
    private static final int ENODEV = 19;
    private static final int EMSGSIZE = 90;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final String name;
    private final int fd;
    private final int frameSize;
    private final int frameCount;
    private final long mapped;
    private final long mappedLength;
    private final ByteBuffer frames;
    private final ByteBuffer nativeOrder;
    private final boolean bypass;
    private int next;
    /** Committed frames the kernel has not taken yet: they start at our model of its head. */
    private int unsent;
    private int queued;
    private int lastError;
    private boolean closed;

    private PacketTxRing(String name, int fd, int frameSize, int frameCount, long mapped, long mappedLength, boolean bypass) {
        this.name = name;
        this.fd = fd;
        this.frameSize = frameSize;
        this.frameCount = frameCount;
        this.mapped = mapped;
        this.mappedLength = mappedLength;
        this.bypass = bypass;
        ByteBuffer b = new Pointer(mapped).getByteBuffer(0, mappedLength);
        this.frames = b.duplicate().order(ByteOrder.BIG_ENDIAN);
        this.nativeOrder = b.duplicate().order(ByteOrder.nativeOrder());
    }

    /**
     * Opens a ring of {@code frameCount} frames on interface {@code ifindex} (needs CAP_NET_RAW).
     *
     * @param maxFrame    the largest Ethernet frame to hold (MTU + 14)
     * @param qdiscBypass PACKET_QDISC_BYPASS: frames go to the driver directly, skipping the queueing discipline,
     *                    traffic control and the host's own packet taps (tcpdump on this host does not see them)
     * @param fwmark      skb mark of every frame (for tc filters), 0 for none
     * @throws IllegalStateException with the failing step and errno when the kernel refuses
     */
    static PacketTxRing open(String name, int ifindex, int maxFrame, int frameCount, boolean qdiscBypass, int fwmark) {
        int frameSize = Integer.highestOneBit(Math.max(LINK_OFFSET + maxFrame - 1, 2047)) << 1;
        int block = Math.max(frameSize, 1 << 16);
        int perBlock = block / frameSize;
        int blocks = (frameCount + perBlock - 1) / perBlock;
        int frames = blocks * perBlock;
        int fd = LibC.socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0); // protocol 0: receives nothing
        String step = "setsockopt PACKET_VERSION";
        try (Memory v = new Memory(20)) {
            v.setInt(0, TPACKET_V2);
            LibC.setsockopt(fd, SOL_PACKET, PACKET_VERSION, v, 4);
            v.setInt(0, 1);
            step = "setsockopt PACKET_LOSS";
            LibC.setsockopt(fd, SOL_PACKET, PACKET_LOSS, v, 4); // a malformed frame is skipped, never blocks the ring
            step = "setsockopt PACKET_VNET_HDR";
            LibC.setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, v, 4);
            if (qdiscBypass) {
                step = "setsockopt PACKET_QDISC_BYPASS";
                LibC.setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, v, 4);
            }
            if (fwmark != 0) {
                step = "setsockopt SO_MARK";
                v.setInt(0, fwmark);
                LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, v, 4);
            }
            // Frames in flight count against the send buffer: it must not be what stops the ring first.
            v.setInt(0, 2 * frames * frameSize);
            try {
                LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, v, 4);
            } catch (LastErrorException e) {
                LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, v, 4);
            }
            step = "setsockopt PACKET_TX_RING";
            v.setInt(0, block);
            v.setInt(4, blocks);
            v.setInt(8, frameSize);
            v.setInt(12, frames);
            LibC.setsockopt(fd, SOL_PACKET, PACKET_TX_RING, v, 16);
            step = "bind";
            v.clear();
            v.setShort(0, (short) LibC.AF_PACKET);
            v.setInt(4, ifindex);
            LibC.bind(fd, v, 20);
        } catch (LastErrorException e) {
            LibC.close(fd);
            throw new IllegalStateException(step + " on " + name + " failed (errno " + e.getErrorCode() + ")", e);
        }
        long length = (long) frames * frameSize;
        long addr = LibC.mmap(null, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (addr == LibC.MAP_FAILED) {
            int errno = Native.getLastError();
            LibC.close(fd);
            throw new IllegalStateException("mmap of the TX ring on " + name + " failed (errno " + errno + ")");
        }
        return new PacketTxRing(name, fd, frameSize, frames, addr, length, qdiscBypass);
    }

    @Override
    public ByteBuffer frames() {
        return frames;
    }

    @Override
    public long address() {
        return mapped;
    }

    @Override
    public int frameCapacity() {
        return frameSize - LINK_OFFSET;
    }

    int frameCount() {
        return frameCount;
    }

    private int status(int frame) {
        return (int) INT.getAcquire(nativeOrder, frame * frameSize);
    }

    @Override
    public int claim() {
        if (unsent == frameCount || status(next) != TP_STATUS_AVAILABLE) {
            return -1;
        }
        return next * frameSize + LINK_OFFSET;
    }

    @Override
    public void commit(int offset, int frameLength) {
        int base = offset - LINK_OFFSET;
        nativeOrder.putInt(base + 4, VNET_HDR + frameLength);
        // virtio_net_hdr: no flags, no GSO, hdr_len = the whole frame (copied into the socket buffer).
        nativeOrder.putLong(base + DATA_OFFSET, (long) frameLength << 16);
        nativeOrder.putShort(base + DATA_OFFSET + 8, (short) 0);
        INT.setRelease(nativeOrder, base, TP_STATUS_SEND_REQUEST);
        next = next + 1 == frameCount ? 0 : next + 1;
        unsent++;
        queued++;
    }

    @Override
    public int queued() {
        return queued;
    }

    @Override
    public int kick() {
        if (queued == 0 && unsent == 0) {
            return 0;
        }
        long r = LibC.sendto(fd, null, 0, LibC.MSG_DONTWAIT, null, 0);
        int errno = r < 0 ? Native.getLastError() : 0;
        // The kernel took a prefix of the committed frames: advance our model of its head past them.
        int head = Math.floorMod(next - unsent, frameCount);
        while (unsent > 0 && status(head) != TP_STATUS_SEND_REQUEST) {
            head = head + 1 == frameCount ? 0 : head + 1;
            unsent--;
        }
        queued = unsent;
        if (errno == 0) {
            return 0;
        }
        lastError = errno;
        if (errno != ENETDOWN && errno != ENXIO && errno != ENODEV && errno != EMSGSIZE) {
            return 0; // EAGAIN, ENOBUFS: the frames stay queued and go with the next kick
        }
        // Refused for good (link down or gone): give the frames back and rewind to the kernel's head.
        int dropped = unsent;
        for (int i = 0; i < dropped; i++) {
            INT.setRelease(nativeOrder, ((head + i) % frameCount) * frameSize, TP_STATUS_AVAILABLE);
        }
        next = head;
        unsent = 0;
        queued = 0;
        return dropped;
    }

    @Override
    public int lastError() {
        return lastError;
    }

    @Override
    public String kind() {
        return "TPACKET_V2 TX ring on " + name + " (" + frameCount + " x " + frameSize + " bytes" + (bypass ? ", qdisc bypass" : "") + ")";
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kick();
            LibC.munmap(new Pointer(mapped), mappedLength);
            LibC.close(fd);
        }
    }
}

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
 * A transmit-only AF_XDP socket in copy mode ({@code XDP_COPY}) bound to queue 0 of one interface: frames are
 * written into a UMEM area of {@link #CHUNK}-byte chunks, described on the TX ring, sent by a {@code sendto} kick, and
 * come back on the completion ring once the kernel has copied them into a socket buffer. No XDP program is needed to
 * transmit. Works on any interface (generic mode), bypasses the queueing discipline and the host's packet taps like
 * {@code PACKET_QDISC_BYPASS}.
 *
 * <pre>
 * xdp_desc (TX ring):  addr u64 (offset in the UMEM) | len u32 | options u32
 * completion ring:     addr u64 of each chunk the kernel is done with
 * ring header:         producer u32, consumer u32 at the offsets XDP_MMAP_OFFSETS reports
 * </pre>
 *
 * Only one AF_XDP socket can be bound to a queue: a second data plane on the same interface gets EBUSY and falls back.
 * The UMEM is pinned memory: without CAP_IPC_LOCK it counts against RLIMIT_MEMLOCK.
 *
 * @see <a href="https://www.kernel.org/doc/html/latest/networking/af_xdp.html">AF_XDP</a>
 */
final class XdpTxRing implements TxRing {
    static final int SOL_XDP = 283;
    static final int XDP_MMAP_OFFSETS = 1;
    static final int XDP_TX_RING = 3;
    static final int XDP_UMEM_REG = 4;
    static final int XDP_UMEM_FILL_RING = 5;
    static final int XDP_UMEM_COMPLETION_RING = 6;
    static final short XDP_COPY = 2;
    static final long PGOFF_TX_RING = 0x80000000L;
    static final long PGOFF_COMPLETION_RING = 0x180000000L;
    /** UMEM chunk: the largest aligned chunk is a page. */
    static final int CHUNK = 2048;
    private static final int DESC = 16;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final String name;
    private final int fd;
    private final int chunks;
    private final int size;
    private final long umem;
    private final long umemLength;
    private final ByteBuffer frames;
    private final long txMap;
    private final long txLength;
    private final ByteBuffer tx;
    private final long cqMap;
    private final long cqLength;
    private final ByteBuffer cq;
    private final int txProducer;
    private final int txConsumer;
    private final int txDesc;
    private final int cqProducer;
    private final int cqConsumer;
    private final int cqDesc;
    /** Free chunk indexes (a stack). */
    private final int[] free;
    private int freeCount;
    private int producer;
    private int consumerSeen;
    private int completions;
    private int queued;
    private int lastError;
    private boolean closed;

    private XdpTxRing(String name, int fd, int chunks, int size, long umem, long umemLength, long txMap, long txLength, long cqMap,
                      long cqLength, long[] offsets) {
        this.name = name;
        this.fd = fd;
        this.chunks = chunks;
        this.size = size;
        this.umem = umem;
        this.umemLength = umemLength;
        this.frames = new Pointer(umem).getByteBuffer(0, umemLength).order(ByteOrder.BIG_ENDIAN);
        this.txMap = txMap;
        this.txLength = txLength;
        this.tx = new Pointer(txMap).getByteBuffer(0, txLength).order(ByteOrder.nativeOrder());
        this.cqMap = cqMap;
        this.cqLength = cqLength;
        this.cq = new Pointer(cqMap).getByteBuffer(0, cqLength).order(ByteOrder.nativeOrder());
        this.txProducer = (int) offsets[4];
        this.txConsumer = (int) offsets[5];
        this.txDesc = (int) offsets[6];
        this.cqProducer = (int) offsets[12];
        this.cqConsumer = (int) offsets[13];
        this.cqDesc = (int) offsets[14];
        this.free = new int[chunks];
        for (int i = 0; i < chunks; i++) {
            free[i] = chunks - 1 - i;
        }
        this.freeCount = chunks;
    }

    /**
     * Opens a TX-only AF_XDP socket on queue 0 of {@code ifindex} with {@code size} descriptors and twice as many
     * UMEM chunks (needs CAP_NET_RAW, and CAP_IPC_LOCK or enough RLIMIT_MEMLOCK for the UMEM).
     *
     * @param fwmark skb mark of every frame, 0 for none
     * @throws IllegalStateException with the failing step and errno when the kernel refuses
     */
    static XdpTxRing open(String name, int ifindex, int size, int fwmark) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two: " + size);
        }
        int chunks = 2 * size;
        long umemLength = (long) chunks * CHUNK;
        int fd = LibC.socket(LibC.AF_XDP, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
        long umem = LibC.MAP_FAILED;
        long txMap = LibC.MAP_FAILED;
        long cqMap = LibC.MAP_FAILED;
        long txLength = 0;
        long cqLength = 0;
        String step = "mmap of the UMEM";
        try (Memory v = new Memory(128); Memory len = new Memory(4)) {
            umem = LibC.mmap(null, umemLength, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
            if (umem == LibC.MAP_FAILED) {
                throw new LastErrorException(Native.getLastError());
            }
            if (fwmark != 0) {
                step = "setsockopt SO_MARK";
                v.setInt(0, fwmark);
                LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, v, 4);
            }
            step = "setsockopt XDP_UMEM_REG";
            v.clear();
            v.setLong(0, umem);
            v.setLong(8, umemLength);
            v.setInt(16, CHUNK);
            LibC.setsockopt(fd, SOL_XDP, XDP_UMEM_REG, v, 32); // headroom, flags, tx_metadata_len 0
            step = "setsockopt XDP_UMEM_FILL_RING";
            v.setInt(0, 64); // never used: transmit only, but a UMEM must have one
            LibC.setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, v, 4);
            step = "setsockopt XDP_UMEM_COMPLETION_RING";
            v.setInt(0, chunks);
            LibC.setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, v, 4);
            step = "setsockopt XDP_TX_RING";
            v.setInt(0, size);
            LibC.setsockopt(fd, SOL_XDP, XDP_TX_RING, v, 4);
            step = "getsockopt XDP_MMAP_OFFSETS";
            v.clear();
            len.setInt(0, 128);
            LibC.getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, v, len);
            long[] offsets = new long[16]; // rx, tx, fill, completion: producer, consumer, desc, flags each
            for (int i = 0; i < 16; i++) {
                offsets[i] = v.getLong(i * 8L);
            }
            step = "mmap of the TX ring";
            txLength = offsets[6] + (long) size * DESC;
            txMap = LibC.mmap(null, txLength, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, fd, PGOFF_TX_RING);
            if (txMap == LibC.MAP_FAILED) {
                throw new LastErrorException(Native.getLastError());
            }
            step = "mmap of the completion ring";
            cqLength = offsets[14] + (long) chunks * 8;
            cqMap = LibC.mmap(null, cqLength, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, fd,
                    PGOFF_COMPLETION_RING);
            if (cqMap == LibC.MAP_FAILED) {
                throw new LastErrorException(Native.getLastError());
            }
            step = "bind (XDP_COPY, queue 0)";
            v.clear();
            v.setShort(0, (short) LibC.AF_XDP);
            v.setShort(2, XDP_COPY);
            v.setInt(4, ifindex);
            LibC.bind(fd, v, 16);
            return new XdpTxRing(name, fd, chunks, size, umem, umemLength, txMap, txLength, cqMap, cqLength, offsets);
        } catch (LastErrorException e) {
            if (cqMap != LibC.MAP_FAILED) {
                LibC.munmap(new Pointer(cqMap), cqLength);
            }
            if (txMap != LibC.MAP_FAILED) {
                LibC.munmap(new Pointer(txMap), txLength);
            }
            LibC.close(fd);
            if (umem != LibC.MAP_FAILED) {
                LibC.munmap(new Pointer(umem), umemLength);
            }
            throw new IllegalStateException(step + " on " + name + " failed (errno " + e.getErrorCode() + ")", e);
        }
    }

    @Override
    public ByteBuffer frames() {
        return frames;
    }

    @Override
    public long address() {
        return umem;
    }

    @Override
    public int frameCapacity() {
        return CHUNK;
    }

    /** Takes back the chunks the kernel has finished with. */
    private void reap() {
        int p = (int) INT.getAcquire(cq, cqProducer);
        int c = completions;
        int mask = chunks - 1;
        while (c != p) {
            free[freeCount++] = (int) (cq.getLong(cqDesc + (c & mask) * 8) / CHUNK);
            c++;
        }
        completions = c;
        INT.setRelease(cq, cqConsumer, c);
    }

    @Override
    public int claim() {
        if (freeCount == 0) {
            reap();
        }
        if (freeCount == 0) {
            return -1;
        }
        if (producer - consumerSeen >= size) {
            consumerSeen = (int) INT.getAcquire(tx, txConsumer);
            if (producer - consumerSeen >= size) {
                return -1;
            }
        }
        return free[freeCount - 1] * CHUNK;
    }

    @Override
    public void commit(int offset, int frameLength) {
        freeCount--;
        int d = txDesc + (producer & (size - 1)) * DESC;
        tx.putLong(d, offset);
        tx.putInt(d + 8, frameLength);
        tx.putInt(d + 12, 0);
        producer++;
        INT.setRelease(tx, txProducer, producer);
        queued++;
    }

    @Override
    public int queued() {
        return queued;
    }

    @Override
    public int kick() {
        if (queued == 0) {
            return 0;
        }
        long r = LibC.sendto(fd, null, 0, LibC.MSG_DONTWAIT, null, 0);
        reap();
        consumerSeen = (int) INT.getAcquire(tx, txConsumer);
        queued = producer - consumerSeen;
        if (r >= 0) {
            return 0;
        }
        // EAGAIN/EBUSY: the kernel's per-call budget or the completion ring was exhausted; the rest goes next time.
        // ENETDOWN and the like keep the descriptors queued too (a TX ring cannot be taken back from the kernel):
        // they leave when the link comes back, as stale packets the receiver's replay window judges, and new
        // packets are not routed to a link that is down meanwhile.
        lastError = Native.getLastError();
        return 0;
    }

    @Override
    public int lastError() {
        return lastError;
    }

    @Override
    public String kind() {
        return "AF_XDP TX ring on " + name + " (copy mode, queue 0, " + size + " descriptors, " + chunks + " x " + CHUNK + " bytes)";
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kick();
            LibC.close(fd);
            LibC.munmap(new Pointer(txMap), txLength);
            LibC.munmap(new Pointer(cqMap), cqLength);
            LibC.munmap(new Pointer(umem), umemLength);
        }
    }
}

package net.poolsa.esp.emit;

import java.io.Closeable;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.netty.buffer.ByteBuf;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends complete IP packets (header included) through raw sockets, batched with {@code sendmmsg(2)}: one
 * system call per batch of up to {@link #BATCH} packets instead of one per packet, which is what makes the
 * difference on these machines (see lab notes: ~5 us per sendto, ~600k packets/s with batches of 32).
 *
 * <p>IPv4 uses {@code socket(AF_INET, SOCK_RAW, IPPROTO_RAW)}, which implies {@code IP_HDRINCL}
 * (raw(7)); IPv6 uses {@code socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)} with {@code IPV6_HDRINCL}. The
 * kernel routes each packet by its destination, as for forwarded traffic. UDP-encapsulated ESP (RFC 3948)
 * leaves the same way: the transform writes the UDP header, so no UDP socket is needed to send it.
 *
 * <p>Not thread-safe: one emitter per event loop. {@link #send} queues (taking ownership of the buffer),
 * {@link #flush} sends; the pipeline flushes at the end of every read batch.
 *
 * @see <a href="https://man7.org/linux/man-pages/man7/raw.7.html">raw(7)</a>
 */
public final class RawSocketEmitter implements PacketSink, Closeable {
    public static final int BATCH = 32;
    private static final Logger LOG = LoggerFactory.getLogger(RawSocketEmitter.class);
    private static final int MMSGHDR = 64;
    private static final int IOVEC = 16;
    private static final int SOCKADDR = 32;
    private static final int STAGING = 65536;

    private final Batch v4;
    private final Batch v6;
    private final DropListener drops;
    private long sent;
    private long failed;
    private long syscalls;

    /** Opens both raw sockets without a firewall mark; needs CAP_NET_RAW. */
    public RawSocketEmitter(DropListener drops) {
        this(drops, 0);
    }

    /**
     * @param fwmark SO_MARK of every packet sent (needs CAP_NET_ADMIN), 0 for none: lets policy routing keep
     *               our own output (ESP, decapsulated packets) away from the divert routes into the sink
     */
    public RawSocketEmitter(DropListener drops, int fwmark) {
        this.drops = drops;
        this.v4 = new Batch(LibC.AF_INET, fwmark);
        Batch six;
        try {
            six = new Batch(LibC.AF_INET6, fwmark);
        } catch (RuntimeException e) {
            v4.close();
            throw e;
        }
        this.v6 = six;
    }

    /**
     * Queues one IP packet (readable bytes = the packet) and takes ownership of it; sends the batch of its
     * family when full. Packets that are neither IPv4 nor IPv6 are dropped as MALFORMED_IP.
     */
    @Override
    public void send(ByteBuf packet) {
        if (!packet.isReadable()) {
            packet.release();
            drops.dropped(DropReason.TRUNCATED, null);
            return;
        }
        int version = packet.getUnsignedByte(packet.readerIndex()) >>> 4;
        Batch b = version == 4 ? v4 : version == 6 ? v6 : null;
        if (b == null || packet.readableBytes() < (version == 4 ? 20 : 40)) {
            packet.release();
            drops.dropped(DropReason.MALFORMED_IP, null);
            return;
        }
        b.add(packet);
        if (b.count == BATCH) {
            b.flush();
        }
    }

    /** Sends everything queued. */
    @Override
    public void flush() {
        v4.flush();
        v6.flush();
    }

    public long sentPackets() {
        return sent;
    }

    public long failedPackets() {
        return failed;
    }

    /** sendmmsg calls made: sent / syscalls is the batching factor actually achieved. */
    public long syscalls() {
        return syscalls;
    }

    @Override
    public void close() {
        flush();
        v4.close();
        v6.close();
    }

    /** One socket and its native message vector. */
    private final class Batch {
        final int family;
        final int fd;
        final Memory vec = new Memory((long) BATCH * (MMSGHDR + IOVEC + SOCKADDR));
        final Memory staging = new Memory((long) BATCH * STAGING);
        final long vecAddr = Pointer.nativeValue(vec);
        final long iovAddr = vecAddr + (long) BATCH * MMSGHDR;
        final long addrAddr = iovAddr + (long) BATCH * IOVEC;
        final ByteBuf[] held = new ByteBuf[BATCH];
        /** The message vector from message i on, made once: a flush allocates nothing. */
        final Pointer[] from = new Pointer[BATCH];
        int count;
        boolean closed;

        Batch(int family, int fwmark) {
            this.family = family;
            this.fd = LibC.socket(family, LibC.SOCK_RAW, LibC.IPPROTO_RAW);
            try (Memory one = new Memory(4)) {
                if (fwmark != 0) {
                    one.setInt(0, fwmark);
                    LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, one, 4);
                }
                if (family == LibC.AF_INET6) {
                    one.setInt(0, 1);
                    LibC.setsockopt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_HDRINCL, one, 4);
                }
                one.setInt(0, 8 << 20);
                try {
                    // A large send buffer absorbs bursts of a whole read batch; FORCE needs CAP_NET_ADMIN.
                    LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, one, 4);
                } catch (LastErrorException e) {
                    LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, one, 4);
                }
            } catch (LastErrorException e) {
                LibC.close(fd);
                throw e;
            }
            vec.clear();
            for (int i = 0; i < BATCH; i++) {
                from[i] = new Pointer(vecAddr + (long) i * MMSGHDR);
                long m = vecAddr + (long) i * MMSGHDR;
                vec.setLong(m - vecAddr, addrAddr + (long) i * SOCKADDR);
                vec.setInt(m - vecAddr + 8, family == LibC.AF_INET ? 16 : 28);
                vec.setLong(m - vecAddr + 16, iovAddr + (long) i * IOVEC);
                vec.setLong(m - vecAddr + 24, 1);
            }
        }

        void add(ByteBuf p) {
            int i = count;
            int len = p.readableBytes();
            int ri = p.readerIndex();
            long sa = (long) BATCH * (MMSGHDR + IOVEC) + (long) i * SOCKADDR;
            // The destination the kernel routes by: the header's own destination address (network order).
            if (family == LibC.AF_INET) {
                vec.setShort(sa, (short) LibC.AF_INET);
                vec.setShort(sa + 2, (short) 0);
                vec.setInt(sa + 4, Integer.reverseBytes(p.getInt(ri + 16)));
            } else {
                vec.setShort(sa, (short) LibC.AF_INET6);
                vec.setShort(sa + 2, (short) 0);
                vec.setInt(sa + 4, 0);
                vec.setLong(sa + 8, Long.reverseBytes(p.getLong(ri + 24)));
                vec.setLong(sa + 16, Long.reverseBytes(p.getLong(ri + 32)));
                vec.setInt(sa + 24, 0);
            }
            long data;
            if (p.hasMemoryAddress()) {
                data = p.memoryAddress() + ri;
                held[i] = p;
            } else {
                // Heap or composite buffers are copied once into this slot's native staging area.
                int n = Math.min(len, STAGING);
                long slot = (long) i * STAGING;
                if (p.hasArray()) {
                    staging.write(slot, p.array(), p.arrayOffset() + ri, n);
                } else {
                    staging.write(slot, io.netty.buffer.ByteBufUtil.getBytes(p, ri, n), 0, n);
                }
                data = Pointer.nativeValue(staging) + slot;
                len = n;
                p.release();
                held[i] = null;
            }
            long iov = (long) BATCH * MMSGHDR + (long) i * IOVEC;
            vec.setLong(iov, data);
            vec.setLong(iov + 8, len);
            count++;
        }

        void flush() {
            int n = count;
            int done = 0;
            while (done < n) {
                int r;
                try {
                    syscalls++;
                    r = LibC.sendmmsg(fd, from[done], n - done, 0);
                } catch (LastErrorException e) {
                    // sendmmsg reports the error of the first message only: skip it and go on with the rest.
                    failed++;
                    drops.dropped(DropReason.EMIT_FAILED, null);
                    if (failed % 10_000 == 1) {
                        LOG.warn("raw send failed (errno {}), {} failures so far", e.getErrorCode(), failed);
                    }
                    done++;
                    continue;
                }
                sent += r;
                done += r;
            }
            for (int i = 0; i < n; i++) {
                if (held[i] != null) {
                    held[i].release();
                    held[i] = null;
                }
            }
            count = 0;
        }

        void close() {
            if (!closed) {
                closed = true;
                for (int i = 0; i < count; i++) {
                    if (held[i] != null) {
                        held[i].release();
                        held[i] = null;
                    }
                }
                count = 0;
                LibC.close(fd);
                vec.close();
                staging.close();
            }
        }
    }
}

package net.poolsa.esp.emit;

import java.io.Closeable;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;

/**
 * A TUN device (layer 3, no packet-information prefix) as the divert sink: the kernel routes cleartext for
 * the protected pools into it, and we read each packet with one {@code read(2)}; decapsulated packets are
 * written back with one {@code write(2)} each and enter the host's stack as if received on the device,
 * then forwarded like any other packet. Compared with an ifb/dummy sink plus libpcap and raw-socket
 * re-injection, no AF_PACKET ring copy and no block-retire timeout are involved.
 *
 * <p>The device exists as long as the descriptor is open ({@link #close()} removes it, with its routes).
 * Not thread-safe: one event loop reads and writes it; only {@link #fd()} may be polled by another thread.
 *
 * @see <a href="https://www.kernel.org/doc/html/latest/networking/tuntap.html">Linux TUN/TAP</a>
 */
public final class TunDevice implements PacketSink, Closeable {
    /** The largest IP packet (IPv4 total length / IPv6 without jumbograms). */
    public static final int MAX_PACKET = 65535;
    private static final int IFREQ = 40;

    private final String name;
    private final int fd;
    private final DropListener drops;
    private final Memory staging = new Memory(MAX_PACKET);
    private final long stagingAddr = Pointer.nativeValue(staging);
    private boolean closed;
    private long writeFailures;

    private TunDevice(String name, int fd, DropListener drops) {
        this.name = name;
        this.fd = fd;
        this.drops = drops;
    }

    /** Creates TUN device {@code name} (needs CAP_NET_ADMIN), non-blocking. The caller sets it up and routes into it. */
    public static TunDevice create(String name, DropListener drops) {
        if (!name.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new IllegalArgumentException("'" + name + "' is not a valid interface name");
        }
        int fd = LibC.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK);
        try (Memory ifr = new Memory(IFREQ)) {
            ifr.clear();
            ifr.setString(0, name, "US-ASCII");
            ifr.setShort(16, (short) (LibC.IFF_TUN | LibC.IFF_NO_PI));
            LibC.ioctl(fd, LibC.TUNSETIFF, ifr);
        } catch (LastErrorException e) {
            LibC.close(fd);
            throw new IllegalStateException("TUNSETIFF " + name + " failed (errno " + e.getErrorCode() + ")", e);
        }
        return new TunDevice(name, fd, drops == null ? DropListener.NONE : drops);
    }

    public String name() {
        return name;
    }

    /** The descriptor, for poll(2). */
    public int fd() {
        return fd;
    }

    /**
     * Reads one packet, if one is waiting, into a new buffer of exactly its size (the kernel tells the size
     * only by reading, so the read goes through a fixed native staging area: one extra copy of L1-hot bytes).
     *
     * @return the packet, or null when nothing is waiting (or on a read error: poll(2) then reports it)
     */
    public ByteBuf read(ByteBufAllocator alloc) {
        long n = LibC.read(fd, staging, MAX_PACKET);
        if (n <= 0) {
            return null;
        }
        int len = (int) n;
        ByteBuf b = alloc.directBuffer(len);
        if (b.hasMemoryAddress()) {
            PlatformDependent.copyMemory(stagingAddr, b.memoryAddress() + b.writerIndex(), len);
            b.writerIndex(b.writerIndex() + len);
        } else {
            b.writeBytes(staging.getByteBuffer(0, len));
        }
        return b;
    }

    /** Writes one IP packet into the device (the host receives it) and releases the buffer. */
    @Override
    public void send(ByteBuf packet) {
        try {
            int len = packet.readableBytes();
            long r;
            if (packet.hasMemoryAddress()) {
                r = LibC.write(fd, new Pointer(packet.memoryAddress() + packet.readerIndex()), len);
            } else {
                int n = Math.min(len, MAX_PACKET);
                packet.getBytes(packet.readerIndex(), staging.getByteBuffer(0, n));
                r = LibC.write(fd, staging, n);
            }
            if (r != len) {
                writeFailures++;
                drops.dropped(DropReason.EMIT_FAILED, null);
            }
        } finally {
            packet.release();
        }
    }

    /** Every write went out at once. */
    @Override
    public void flush() {
    }

    public long writeFailures() {
        return writeFailures;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
            staging.close();
        }
    }
}

package net.poolsa.esp.capture;

import java.lang.reflect.Field;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import org.pcap4j.core.PcapHandle;

/**
 * The capture hot loop without pcap4j's per-packet JNA callback (which allocates a byte[] and a header
 * object per packet): libpcap's {@code pcap_next_ex} bound by JNA direct mapping on the handle pcap4j
 * opened, in non-blocking mode, with {@code poll(2)} on the capture descriptor to sleep until the kernel
 * retires a ring block. pcap4j still opens the handle, sets the filter and direction, reads the statistics
 * and closes it. Use from one thread only (libpcap handles are not thread-safe), except {@link #await}. Native memory is
 * read with Netty's {@link PlatformDependent} (Unsafe) where available, else through JNA.
 *
 * @see <a href="https://www.tcpdump.org/manpages/pcap_next_ex.3pcap.html">pcap_next_ex(3PCAP)</a>
 */
final class FastPcap {
    static final int PACKET = 1;
    static final int NONE = 0;

    static {
        String name = System.getProperty("org.pcap4j.core.pcapLibName", Platform.isWindows() ? "wpcap" : "pcap");
        Native.register(FastPcap.class, NativeLibrary.getInstance(name));
    }

    private static native int pcap_next_ex(Pointer pcap, Pointer header, Pointer data);

    private static native int pcap_setnonblock(Pointer pcap, int nonblock, Pointer errbuf);

    private static native int pcap_get_selectable_fd(Pointer pcap);

    private final Pointer pcap;
    private final int fd;
    private final Memory headerRef = new Memory(8);
    private final Memory dataRef = new Memory(8);
    private final Memory pollFd = new Memory(8);
    private static final boolean UNSAFE = PlatformDependent.hasUnsafe();
    private long header;
    private long data;

    FastPcap(PcapHandle handle) {
        this.pcap = pointerOf(handle);
        try (Memory err = new Memory(256)) {
            if (pcap_setnonblock(pcap, 1, err) != 0) {
                throw new IllegalStateException("pcap_setnonblock: " + err.getString(0));
            }
        }
        this.fd = pcap_get_selectable_fd(pcap);
        if (fd < 0) {
            throw new IllegalStateException("capture has no selectable descriptor");
        }
        pollFd.setInt(0, fd);
        pollFd.setShort(4, (short) 1); // POLLIN
    }

    private static Pointer pointerOf(PcapHandle handle) {
        try {
            Field f = PcapHandle.class.getDeclaredField("handle");
            f.setAccessible(true);
            return (Pointer) f.get(handle);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("pcap4j 1.8.2 internals changed: no pcap_t handle field", e);
        }
    }

    /** @return {@link #PACKET}, {@link #NONE} (nothing ready), or a negative libpcap error */
    int next() {
        int r = pcap_next_ex(pcap, headerRef, dataRef);
        if (r == PACKET) {
            header = headerRef.getLong(0);
            data = dataRef.getLong(0);
        }
        return r;
    }

    /** Address of the current packet's bytes (valid until the next call). */
    long data() {
        return data;
    }

    /** Captured length of the current packet: struct pcap_pkthdr {timeval ts; uint32 caplen; uint32 len;}. */
    int caplen() {
        return UNSAFE ? PlatformDependent.getInt(header + 16) : new Pointer(header).getInt(16);
    }

    /** Appends {@code length} bytes of the current packet, from {@code offset}, to {@code to}. */
    void copyTo(int offset, int length, ByteBuf to) {
        to.ensureWritable(length);
        int wi = to.writerIndex();
        if (UNSAFE && to.hasMemoryAddress()) {
            PlatformDependent.copyMemory(data + offset, to.memoryAddress() + wi, length);
        } else {
            to.setBytes(wi, new Pointer(data).getByteBuffer(offset, length));
        }
        to.writerIndex(wi + length);
    }

    /**
     * Sleeps until the capture has packets or {@code millis} passed. Only touches the descriptor, never
     * the pcap handle, so another thread may call it while the owner reads.
     *
     * @return poll(2)'s result: > 0 when packets are ready, 0 on timeout, < 0 on error (EINTR)
     */
    int await(int millis) {
        return LibPoll.poll(pollFd, 1, millis);
    }

    /** poll(2), bound separately: it lives in libc, not libpcap. */
    static final class LibPoll {
        static {
            Native.register(LibPoll.class, "c");
        }

        private LibPoll() {
        }

        static native int poll(Pointer fds, int nfds, int timeout);
    }
}

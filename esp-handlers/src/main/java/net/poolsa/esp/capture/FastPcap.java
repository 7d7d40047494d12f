package net.poolsa.esp.capture;

import java.lang.reflect.Field;

import com.sun.jna.LastErrorException;
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
    /** {@link #joinFanout}'s id for a new group. */
    static final int NEW_FANOUT_GROUP = -1;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_FANOUT = 18;
    private static final int PACKET_FANOUT_HASH = 0;
    private static final int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    private static final int PACKET_IGNORE_OUTGOING = 23;

    static {
        String name = System.getProperty("org.pcap4j.core.pcapLibName", Platform.isWindows() ? "wpcap" : "pcap");
        Native.register(FastPcap.class, NativeLibrary.getInstance(name));
    }

    private static native int pcap_next_ex(Pointer pcap, Pointer header, Pointer data);

    private static native int pcap_setnonblock(Pointer pcap, int nonblock, Pointer errbuf);

    private static native int pcap_get_selectable_fd(Pointer pcap);

    private static native String pcap_geterr(Pointer pcap);

    private static native Pointer pcap_open_dead(int linktype, int snaplen);

    private static native int pcap_compile(Pointer pcap, Pointer program, String filter, int optimize, int netmask);

    private static native void pcap_freecode(Pointer program);

    private static native void pcap_close(Pointer pcap);

    private static final int SOL_SOCKET = 1;
    private static final int SO_ATTACH_FILTER = 26;
    /** PCAP_NETMASK_UNKNOWN: the filters here test no broadcast address. */
    private static final int NETMASK_UNKNOWN = 0xffffffff;

    /**
     * Compiles {@code filter} (tcpdump syntax) with libpcap for frames of link type {@code dlt} and attaches the program
     * to socket {@code fd} (socket(7): SO_ATTACH_FILTER, which replaces the socket's filter at once: every frame is
     * checked against the old or the new one). libpcap's {@code struct bpf_program} and the kernel's
     * {@code struct sock_fprog} are the same shape on Linux: a count, then a pointer to the instructions.
     *
     * @throws IllegalStateException with libpcap's message when the filter does not compile, or the errno
     */
    static void attachFilter(int fd, int dlt, int snaplen, String filter) {
        Pointer dead = pcap_open_dead(dlt, snaplen);
        if (dead == null) {
            throw new IllegalStateException("pcap_open_dead failed");
        }
        try (Memory program = new Memory(16)) {
            program.clear();
            if (pcap_compile(dead, program, filter, 1, NETMASK_UNKNOWN) != 0) {
                throw new IllegalStateException("filter \"" + filter + "\": " + pcap_geterr(dead));
            }
            try (Memory fprog = new Memory(16)) {
                fprog.clear();
                fprog.setShort(0, (short) program.getInt(0)); // bf_len
                fprog.setPointer(8, program.getPointer(8)); // bf_insns
                LibSock.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16);
            } catch (LastErrorException e) {
                throw new IllegalStateException("SO_ATTACH_FILTER: errno " + e.getErrorCode(), e);
            } finally {
                pcap_freecode(program);
            }
        } finally {
            pcap_close(dead);
        }
    }

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

    /** The capture socket's descriptor (libpcap's, closed with the handle). */
    int descriptor() {
        return fd;
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

    /** libpcap's message for the last failed call (after {@link #next()} returned an error). */
    String error() {
        return pcap_geterr(pcap);
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

    /**
     * Joins the socket under {@code handle} (activated, so bound to its interface) to a PACKET_FANOUT group that
     * spreads packets by flow hash (packet(7): {@code PACKET_FANOUT_HASH}, the kernel's symmetric flow hash: one flow,
     * both directions, one socket). With {@code id} {@link #NEW_FANOUT_GROUP} the kernel makes a new group with an id
     * no other group of this network namespace has ({@code PACKET_FANOUT_FLAG_UNIQUEID}); the other sockets of the
     * interface then join with the id this returns.
     *
     * @return the group's id
     * @throws IllegalStateException when the kernel refuses (no fanout support, a group of another interface)
     */
    static int joinFanout(PcapHandle handle, int id) {
        int fd = pcap_get_selectable_fd(pointerOf(handle));
        if (fd < 0) {
            throw new IllegalStateException("capture has no descriptor for PACKET_FANOUT");
        }
        return joinFanout(fd, id);
    }

    /** As {@link #joinFanout(PcapHandle, int)} for the bound AF_PACKET socket {@code fd}. */
    static int joinFanout(int fd, int id) {
        int arg = id == NEW_FANOUT_GROUP ? (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16
                : PACKET_FANOUT_HASH << 16 | id;
        try (Memory v = new Memory(4); Memory len = new Memory(4)) {
            v.setInt(0, arg);
            LibSock.setsockopt(fd, SOL_PACKET, PACKET_FANOUT, v, 4);
            v.setInt(0, 0);
            len.setInt(0, 4);
            LibSock.getsockopt(fd, SOL_PACKET, PACKET_FANOUT, v, len);
            return v.getInt(0) & 0xffff; // the id in the low half, mode and flags above
        } catch (LastErrorException e) {
            throw new IllegalStateException("PACKET_FANOUT on the capture: errno " + e.getErrorCode(), e);
        }
    }

    /**
     * Asks the kernel not to hand the socket under {@code handle} the frames this host sends on its interface
     * (packet(7): {@code PACKET_IGNORE_OUTGOING}, Linux 4.20). libpcap's direction "in" only skips them in user space,
     * after the kernel has run the filter on every frame sent, copied it into the capture ring and woken the reader:
     * on an uplink that is every ESP packet the gateway sends (its filter passes ESP).
     *
     * @return false when the kernel does not know the option (libpcap still skips the frames then)
     */
    static boolean ignoreOutgoing(PcapHandle handle) {
        int fd = pcap_get_selectable_fd(pointerOf(handle));
        if (fd < 0) {
            return false;
        }
        try (Memory v = new Memory(4)) {
            v.setInt(0, 1);
            LibSock.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, v, 4);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }

    private static final long SIOCGIFFLAGS = 0x8913;
    private static final long SIOCGIFINDEX = 0x8933;
    private static final int IFNAMSIZ = 16;
    static final int IFF_UP = 0x1;
    static final int IFF_RUNNING = 0x40;
    static final int ENODEV = 19;

    /**
     * The flags of interface {@code name} in the network namespace of socket {@code fd} (netdevice(7): SIOCGIFFLAGS),
     * or minus the errno (-{@link #ENODEV} when there is no such interface).
     */
    static int interfaceFlags(int fd, String name) {
        return interfaceIoctl(fd, name, SIOCGIFFLAGS);
    }

    /** The index of interface {@code name} in the network namespace of socket {@code fd}, or minus the errno. */
    static int interfaceIndex(int fd, String name) {
        return interfaceIoctl(fd, name, SIOCGIFINDEX);
    }

    private static int interfaceIoctl(int fd, String name, long request) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (n.length >= IFNAMSIZ) {
            return -ENODEV;
        }
        try (Memory ifr = new Memory(40)) { // struct ifreq: the name, then a union of 24 bytes
            ifr.clear();
            ifr.write(0, n, 0, n.length);
            LibSock.ioctl(fd, request, ifr);
            return request == SIOCGIFFLAGS ? ifr.getShort(IFNAMSIZ) & 0xffff : ifr.getInt(IFNAMSIZ);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    /** setsockopt(2), getsockopt(2) and ioctl(2) for {@link #joinFanout}, {@link #ignoreOutgoing} and the interface state. */
    static final class LibSock {
        static {
            Native.register(LibSock.class, "c");
        }

        private LibSock() {
        }

        static native int setsockopt(int fd, int level, int name, Pointer value, int len) throws LastErrorException;

        static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len) throws LastErrorException;

        static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;
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

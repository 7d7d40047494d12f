package net.poolsa.esp.emit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The few libc calls the emitter needs, bound with JNA direct mapping (no per-call reflection). */
final class LibC {
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_RAW = 3;
    static final int SOCK_DGRAM = 2;
    static final int IPPROTO_RAW = 255;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_HDRINCL = 36;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_MARK = 36;
    static final int MSG_DONTWAIT = 0x40;
    static final int EAGAIN = 11;
    static final int ENOBUFS = 105;

    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {
    }

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native int setsockopt(int fd, int level, int name, Pointer value, int len) throws LastErrorException;

    static native int sendmmsg(int fd, Pointer msgvec, int vlen, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;

    static native int open(String path, int flags) throws LastErrorException;

    static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    /** Without errno: -1 on a non-blocking descriptor with nothing to read is the common case, not an error. */
    static native long read(int fd, Pointer buf, long count);

    static native long write(int fd, Pointer buf, long count);
}

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
    static final int SOCK_CLOEXEC = 0x80000;
    static final int AF_NETLINK = 16;
    static final int AF_PACKET = 17;
    static final int AF_XDP = 44;
    static final int SO_RCVBUFFORCE = 33;
    static final int SO_RCVTIMEO = 20;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_PRIVATE = 2;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_POPULATE = 0x8000;
    static final long MAP_FAILED = -1L;

    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {
    }

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native int setsockopt(int fd, int level, int name, Pointer value, int len) throws LastErrorException;

    static native int sendmmsg(int fd, Pointer msgvec, int vlen, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int bind(int fd, Pointer addr, int len) throws LastErrorException;

    static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len) throws LastErrorException;

    /** Without errno: the ring kick reads it from {@link Native#getLastError()} only when the call failed. */
    static native long sendto(int fd, Pointer buf, long len, int flags, Pointer addr, int addrLen);

    /** Without errno: a timeout (EAGAIN) is the common case on the notification socket. */
    static native long recv(int fd, Pointer buf, long len, int flags);

    /** Returns the address, or {@link #MAP_FAILED}. */
    static native long mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(Pointer addr, long length);

    static native int if_nametoindex(String name);

    static native int geteuid();

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

package net.poolsa.ike.transport;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The libc calls the transport needs beyond Netty, bound with JNA direct mapping. */
final class SocketCalls {
    static final int SOL_SOCKET = 1;
    static final int SO_ATTACH_FILTER = 26;
    static final int SO_MARK = 36;
    static final int SO_SNDBUF = 7;
    static final int SO_SNDBUFFORCE = 32;

    static {
        Native.register(SocketCalls.class, "c");
    }

    private SocketCalls() {
    }

    static native int setsockopt(int fd, int level, int name, Pointer value, int len) throws LastErrorException;

    static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len) throws LastErrorException;
}

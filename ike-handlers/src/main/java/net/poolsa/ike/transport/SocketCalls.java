package net.poolsa.ike.transport;

import java.io.IOException;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
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

    /** The int value of socket option {@code name} (SOL_SOCKET) of socket {@code fd}; {@code label} names it in errors. */
    static int getIntOption(int fd, int name, String label) throws IOException {
        try (Memory value = new Memory(4); Memory len = new Memory(4)) {
            value.setInt(0, 0);
            len.setInt(0, 4);
            getsockopt(fd, SOL_SOCKET, name, value, len);
            return value.getInt(0);
        } catch (LastErrorException e) {
            throw new IOException("getsockopt " + label + " on fd " + fd + ": errno " + e.getErrorCode(), e);
        }
    }
}

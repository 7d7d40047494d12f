package net.poolsa.ike.transport;

import java.io.IOException;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * The kernel send buffer of an IKE socket, enlarged to {@link #REQUESTED_BYTES}. A datagram stays charged to the socket
 * until it leaves the host, also while it waits for a neighbour to resolve (up to 3 s, and then it is dropped): answers
 * to a flood of first messages from spoofed on-link sources fill the default 208 KiB at about 70 a second, and after
 * that every answer waits ({@link SendBacklog}). The larger buffer holds about 1700 such answers, so that a genuine
 * peer's Main Mode message 2 is rarely dropped for room. SO_SNDBUFFORCE (CAP_NET_ADMIN) passes net.core.wmem_max;
 * without the capability SO_SNDBUF is capped there.
 *
 * @see <a href="https://man7.org/linux/man-pages/man7/socket.7.html">socket(7), SO_SNDBUF, SO_SNDBUFFORCE</a>
 */
final class SendBuffer {
    /** What we ask for; the kernel doubles it for its bookkeeping (socket(7)). */
    static final int REQUESTED_BYTES = 1 << 20;
    private static final int EPERM = 1;

    private SendBuffer() {
    }

    /** Enlarges the send buffer of socket {@code fd}: forced when allowed, else as far as net.core.wmem_max lets. */
    static void enlarge(int fd) throws IOException {
        try (Memory value = new Memory(4)) {
            value.setInt(0, REQUESTED_BYTES);
            try {
                SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET, SocketCalls.SO_SNDBUFFORCE, value, 4);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EPERM) {
                    throw e;
                }
                SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET, SocketCalls.SO_SNDBUF, value, 4);
            }
        } catch (LastErrorException e) {
            throw new IOException("setsockopt SO_SNDBUF on fd " + fd + ": errno " + e.getErrorCode(), e);
        }
    }

    /** The send buffer the kernel holds for socket {@code fd}, in bytes (twice what was set). */
    static int get(int fd) throws IOException {
        return SocketCalls.getIntOption(fd, SocketCalls.SO_SNDBUF, "SO_SNDBUF");
    }
}

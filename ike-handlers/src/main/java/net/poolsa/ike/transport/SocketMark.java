package net.poolsa.ike.transport;

import java.io.IOException;
import java.net.InetSocketAddress;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * SO_MARK on a socket: the firewall mark the kernel gives every packet the socket sends, which policy routing
 * ({@code ip rule ... fwmark}) and nftables can match. Setting it needs CAP_NET_ADMIN.
 *
 * @see <a href="https://man7.org/linux/man-pages/man7/socket.7.html">socket(7), SO_MARK</a>
 */
public final class SocketMark {
    private static final int EPERM = 1;

    private SocketMark() {
    }

    /**
     * Sets the mark before the socket is bound, so nothing leaves unmarked.
     *
     * @param what the socket's address, for the error message
     * @throws IOException naming the socket and, for EPERM, the capability that is missing
     */
    static void set(int fd, int mark, InetSocketAddress what) throws IOException {
        try (Memory value = new Memory(4)) {
            value.setInt(0, mark);
            SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET, SocketCalls.SO_MARK, value, 4);
        } catch (LastErrorException e) {
            throw new IOException("cannot mark the IKE socket " + Endpoints.text(what) + " with 0x"
                    + Integer.toHexString(mark)
                    + " (SO_MARK): " + (e.getErrorCode() == EPERM ? "CAP_NET_ADMIN is missing" : "errno " + e.getErrorCode()), e);
        }
    }

    /** The mark the kernel holds for socket {@code fd}. */
    static int get(int fd) throws IOException {
        return SocketCalls.getIntOption(fd, SocketCalls.SO_MARK, "SO_MARK");
    }
}

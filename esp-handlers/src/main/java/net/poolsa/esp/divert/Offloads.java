package net.poolsa.esp.divert;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Turns off transmit checksum offload on the sink, through the ethtool ioctl (no ethtool binary needed).
 *
 * <p>Why: a packet sent by a local or veth-attached stack may leave its TCP/UDP checksum to the device
 * (CHECKSUM_PARTIAL), and libpcap then captures it with the checksum not filled in; protected as it is,
 * it arrives with a bad checksum. Without TX checksumming the kernel completes the checksum (and segments
 * GSO/GRO super-packets, since TSO depends on it) before the packet reaches the sink's capture tap.
 * Applies to the network namespace of this process.
 *
 * @see <a href="https://www.kernel.org/doc/html/latest/networking/checksum-offloads.html">Linux checksum offloads</a>
 */
public final class Offloads {
    private static final int SIOCETHTOOL = 0x8946;
    private static final int ETHTOOL_STXCSUM = 0x17;
    private static final int ETHTOOL_SSG = 0x19;

    static {
        Native.register(Offloads.class, "c");
    }

    private Offloads() {
    }

    private static native int socket(int domain, int type, int protocol) throws LastErrorException;

    private static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    /** Disables TX checksumming and scatter-gather (hence TSO) on {@code ifname}. */
    public static void disableTxChecksum(String ifname) {
        byte[] name = ifname.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (name.length > 15) {
            throw new IllegalArgumentException("interface name too long: " + ifname);
        }
        int fd = socket(2, 2, 0);
        try (Memory ifr = new Memory(40); Memory value = new Memory(8)) {
            for (int cmd : new int[] {ETHTOOL_STXCSUM, ETHTOOL_SSG}) {
                ifr.clear();
                ifr.write(0, name, 0, name.length);
                ifr.setPointer(16, value);
                value.setInt(0, cmd);
                value.setInt(4, 0);
                ioctl(fd, SIOCETHTOOL, ifr);
            }
        } finally {
            close(fd);
        }
    }
}

package net.poolsa.esp.netlink;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * A NETLINK_ROUTE socket subscribed to the kernel's link, address and route notifications (rtnetlink(7)), in the
 * network namespace of the thread that opens it. It can also ask for a dump of the current links or addresses,
 * whose answers arrive on the same socket in order with the notifications. Used by one thread at a time.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3549">RFC 3549 (Netlink)</a>
 */
public final class RtNetlinkSocket implements Closeable {
    /** Multicast groups (linux/rtnetlink.h RTMGRP_*): links, IPv4/IPv6 addresses, IPv4/IPv6 routes. */
    public static final int GROUPS = 0x1 | 0x10 | 0x40 | 0x100 | 0x400;
    private static final int NLM_F_REQUEST = 0x1;
    private static final int NLM_F_DUMP = 0x300;
    private static final int SOCKADDR_NL = 12;
    private static final int RECEIVE_BUFFER = 1 << 20;
    /** Larger than any datagram the kernel sends (a dump part fits in 32 KiB). */
    private static final int DATAGRAM = 64 * 1024;

    private final int fd;
    private final Memory datagram = new Memory(DATAGRAM);
    private final Memory request = new Memory(64);
    private int sequence = (int) (System.nanoTime() & 0x7fff_ffff);
    private boolean closed;

    private RtNetlinkSocket(int fd) {
        this.fd = fd;
    }

    /**
     * Opens and binds a socket to {@code groups} with a receive timeout, so that its reader thread regularly
     * returns from {@link #receive} and can see that it should stop.
     *
     * @throws IllegalStateException when the kernel refuses (no netlink: not Linux, or a seccomp filter)
     */
    public static RtNetlinkSocket open(int groups, int receiveTimeoutMillis) {
        int fd;
        try {
            fd = NetlinkLibC.socket(NetlinkLibC.AF_NETLINK, NetlinkLibC.SOCK_RAW | NetlinkLibC.SOCK_CLOEXEC,
                    NetlinkLibC.NETLINK_ROUTE);
        } catch (LastErrorException e) {
            throw new IllegalStateException("socket(AF_NETLINK, NETLINK_ROUTE): errno " + e.getErrorCode(), e);
        }
        try (Memory addr = new Memory(SOCKADDR_NL); Memory opt = new Memory(16)) {
            addr.clear();
            addr.setShort(0, (short) NetlinkLibC.AF_NETLINK);
            addr.setInt(8, groups); // nl_pid 0: the kernel picks our port id
            NetlinkLibC.bind(fd, addr, SOCKADDR_NL);
            opt.setInt(0, RECEIVE_BUFFER);
            try {
                NetlinkLibC.setsockopt(fd, NetlinkLibC.SOL_SOCKET, NetlinkLibC.SO_RCVBUFFORCE, opt, 4);
            } catch (LastErrorException e) {
                NetlinkLibC.setsockopt(fd, NetlinkLibC.SOL_SOCKET, NetlinkLibC.SO_RCVBUF, opt, 4); // without CAP_NET_ADMIN
            }
            opt.setLong(0, receiveTimeoutMillis / 1000);
            opt.setLong(8, (receiveTimeoutMillis % 1000) * 1000L);
            NetlinkLibC.setsockopt(fd, NetlinkLibC.SOL_SOCKET, NetlinkLibC.SO_RCVTIMEO, opt, 16);
        } catch (LastErrorException e) {
            NetlinkLibC.close(fd);
            throw new IllegalStateException("binding the rtnetlink socket: errno " + e.getErrorCode(), e);
        }
        return new RtNetlinkSocket(fd);
    }

    /** Asks for all links (RTM_GETLINK with NLM_F_DUMP); the answer ends with a {@link RtEvent.DumpDone}. */
    public int dumpLinks() {
        return dump(RtNetlinkParser.RTM_GETLINK, RtNetlinkParser.IFINFOMSG_LEN);
    }

    /** Asks for all addresses of both families (RTM_GETADDR with NLM_F_DUMP). */
    public int dumpAddresses() {
        return dump(RtNetlinkParser.RTM_GETADDR, RtNetlinkParser.IFADDRMSG_LEN);
    }

    private int dump(int type, int headerLength) {
        int seq = ++sequence;
        int len = RtNetlinkParser.NLMSG_HDRLEN + headerLength;
        request.clear();
        request.setInt(0, len);
        request.setShort(4, (short) type);
        request.setShort(6, (short) (NLM_F_REQUEST | NLM_F_DUMP));
        request.setInt(8, seq); // family AF_UNSPEC (0) in the header that follows: all families
        try {
            NetlinkLibC.send(fd, request, len, 0);
        } catch (LastErrorException e) {
            throw new IllegalStateException("rtnetlink dump request: errno " + e.getErrorCode(), e);
        }
        return seq;
    }

    /**
     * Waits (up to the receive timeout) for one datagram and hands its events to {@code out}.
     *
     * @return the number of malformed messages skipped (0 normally), {@link #TIMEOUT} when nothing came,
     *         {@link #OVERRUN} when the kernel dropped notifications because we read too slowly (state must be
     *         dumped again)
     */
    public int receive(Consumer<RtEvent> out) {
        if (closed) {
            throw new IllegalStateException("rtnetlink socket closed");
        }
        long n;
        try {
            n = NetlinkLibC.recv(fd, datagram, DATAGRAM, 0);
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == NetlinkLibC.EAGAIN || errno == NetlinkLibC.EINTR) {
                return TIMEOUT;
            }
            if (errno == NetlinkLibC.ENOBUFS) {
                return OVERRUN;
            }
            throw new IllegalStateException("rtnetlink recv: errno " + errno, e);
        }
        ByteBuffer b = datagram.getByteBuffer(0, n);
        return RtNetlinkParser.parse(b, out);
    }

    public static final int TIMEOUT = -1;
    public static final int OVERRUN = -2;

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            NetlinkLibC.close(fd);
            datagram.close();
            request.close();
        }
    }
}

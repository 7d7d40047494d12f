package net.poolsa.esp.emit;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * A {@code NETLINK_ROUTE} socket of this network namespace: route, neighbour and link requests answered by the
 * kernel, or the notifications of the multicast groups it was bound to. Used by one thread ({@link Neighbours}).
 *
 * <pre>
 * nlmsghdr:  len u32 | type u16 | flags u16 | seq u32 | pid u32        (host byte order)
 * rtmsg:     family u8 | dst_len u8 | src_len u8 | tos u8 | table u8 | protocol u8 | scope u8 | type u8 | flags u32
 * ndmsg:     family u8 | pad u8 | pad u16 | ifindex s32 | state u16 | flags u8 | type u8
 * ifinfomsg: family u8 | pad u8 | type u16 | index s32 | flags u32 | change u32
 * rtattr:    len u16 | type u16 | value, padded to 4 bytes
 * </pre>
 *
 * @see <a href="https://man7.org/linux/man-pages/man7/rtnetlink.7.html">rtnetlink(7)</a>
 */
final class Netlink implements Closeable {
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int RTM_NEWROUTE = 24;
    static final int RTM_DELROUTE = 25;
    static final int RTM_GETROUTE = 26;
    static final int RTM_NEWNEIGH = 28;
    static final int RTM_DELNEIGH = 29;
    static final int RTM_GETNEIGH = 30;
    static final int RTM_NEWRULE = 32;
    static final int RTM_DELRULE = 33;

    /** Multicast groups (RTMGRP_* bits = 1 << (RTNLGRP_* - 1)). */
    static final int GROUP_LINK = 1;
    static final int GROUP_NEIGH = 1 << 2;
    static final int GROUP_IPV4_IFADDR = 1 << 4;
    static final int GROUP_IPV4_ROUTE = 1 << 6;
    static final int GROUP_IPV4_RULE = 1 << 7;
    static final int GROUP_IPV6_IFADDR = 1 << 8;
    static final int GROUP_IPV6_ROUTE = 1 << 10;
    static final int GROUP_IPV6_RULE = 1 << 18;
    /** Everything that can change where a packet goes or to which link-layer address. */
    static final int ROUTING_GROUPS = GROUP_LINK | GROUP_NEIGH | GROUP_IPV4_IFADDR | GROUP_IPV4_ROUTE | GROUP_IPV4_RULE
            | GROUP_IPV6_IFADDR | GROUP_IPV6_ROUTE | GROUP_IPV6_RULE;

    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_MARK = 16;
    static final int RTA_VIA = 18;
    static final int RTA_UID = 25;
    static final int NDA_DST = 1;
    static final int NDA_LLADDR = 2;
    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;

    static final int RTN_UNICAST = 1;
    static final int ARPHRD_ETHER = 1;
    static final int IFF_UP = 1;

    static final int ENOBUFS = 105;
    static final int ENOENT = 2;
    private static final int NLM_F_REQUEST = 1;
    private static final int HEADER = 16;
    private static final int BUFFER = 1 << 16;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;

    private final int fd;
    private final Memory buffer = new Memory(BUFFER);
    private final ByteBuffer in = buffer.getByteBuffer(0, BUFFER).order(ByteOrder.nativeOrder());
    private final Memory out = new Memory(512);
    private final ByteBuffer request = out.getByteBuffer(0, 512).order(ByteOrder.nativeOrder());
    private int seq;

    private Netlink(int fd) {
        this.fd = fd;
    }

    /**
     * @param groups         multicast groups to receive notifications of (0 for a request socket)
     * @param receiveTimeout how long {@link #receive} waits at most, in milliseconds
     */
    static Netlink open(int groups, int receiveTimeout) {
        int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
        try (Memory sa = new Memory(12); Memory v = new Memory(16)) {
            sa.clear();
            sa.setShort(0, (short) LibC.AF_NETLINK);
            sa.setInt(8, groups);
            LibC.bind(fd, sa, 12);
            v.clear();
            v.setLong(0, receiveTimeout / 1000);
            v.setLong(8, (receiveTimeout % 1000) * 1000L);
            LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, v, 16);
            if (groups != 0) {
                // A burst of route changes (a routing daemon) must not overflow the queue: ENOBUFS means lost events.
                v.setInt(0, 4 << 20);
                try {
                    LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, v, 4);
                } catch (LastErrorException e) {
                    // without CAP_NET_ADMIN the default size stays; an overflow is still noticed (ENOBUFS)
                }
            }
        } catch (LastErrorException e) {
            LibC.close(fd);
            throw e;
        }
        return new Netlink(fd);
    }

    /** One message: its type and payload (after the 16-byte header, native byte order, position 0). */
    record Message(int type, int flags, int seq, ByteBuffer payload) {
        /** The error of an NLMSG_ERROR message as a positive errno, 0 for an acknowledgement. */
        int error() {
            return -payload.getInt(0);
        }
    }

    /**
     * Waits up to the receive timeout for notifications (or replies) and parses them.
     *
     * @return the messages, empty on timeout; null when the kernel dropped notifications (ENOBUFS): the caller
     *         must assume anything may have changed
     */
    List<Message> receive(boolean wait) {
        long n = LibC.recv(fd, buffer, BUFFER, wait ? 0 : LibC.MSG_DONTWAIT);
        if (n < 0) {
            int errno = Native.getLastError();
            if (errno == ENOBUFS) {
                return null;
            }
            if (errno == EAGAIN || errno == EINTR) {
                return List.of();
            }
            throw new LastErrorException(errno);
        }
        return parse((int) n);
    }

    private List<Message> parse(int n) {
        List<Message> messages = new ArrayList<>();
        int off = 0;
        while (off + HEADER <= n) {
            int len = in.getInt(off);
            if (len < HEADER || off + len > n) {
                break; // a truncated datagram: the kernel never sends one, stop rather than read garbage
            }
            ByteBuffer body = ByteBuffer.allocate(len - HEADER).order(ByteOrder.nativeOrder());
            body.put(0, in, off + HEADER, len - HEADER);
            messages.add(new Message(in.getShort(off + 4) & 0xffff, in.getShort(off + 6) & 0xffff, in.getInt(off + 8), body));
            off += align(len);
        }
        return messages;
    }

    /** Sends the request built in {@link #request} (header written here) and returns the kernel's one answer. */
    private Message call(int type, int length) {
        int s = ++seq;
        request.putInt(0, length);
        request.putShort(4, (short) type);
        request.putShort(6, (short) NLM_F_REQUEST);
        request.putInt(8, s);
        request.putInt(12, 0);
        if (LibC.sendto(fd, out, length, 0, null, 0) < 0) {
            throw new LastErrorException(Native.getLastError());
        }
        for (int tries = 0; tries < 16; tries++) {
            List<Message> replies = receive(true);
            if (replies == null || replies.isEmpty()) {
                throw new IllegalStateException("no netlink answer to request " + type);
            }
            for (Message m : replies) {
                if (m.seq() == s) {
                    return m;
                }
            }
        }
        throw new IllegalStateException("no netlink answer to request " + type);
    }

    private int attribute(int at, int type, byte[] value) {
        request.putShort(at, (short) (4 + value.length));
        request.putShort(at + 2, (short) type);
        request.put(at + 4, value);
        return at + align(4 + value.length);
    }

    private int attribute(int at, int type, int value) {
        request.putShort(at, (short) 8);
        request.putShort(at + 2, (short) type);
        request.putInt(at + 4, value);
        return at + 8;
    }

    /** The route the kernel picks for a packet to {@code destination}. */
    record Route(int error, int type, int oif, byte[] gateway) {
    }

    /**
     * Asks the kernel which route a packet to {@code destination} takes when sent with firewall mark {@code mark}
     * by user {@code uid}: the inputs of the raw socket's output route lookup (raw(7) with IP_HDRINCL routes by
     * destination, SO_MARK and socket owner; the header's source address and TOS do not take part). The raw
     * socket's lookup also carries IP protocol 255, which RTM_GETROUTE does not accept: only a rule matching
     * {@code ipproto 255} could tell the two apart.
     */
    Route route(byte[] destination, int mark, int uid) {
        request.clear();
        for (int i = HEADER; i < HEADER + 12; i++) {
            request.put(i, (byte) 0);
        }
        request.put(HEADER, (byte) (destination.length == 4 ? LibC.AF_INET : LibC.AF_INET6));
        request.put(HEADER + 1, (byte) (destination.length * 8));
        int at = attribute(HEADER + 12, RTA_DST, destination);
        if (mark != 0) {
            at = attribute(at, RTA_MARK, mark);
        }
        at = attribute(at, RTA_UID, uid);
        Message m = call(RTM_GETROUTE, at);
        if (m.type() == NLMSG_ERROR) {
            return new Route(m.error(), 0, 0, null);
        }
        if (m.type() != RTM_NEWROUTE || m.payload().remaining() < 12) {
            throw new IllegalStateException("unexpected netlink answer " + m.type() + " to RTM_GETROUTE");
        }
        ByteBuffer p = m.payload();
        int type = p.get(7) & 0xff;
        int oif = 0;
        byte[] gateway = null;
        for (int a = 12; a + 4 <= p.limit(); ) {
            int len = p.getShort(a) & 0xffff;
            int t = p.getShort(a + 2) & 0x3fff;
            if (len < 4 || a + len > p.limit()) {
                break;
            }
            if (t == RTA_OIF && len >= 8) {
                oif = p.getInt(a + 4);
            } else if (t == RTA_GATEWAY) {
                gateway = bytes(p, a + 4, len - 4);
            } else if (t == RTA_VIA) {
                gateway = new byte[0]; // a next hop of the other family: not one we can address here
            }
            a += align(len);
        }
        return new Route(0, type, oif, gateway);
    }

    /**
     * A neighbour entry (or a notification about one).
     *
     * @param state  NUD_* bits
     * @param lladdr link-layer address, null if the entry has none
     */
    record Neighbour(int family, int ifindex, int state, byte[] address, byte[] lladdr, boolean deleted) {
        static Neighbour parse(Message m) {
            ByteBuffer p = m.payload();
            if (p.remaining() < 12) {
                return null;
            }
            byte[] dst = null;
            byte[] ll = null;
            for (int a = 12; a + 4 <= p.limit(); ) {
                int len = p.getShort(a) & 0xffff;
                int t = p.getShort(a + 2) & 0x3fff;
                if (len < 4 || a + len > p.limit()) {
                    break;
                }
                if (t == NDA_DST) {
                    dst = bytes(p, a + 4, len - 4);
                } else if (t == NDA_LLADDR) {
                    ll = bytes(p, a + 4, len - 4);
                }
                a += align(len);
            }
            return dst == null ? null
                    : new Neighbour(p.get(0) & 0xff, p.getInt(4), p.getShort(8) & 0xffff, dst, ll, m.type() == RTM_DELNEIGH);
        }
    }

    /** The kernel's neighbour entry for {@code address} on {@code ifindex}; null when there is none. */
    Neighbour neighbour(int ifindex, byte[] address) {
        request.clear();
        for (int i = HEADER; i < HEADER + 12; i++) {
            request.put(i, (byte) 0);
        }
        request.put(HEADER, (byte) (address.length == 4 ? LibC.AF_INET : LibC.AF_INET6));
        request.putInt(HEADER + 4, ifindex);
        int at = attribute(HEADER + 12, NDA_DST, address);
        Message m = call(RTM_GETNEIGH, at);
        if (m.type() == NLMSG_ERROR) {
            if (m.error() == ENOENT) {
                return null;
            }
            throw new LastErrorException(m.error());
        }
        return m.type() == RTM_NEWNEIGH ? Neighbour.parse(m) : null;
    }

    /**
     * An interface as a link-layer sender sees it.
     *
     * @param type ARPHRD_* (1 = Ethernet)
     */
    record Link(int index, String name, int type, int flags, int mtu, byte[] address, boolean deleted) {
        boolean up() {
            return (flags & IFF_UP) != 0;
        }

        static Link parse(Message m) {
            ByteBuffer p = m.payload();
            if (p.remaining() < 16) {
                return null;
            }
            String name = null;
            int mtu = 0;
            byte[] address = null;
            for (int a = 16; a + 4 <= p.limit(); ) {
                int len = p.getShort(a) & 0xffff;
                int t = p.getShort(a + 2) & 0x3fff;
                if (len < 4 || a + len > p.limit()) {
                    break;
                }
                if (t == IFLA_IFNAME) {
                    byte[] b = bytes(p, a + 4, len - 4);
                    int end = 0;
                    while (end < b.length && b[end] != 0) {
                        end++;
                    }
                    name = new String(b, 0, end, java.nio.charset.StandardCharsets.US_ASCII);
                } else if (t == IFLA_MTU && len >= 8) {
                    mtu = p.getInt(a + 4);
                } else if (t == IFLA_ADDRESS) {
                    address = bytes(p, a + 4, len - 4);
                }
                a += align(len);
            }
            return new Link(p.getInt(4), name, p.getShort(2) & 0xffff, p.getInt(8), mtu, address, m.type() == RTM_DELLINK);
        }
    }

    /** The interface with index {@code ifindex}; null when there is none. */
    Link link(int ifindex) {
        request.clear();
        for (int i = HEADER; i < HEADER + 16; i++) {
            request.put(i, (byte) 0);
        }
        request.putInt(HEADER + 4, ifindex);
        Message m = call(RTM_GETLINK, HEADER + 16);
        if (m.type() == NLMSG_ERROR) {
            return null;
        }
        return m.type() == RTM_NEWLINK ? Link.parse(m) : null;
    }

    private static byte[] bytes(ByteBuffer p, int at, int len) {
        byte[] b = new byte[len];
        p.get(at, b);
        return b;
    }

    private static int align(int len) {
        return (len + 3) & ~3;
    }

    @Override
    public void close() {
        LibC.close(fd);
        buffer.close();
        out.close();
    }
}

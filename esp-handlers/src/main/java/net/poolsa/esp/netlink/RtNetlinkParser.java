package net.poolsa.esp.netlink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Decodes a datagram read from a NETLINK_ROUTE socket: a sequence of messages, each a {@code struct nlmsghdr}
 * (16 bytes, host byte order) and a payload padded to 4 bytes; link, address and route messages carry a fixed
 * header ({@code ifinfomsg}, {@code ifaddrmsg}, {@code rtmsg}) followed by {@code rtattr} attributes
 * (rtnetlink(7), linux/rtnetlink.h). Every length is checked before it is read: a message that does not fit is
 * skipped and counted, never thrown, so a kernel newer than this code cannot stop the reader.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3549#section-2.3.2">RFC 3549 §2.3.2 (message format)</a>
 */
public final class RtNetlinkParser {
    static final int NLMSG_HDRLEN = 16;
    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLMSG_OVERRUN = 4;
    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int RTM_GETADDR = 22;
    static final int RTM_NEWROUTE = 24;
    static final int RTM_DELROUTE = 25;
    static final int IFINFOMSG_LEN = 16;
    static final int IFADDRMSG_LEN = 8;
    static final int RTMSG_LEN = 12;
    static final int IFLA_IFNAME = 3;
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_FLAGS = 8;
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_TABLE = 15;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    private static final int RTA_TYPE_MASK = 0x3fff; // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
    private static final int IFNAMSIZ = 16;

    private RtNetlinkParser() {
    }

    /**
     * Decodes the messages in {@code b} from its position to its limit (the bytes of one {@code recv}).
     *
     * @return how many messages were malformed or truncated and skipped
     */
    public static int parse(ByteBuffer b, Consumer<RtEvent> out) {
        ByteBuffer m = b.duplicate().order(ByteOrder.nativeOrder());
        int at = m.position();
        int end = m.limit();
        int bad = 0;
        while (end - at >= NLMSG_HDRLEN) {
            int len = m.getInt(at);
            if (len < NLMSG_HDRLEN || len > end - at) {
                return bad + 1; // the rest cannot be framed
            }
            int type = m.getShort(at + 4) & 0xffff;
            int seq = m.getInt(at + 8);
            int body = at + NLMSG_HDRLEN;
            int bodyEnd = at + len;
            boolean ok = switch (type) {
                case RTM_NEWLINK, RTM_DELLINK -> link(m, body, bodyEnd, type == RTM_DELLINK, out);
                case RTM_NEWADDR, RTM_DELADDR -> address(m, body, bodyEnd, type == RTM_DELADDR, out);
                case RTM_NEWROUTE, RTM_DELROUTE -> route(m, body, bodyEnd, type == RTM_DELROUTE, out);
                case NLMSG_DONE -> emit(out, new RtEvent.DumpDone(seq));
                case NLMSG_ERROR -> bodyEnd - body >= 4 && emit(out, new RtEvent.Error(seq, m.getInt(body)));
                default -> true; // NOOP, OVERRUN and types we did not subscribe to
            };
            if (!ok) {
                bad++;
            }
            at += Math.min(align(len), end - at); // the last message's padding may be cut off
        }
        return at == end ? bad : bad + 1; // trailing bytes too short for a header
    }

    private static boolean emit(Consumer<RtEvent> out, RtEvent e) {
        out.accept(e);
        return true;
    }

    static int align(int n) {
        return (n + 3) & ~3;
    }

    /** @return false when malformed */
    private static boolean link(ByteBuffer m, int at, int end, boolean deleted, Consumer<RtEvent> out) {
        if (end - at < IFINFOMSG_LEN) {
            return false;
        }
        int index = m.getInt(at + 4);
        int flags = m.getInt(at + 8);
        String name = null;
        for (int a = at + IFINFOMSG_LEN; end - a >= 4; ) {
            int alen = m.getShort(a) & 0xffff;
            int atype = m.getShort(a + 2) & RTA_TYPE_MASK;
            if (alen < 4 || alen > end - a) {
                return false;
            }
            if (atype == IFLA_IFNAME) {
                name = cString(m, a + 4, Math.min(alen - 4, IFNAMSIZ));
            }
            a += align(alen);
        }
        return emit(out, new RtEvent.Link(deleted, index, name, flags));
    }

    private static boolean address(ByteBuffer m, int at, int end, boolean deleted, Consumer<RtEvent> out) {
        if (end - at < IFADDRMSG_LEN) {
            return false;
        }
        int family = m.get(at) & 0xff;
        int prefix = m.get(at + 1) & 0xff;
        int flags = m.get(at + 2) & 0xff;
        int index = m.getInt(at + 4);
        int size = family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
        if (size < 0 || prefix > size * 8) {
            return size < 0; // other families are not ours; a bad prefix length is malformed
        }
        byte[] local = null;
        byte[] address = null;
        for (int a = at + IFADDRMSG_LEN; end - a >= 4; ) {
            int alen = m.getShort(a) & 0xffff;
            int atype = m.getShort(a + 2) & RTA_TYPE_MASK;
            if (alen < 4 || alen > end - a) {
                return false;
            }
            if (atype == IFA_LOCAL || atype == IFA_ADDRESS) {
                if (alen - 4 != size) {
                    return false;
                }
                byte[] v = new byte[size];
                m.get(a + 4, v);
                if (atype == IFA_LOCAL) {
                    local = v;
                } else {
                    address = v;
                }
            } else if (atype == IFA_FLAGS && alen - 4 >= 4) {
                flags = m.getInt(a + 4); // the full 32-bit flags; ifa_flags holds only the low 8
            }
            a += align(alen);
        }
        byte[] own = local != null ? local : address; // IFA_LOCAL is ours; IFA_ADDRESS is the peer on a point-to-point link
        if (own == null) {
            return false;
        }
        return emit(out, new RtEvent.Address(deleted, index, inet(own), prefix, flags));
    }

    private static boolean route(ByteBuffer m, int at, int end, boolean deleted, Consumer<RtEvent> out) {
        if (end - at < RTMSG_LEN) {
            return false;
        }
        int family = m.get(at) & 0xff;
        int dstLen = m.get(at + 1) & 0xff;
        int table = m.get(at + 4) & 0xff;
        int size = family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
        if (size < 0) {
            return true; // MPLS and other families are not ours
        }
        if (dstLen > size * 8) {
            return false;
        }
        int oif = 0;
        byte[] dst = new byte[size]; // absent RTA_DST: the default route
        for (int a = at + RTMSG_LEN; end - a >= 4; ) {
            int alen = m.getShort(a) & 0xffff;
            int atype = m.getShort(a + 2) & RTA_TYPE_MASK;
            if (alen < 4 || alen > end - a) {
                return false;
            }
            if (atype == RTA_OIF && alen - 4 >= 4) {
                oif = m.getInt(a + 4);
            } else if (atype == RTA_TABLE && alen - 4 >= 4) {
                table = m.getInt(a + 4);
            } else if (atype == RTA_DST) {
                if (alen - 4 != size) {
                    return false;
                }
                m.get(a + 4, dst);
            }
            a += align(alen);
        }
        return emit(out, new RtEvent.Route(deleted, family, table, oif, inet(dst), dstLen));
    }

    private static String cString(ByteBuffer m, int at, int max) {
        int n = 0;
        while (n < max && m.get(at + n) != 0) {
            n++;
        }
        byte[] v = new byte[n];
        m.get(at, v);
        return new String(v, StandardCharsets.US_ASCII);
    }

    private static InetAddress inet(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("address of " + b.length + " bytes", e); // sizes are checked above
        }
    }
}

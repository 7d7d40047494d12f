package net.poolsa.esp.netlink;

import java.net.InetAddress;

/**
 * One rtnetlink message about a link, an address or a route, decoded from the kernel's bytes (rtnetlink(7)).
 * Only the fields path monitoring needs are kept.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3549">RFC 3549 (Netlink)</a>
 */
public sealed interface RtEvent {
    /** IFF_UP: the administrator enabled the interface. */
    int IFF_UP = 0x1;
    /** IFF_RUNNING: RFC 2863 operational state up (carrier present, not dormant). */
    int IFF_RUNNING = 0x40;
    /** IFF_LOWER_UP: the driver reports carrier. */
    int IFF_LOWER_UP = 0x10000;
    /** IFA_F_TENTATIVE, IFA_F_DADFAILED: an IPv6 address that may not be used as a source (yet). */
    int IFA_F_DADFAILED = 0x08;
    int IFA_F_TENTATIVE = 0x40;

    /**
     * RTM_NEWLINK / RTM_DELLINK.
     *
     * @param name  IFLA_IFNAME, or null when the message carried none
     * @param flags ifi_flags (IFF_*)
     */
    record Link(boolean deleted, int index, String name, int flags) implements RtEvent {
        /** Administratively up and operationally running: packets can leave and arrive. */
        public boolean usable() {
            return !deleted && (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
        }
    }

    /**
     * RTM_NEWADDR / RTM_DELADDR: the address (IFA_LOCAL, else IFA_ADDRESS) of interface {@code index}.
     *
     * @param flags IFA_FLAGS when present, else ifa_flags (IFA_F_*)
     */
    record Address(boolean deleted, int index, InetAddress address, int prefixLength, int flags) implements RtEvent {
        /** Present and usable as a source (not tentative, DAD not failed). */
        public boolean usable() {
            return !deleted && (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) == 0;
        }
    }

    /**
     * RTM_NEWROUTE / RTM_DELROUTE.
     *
     * @param outputIndex RTA_OIF, or 0 (none, or a multipath route)
     */
    record Route(boolean deleted, int family, int table, int outputIndex, InetAddress destination, int prefixLength)
            implements RtEvent {
    }

    /** NLMSG_DONE: the end of a dump this socket asked for. */
    record DumpDone(int sequence) implements RtEvent {
    }

    /** NLMSG_ERROR answering a request of this socket; {@code error} is the negative errno, 0 an acknowledgement. */
    record Error(int sequence, int error) implements RtEvent {
    }
}

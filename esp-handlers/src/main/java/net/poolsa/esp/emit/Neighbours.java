package net.poolsa.esp.emit;

import java.io.Closeable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.poolsa.esp.emit.Destinations.Destination;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each outer destination's {@link NextHop} equal to what the kernel would use for a packet from the marked raw
 * socket: the route (asked with {@code RTM_GETROUTE} for the destination, poolsa's firewall mark and our user, the
 * raw socket's routing inputs, so policy rules keyed on the mark still decide), its interface, and the link-layer
 * address of its next hop (the gateway, or the destination itself when it is on-link) from the kernel's neighbour
 * table ({@code RTM_GETNEIGH}). Runs on its own thread; the event loop only reads the published next hops.
 *
 * <p>How a changed or dead next hop is noticed, since a frame to a wrong MAC address vanishes without an error:
 * <ul>
 * <li>the thread listens to the kernel's link, neighbour, address, route and rule notifications. A neighbour entry
 *     that changes address (an ARP or ND update, e.g. a gratuitous ARP from a router that changed hardware) updates
 *     the next hop at once; one that goes FAILED, INCOMPLETE or is deleted makes the destination's packets take the
 *     raw socket again; any route, rule, address or uplink change, and lost notifications (ENOBUFS), re-resolve every
 *     destination. An audit re-resolves them all every {@link #AUDIT_NANOS} anyway.</li>
 * <li>the kernel only re-validates a neighbour it sends to itself, and frames from a ring are not that. So when the
 *     entry goes STALE (the kernel's reachable time ran out without confirmation) the next packet to that destination
 *     is sent through the raw socket: the kernel then moves the entry to DELAY and PROBE, asks the old address by
 *     unicast, and reports REACHABLE or FAILED, as it would for traffic it forwards itself. The path monitor's probes
 *     also go through the raw socket and keep the peers' entries in use. A silent MAC change is thus noticed within
 *     the kernel's own times (reachable time, then delay_first_probe_time plus ucast_solicit x retrans_time).</li>
 * <li>a destination never seen resolved, or whose neighbour is unresolved, is sent through the raw socket: the kernel
 *     resolves it (ARP/ND) on that packet, and the notification of the new entry moves it to the ring.</li>
 * </ul>
 */
final class Neighbours implements Closeable {
    /** Every destination is re-resolved this often even without notifications. */
    static final long AUDIT_NANOS = 10_000_000_000L;
    /** How long the thread waits for notifications before looking for new destinations. */
    static final int WAIT_MILLIS = 20;
    static final int NUD_INCOMPLETE = 0x01;
    static final int NUD_REACHABLE = 0x02;
    static final int NUD_STALE = 0x04;
    static final int NUD_DELAY = 0x08;
    static final int NUD_PROBE = 0x10;
    static final int NUD_FAILED = 0x20;
    static final int NUD_NOARP = 0x40;
    static final int NUD_PERMANENT = 0x80;
    /** States in which the kernel itself sends to the entry's address. */
    static final int NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;
    private static final Logger LOG = LoggerFactory.getLogger(Neighbours.class);

    /** One interface the emitter has a ring on. */
    record Uplink(String name, int ifindex, int ring, int frameCapacity) {
    }

    private final Destinations table;
    private final Map<Integer, Uplink> uplinks = new HashMap<>();
    private final Map<Integer, Netlink.Link> links = new HashMap<>();
    private final int fwmark;
    private final int uid;
    private final Netlink events;
    private final Netlink requests;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long notifications;
    private volatile long resolutions;
    private int resolved;
    private boolean dirty;
    private long nextAudit;

    /**
     * Subscribes to the notifications first, then reads the uplinks' links: no change between the two is missed.
     *
     * @throws RuntimeException when a netlink socket cannot be opened or an uplink is unknown to the kernel
     */
    Neighbours(Destinations table, List<Uplink> uplinks, int fwmark) {
        this.table = table;
        this.fwmark = fwmark;
        this.uid = LibC.geteuid();
        this.events = Netlink.open(Netlink.ROUTING_GROUPS, WAIT_MILLIS);
        try {
            this.requests = Netlink.open(0, 1000);
        } catch (RuntimeException e) {
            events.close();
            throw e;
        }
        for (Uplink u : uplinks) {
            this.uplinks.put(u.ifindex(), u);
            Netlink.Link l = requests.link(u.ifindex());
            if (l == null) {
                close();
                throw new IllegalStateException("uplink " + u.name() + " (ifindex " + u.ifindex() + ") does not exist");
            }
            links.put(u.ifindex(), l);
        }
        this.nextAudit = System.nanoTime() + AUDIT_NANOS;
        this.thread = new Thread(this::run, "poolsa-neighbours");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Notifications received so far (tests, status). */
    long notifications() {
        return notifications;
    }

    /** Route and neighbour resolutions done so far (tests, status). */
    long resolutions() {
        return resolutions;
    }

    private void run() {
        while (running) {
            try {
                step();
            } catch (RuntimeException e) {
                LOG.warn("neighbour watch: {}; re-resolving everything", e.toString());
                dirty = true;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void step() {
        List<Netlink.Message> batch = events.receive(true);
        while (batch == null || !batch.isEmpty()) {
            if (batch == null) {
                LOG.warn("netlink notifications were lost (ENOBUFS): re-resolving every destination");
                dirty = true;
            } else {
                for (Netlink.Message m : batch) {
                    handle(m);
                }
            }
            batch = events.receive(false);
        }
        int n = table.count();
        long now = System.nanoTime();
        if (dirty || now - nextAudit >= 0) {
            dirty = false;
            nextAudit = now + AUDIT_NANOS;
            for (int i = 0; i < n; i++) {
                resolve(table.get(i));
            }
        } else {
            for (int i = resolved; i < n; i++) {
                resolve(table.get(i));
            }
        }
        resolved = n;
    }

    private void handle(Netlink.Message m) {
        notifications++;
        switch (m.type()) {
            case Netlink.RTM_NEWNEIGH, Netlink.RTM_DELNEIGH -> {
                Netlink.Neighbour n = Netlink.Neighbour.parse(m);
                if (n == null) {
                    return;
                }
                for (int i = 0; i < resolved; i++) {
                    Destination d = table.get(i);
                    Uplink u = uplinks.get(d.ifindex);
                    if (u != null && d.ifindex == n.ifindex() && Arrays.equals(d.via, n.address())) {
                        apply(d, u, n);
                    }
                }
            }
            case Netlink.RTM_NEWLINK, Netlink.RTM_DELLINK -> {
                Netlink.Link l = Netlink.Link.parse(m);
                if (l != null && uplinks.containsKey(l.index())) {
                    links.put(l.index(), l);
                    dirty = true;
                }
            }
            case Netlink.RTM_NEWROUTE, Netlink.RTM_DELROUTE, Netlink.RTM_NEWRULE, Netlink.RTM_DELRULE, Netlink.RTM_NEWADDR,
                 Netlink.RTM_DELADDR -> dirty = true;
            default -> {
            }
        }
    }

    /** Route, then neighbour, for one destination. */
    private void resolve(Destination d) {
        resolutions++;
        Netlink.Route r = requests.route(d.address, fwmark, uid);
        d.via = null;
        d.ifindex = 0;
        if (r.error() != 0) {
            publish(d, null, "raw socket: no route (errno " + r.error() + ")");
            return;
        }
        if (r.type() != Netlink.RTN_UNICAST) {
            publish(d, null, "raw socket: route of type " + r.type() + ", not unicast");
            return;
        }
        Uplink u = uplinks.get(r.oif());
        if (u == null) {
            publish(d, null, "raw socket: leaves through ifindex " + r.oif() + ", not an interface with a ring");
            return;
        }
        if (r.gateway() != null && r.gateway().length != d.address.length) {
            publish(d, null, "raw socket: next hop of the other address family");
            return;
        }
        d.ifindex = r.oif();
        d.via = r.gateway() != null ? r.gateway() : d.address;
        apply(d, u, requests.neighbour(d.ifindex, d.via));
    }

    private void apply(Destination d, Uplink u, Netlink.Neighbour n) {
        String who = "neighbour " + Destinations.literal(d.via) + " on " + u.name();
        Netlink.Link l = links.get(u.ifindex());
        if (l == null || l.deleted() || !l.up()) {
            publish(d, null, "raw socket: link " + u.name() + " is down or gone");
        } else if (l.type() != Netlink.ARPHRD_ETHER || l.address() == null || l.address().length != 6) {
            publish(d, null, "raw socket: link " + u.name() + " is not Ethernet (type " + l.type() + ")");
        } else if (n == null || n.deleted()) {
            publish(d, null, "raw socket: " + who + " unknown, the kernel resolves it");
        } else if ((n.state() & NUD_VALID) == 0 || n.lladdr() == null || n.lladdr().length != 6) {
            publish(d, null, "raw socket: " + who + " " + stateName(n.state()));
        } else {
            int max = Math.min(l.mtu(), u.frameCapacity() - NextHop.ETH_HEADER);
            publish(d, new NextHop(u.ring(), n.lladdr(), l.address(), d.address.length == 4, max, u.name()),
                    "ring: " + who + " at " + NextHop.mac(n.lladdr()) + " " + stateName(n.state()));
            if ((n.state() & NUD_STALE) != 0) {
                d.confirmRequests = d.confirmRequests + 1; // the only writer is this thread
            }
        }
    }

    private static void publish(Destination d, NextHop hop, String state) {
        NextHop old = d.hop;
        d.hop = hop;
        boolean changed = (old == null) != (hop == null) || hop != null && (old.ring != hop.ring || old.header0 != hop.header0
                || old.header1 != hop.header1 || old.maxPacket != hop.maxPacket);
        String was = d.state;
        d.state = state;
        if (changed) {
            LOG.info("emit to {}: {} (was: {})", Destinations.literal(d.address), state, was);
        } else if (!state.equals(was)) {
            LOG.debug("emit to {}: {}", Destinations.literal(d.address), state);
        }
    }

    static String stateName(int state) {
        String[] names = {"INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "PERMANENT"};
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            if ((state & (1 << i)) != 0) {
                s.append(s.length() == 0 ? "" : "|").append(names[i]);
            }
        }
        return s.length() == 0 ? "NONE" : s.toString();
    }

    @Override
    public void close() {
        running = false;
        if (thread != null && thread.isAlive() && thread != Thread.currentThread()) {
            try {
                thread.join(2000); // wakes within WAIT_MILLIS
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        events.close();
        if (requests != null) {
            requests.close();
        }
    }
}

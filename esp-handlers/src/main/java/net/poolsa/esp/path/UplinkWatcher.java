package net.poolsa.esp.path;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.poolsa.esp.netlink.RtEvent;
import net.poolsa.esp.sa.OuterAddress;

/**
 * Turns the kernel's link, address and route events (rtnetlink) into what path monitoring needs: whether each local
 * outer address can carry packets, that is its interface is administratively up and operationally running and the
 * address is on it (not tentative), and which uplinks had their routes changed. Keeps the kernel's view of the
 * interfaces and addresses between batches. Confined to the data plane's event loop.
 */
public final class UplinkWatcher {
    private final PathMonitor monitor;
    private final List<LocalAddress> locals;
    private final Map<Integer, String> names = new HashMap<>();
    private final Map<String, Boolean> running = new HashMap<>();
    private final Map<Integer, Set<InetAddress>> addresses = new HashMap<>();
    private final Map<OuterAddress, Boolean> reported = new LinkedHashMap<>();

    public UplinkWatcher(PathMonitor monitor) {
        this.monitor = monitor;
        this.locals = monitor.locals().stream().filter(l -> l.interfaceName() != null).toList();
    }

    /**
     * Applies one batch from the kernel and tells the monitor what changed.
     *
     * @param full       the batch is a complete dump: interfaces and addresses missing from it are gone
     * @param eventNanos when the batch was read from the kernel
     */
    public void apply(List<RtEvent> events, boolean full, long eventNanos, long nowNanos) {
        if (full) {
            names.clear();
            running.clear();
            addresses.clear();
        }
        Set<String> routed = null;
        for (RtEvent e : events) {
            if (e instanceof RtEvent.Link l) {
                String old = names.get(l.index());
                if (l.deleted()) {
                    names.remove(l.index());
                    addresses.remove(l.index());
                    if (old != null) {
                        running.remove(old);
                    }
                    continue;
                }
                String name = l.name() != null ? l.name() : old;
                if (name == null) {
                    continue;
                }
                if (old != null && !old.equals(name)) {
                    running.remove(old); // renamed
                }
                names.put(l.index(), name);
                running.put(name, l.usable());
            } else if (e instanceof RtEvent.Address a) {
                Set<InetAddress> on = addresses.computeIfAbsent(a.index(), i -> new HashSet<>());
                if (a.usable()) {
                    on.add(a.address());
                } else {
                    on.remove(a.address());
                }
            } else if (e instanceof RtEvent.Route r && r.outputIndex() != 0) {
                String name = names.get(r.outputIndex());
                if (name != null) {
                    if (routed == null) {
                        routed = new HashSet<>();
                    }
                    routed.add(name);
                }
            }
        }
        for (LocalAddress l : locals) {
            boolean now = usable(l);
            Boolean before = reported.put(l.address(), now);
            if (before == null ? !now : before != now) {
                monitor.localChanged(l.address(), now, nowNanos, eventNanos);
            }
        }
        if (routed != null) {
            for (String name : routed) {
                monitor.routeChanged(name, nowNanos);
            }
        }
    }

    /** Whether the kernel's view says {@code l} can carry packets. */
    public boolean usable(LocalAddress l) {
        if (!Boolean.TRUE.equals(running.get(l.interfaceName()))) {
            return false;
        }
        for (Map.Entry<Integer, String> n : names.entrySet()) {
            if (n.getValue().equals(l.interfaceName())) {
                Set<InetAddress> on = addresses.get(n.getKey());
                return on != null && on.contains(l.address().address());
            }
        }
        return false;
    }
}

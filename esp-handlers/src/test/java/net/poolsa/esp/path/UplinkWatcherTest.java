package net.poolsa.esp.path;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import net.poolsa.esp.event.PathState;
import net.poolsa.esp.netlink.RtEvent;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.sa.OuterAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the kernel's events make of the uplinks: a local address is usable while its interface is up and running and
 * the address is on it (not tentative); a full dump replaces what was known; a route change through an uplink makes
 * its idle paths probed at the busy rate.
 */
class UplinkWatcherTest {
    private static final int UP = RtEvent.IFF_UP | RtEvent.IFF_RUNNING | RtEvent.IFF_LOWER_UP;
    private static final OuterAddress A1 = OuterAddress.parse("198.51.100.1");
    private static final OuterAddress A2 = OuterAddress.parse("2001:db8:100:2::1");
    private final List<ByteBuf> probes = new ArrayList<>();
    private final List<String> states = new ArrayList<>();
    private final PathMonitor monitor = new PathMonitor(List.of(new LocalAddress(A1, 29, "l1"), new LocalAddress(A2, 64, "l2")),
            List.of(OuterAddress.parse("198.51.100.2"), OuterAddress.parse("2001:db8:100:2::2")), PathTimers.DEFAULTS, probes::add,
            PooledByteBufAllocator.DEFAULT, new DataPathListener() {
                @Override
                public void dropped(net.poolsa.esp.event.DropReason reason, net.poolsa.esp.sa.SecurityAssociation sa) {
                }

                @Override
                public void pathStateChanged(OuterAddress local, OuterAddress remote, PathState previous, PathState current) {
                    if (previous != null) {
                        states.add(local + " " + current.label());
                    }
                }
            });
    private final UplinkWatcher watcher = new UplinkWatcher(monitor);

    @AfterEach
    void release() {
        probes.forEach(ByteBuf::release);
    }

    private static RtEvent.Link link(int index, String name, int flags) {
        return new RtEvent.Link(false, index, name, flags);
    }

    private static RtEvent.Address addr(boolean deleted, int index, String a, int flags) throws Exception {
        return new RtEvent.Address(deleted, index, InetAddress.getByName(a), 29, flags);
    }

    private List<Boolean> usable() {
        return monitor.paths().stream().map(PathMonitor.Path::localUsable).toList();
    }

    @Test
    void linkAndAddressEventsMakeTheUplinksUsableOrNot() throws Exception {
        monitor.tick(0);
        watcher.apply(List.of(link(2, "l1", UP), link(3, "l2", UP), addr(false, 2, "198.51.100.1", 0x80),
                addr(false, 3, "2001:db8:100:2::1", RtEvent.IFA_F_TENTATIVE)), true, 0, 0);
        assertEquals(List.of(true, false), usable(), "an IPv6 address in duplicate address detection cannot be used yet");
        watcher.apply(List.of(addr(false, 3, "2001:db8:100:2::1", 0x80)), false, 1, 1);
        assertEquals(List.of(true, true), usable());
        watcher.apply(List.of(link(2, null, RtEvent.IFF_UP)), false, 2, 2); // carrier lost; no name in the message
        assertEquals(List.of(false, true), usable());
        watcher.apply(List.of(link(2, "l1", UP)), false, 3, 3);
        assertEquals(List.of(true, true), usable());
        watcher.apply(List.of(addr(true, 2, "198.51.100.1", 0x80)), false, 4, 4);
        assertEquals(List.of(false, true), usable());
        watcher.apply(List.of(addr(false, 2, "198.51.100.1", 0x80), link(2, "l1", 0)), false, 5, 5); // back, but admin down
        assertEquals(List.of(false, true), usable());
        // A full dump: l2 is missing from it (deleted while notifications were lost), l1 is back.
        watcher.apply(List.of(link(2, "l1", UP), addr(false, 2, "198.51.100.1", 0x80)), true, 6, 6);
        assertEquals(List.of(true, false), usable());
        watcher.apply(List.of(new RtEvent.Link(true, 2, "l1", 0)), false, 7, 7);
        assertEquals(List.of(false, false), usable());
        assertEquals(List.of("2001:db8:100:2::1 down", "2001:db8:100:2::1 unverified", "198.51.100.1 down",
                "198.51.100.1 unverified", "198.51.100.1 down", "198.51.100.1 unverified", "2001:db8:100:2::1 down",
                "198.51.100.1 down"), states);
    }

    @Test
    void aRouteChangeThroughAnUplinkProbesItsPathsAtTheBusyRate() throws Exception {
        long ms = 1_000_000L;
        watcher.apply(List.of(link(2, "l1", UP), addr(false, 2, "198.51.100.1", 0x80)), true, 0, 0);
        for (long t = 1000; t < 1500; t += 10) {
            monitor.tick(t * ms); // on time: a tick much later than due would restart the detection windows (a stall)
        }
        probes.forEach(ByteBuf::release);
        probes.clear();
        monitor.tick(1500 * ms);
        assertEquals(0, probes.stream().filter(p -> p.getByte(0) >> 4 == 4).count(), "unverified paths wait one busy interval");
        watcher.apply(List.of(new RtEvent.Route(true, 2, 254, 2, InetAddress.getByName("0.0.0.0"), 0)), false, 1600 * ms, 1600 * ms);
        monitor.tick(1600 * ms);
        assertEquals(1, probes.stream().filter(p -> p.getByte(0) >> 4 == 4).count(), "probed at once after the route change");
    }
}

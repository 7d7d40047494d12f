package net.poolsa.esp.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateways, each with its own {@link PathMonitor}, fed each other's authenticated packets over two paths with a
 * one-way delay, on a virtual clock. When both ends change paths at the same time, each to where the other just was,
 * following each other's newest packet made them swap paths in turn until the switch budget held them (the defect
 * seen after a link came back, docs/benchmarks.md §4); the tie-break ({@link PathMonitor#stands}) lets one end keep
 * its path and the other follow it there.
 */
class PeerFollowTieBreakTest {
    private static final long MS = 1_000_000L;
    private static final long DELAY = 5; // one-way, ms
    private static final OuterAddress A1 = OuterAddress.parse("198.51.100.1");
    private static final OuterAddress A2 = OuterAddress.parse("203.0.113.1");
    private static final OuterAddress B1 = OuterAddress.parse("198.51.100.2");
    private static final OuterAddress B2 = OuterAddress.parse("203.0.113.2");
    private static final AddressPool POOL_A = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool POOL_B = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");

    private final List<ByteBuf> probes = new ArrayList<>();

    @AfterEach
    void release() {
        probes.forEach(ByteBuf::release);
    }

    /** One gateway: its monitor, its outbound SA (reqid 1) and the inbound SA its peer's packets arrive on. */
    private final class Gateway implements DataPathListener {
        final String name;
        final PathMonitor monitor;
        final SecurityAssociation out;
        final SecurityAssociation in;
        final List<PathSwitchCause> switches = new ArrayList<>();
        long sequence;

        Gateway(String name, OuterAddress l1, OuterAddress l2, List<OuterAddress> peers, AddressPool local, AddressPool remote,
                int outSpi, int inSpi) {
            this.name = name;
            monitor = new PathMonitor(List.of(new LocalAddress(l1, 30, "l1"), new LocalAddress(l2, 30, "l2")), peers,
                    PathTimers.DEFAULTS, probes::add, PooledByteBufAllocator.DEFAULT, this);
            out = ManualSas.outbound(outSpi, 1, local, remote, AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.64/26"),
                    ManualSas.xorKeys(1));
            in = ManualSas.inbound(inSpi, 1, local, remote, AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.64/26"),
                    ManualSas.xorKeys(1));
            out.setCurrentPath(peers.get(0).equals(A2) || peers.get(0).equals(B2) ? l2 : l1, peers.get(0));
            monitor.saInstalled(out);
        }

        @Override
        public void dropped(DropReason reason, SecurityAssociation sa) {
        }

        @Override
        public void outerPathChanged(SecurityAssociation sa, OuterAddress previousLocal, OuterAddress previousRemote,
                                     PathSwitchCause cause, long detectionNanos) {
            switches.add(cause);
        }
    }

    /** A packet in flight: sent by {@code from} over (src, dst) at {@code sentMs}. */
    private record InFlight(Gateway from, Gateway to, long sequence, OuterAddress src, OuterAddress dst, long arrivesMs) {
    }

    /**
     * A prefers the path A1-B1, B prefers B2-A2 (its peers in the other order): each SA starts on its own end's
     * preferred path (its outer addresses given at install, as a reload or a restart of one end leaves them), so the first packets cross, and each end follows the other's at the same instant. Both send a
     * packet every millisecond for 2 s.
     */
    @Test
    void twoEndsThatMoveAtOnceSettleOnOnePathWithinTheirFirstRoundTrip() {
        Gateway a = new Gateway("A", A1, A2, List.of(B1, B2), POOL_A, POOL_B, 0x1001, 0x2001);
        Gateway b = new Gateway("B", B1, B2, List.of(A2, A1), POOL_B, POOL_A, 0x2001, 0x1001);
        assertTrue(PathMonitor.stands(a.out), "A's pool starts lower: A stands");
        assertFalse(PathMonitor.stands(b.out), "exactly one end stands");
        for (Gateway g : List.of(a, b)) { // every path up: one authenticated answer over each
            g.monitor.confirmed(g == a ? A1 : B1, g == a ? B1 : A1, 0);
            g.monitor.confirmed(g == a ? A2 : B2, g == a ? B2 : A2, 0);
        }
        assertEquals(List.of(A1, B1), List.of(a.out.currentLocal(), a.out.currentRemote()));
        assertEquals(List.of(B2, A2), List.of(b.out.currentLocal(), b.out.currentRemote()));

        ArrayDeque<InFlight> wire = new ArrayDeque<>();
        List<Long> apartAt = new ArrayList<>();
        for (long t = 1; t <= 2000; t++) {
            while (!wire.isEmpty() && wire.peekFirst().arrivesMs() <= t) {
                InFlight p = wire.pollFirst();
                p.to().monitor.authenticatedV4(p.to().in, p.sequence(), p.src().v4Bits(), p.dst().v4Bits(), t * MS);
            }
            for (Gateway g : List.of(a, b)) {
                wire.addLast(new InFlight(g, g == a ? b : a, ++g.sequence, g.out.currentLocal(), g.out.currentRemote(), t + DELAY));
            }
            // On one path: A's local address is B's remote one.
            if (!a.out.currentLocal().equals(b.out.currentRemote())) {
                apartAt.add(t);
            }
        }
        assertEquals(a.out.currentLocal(), b.out.currentRemote(), "both ends on one path");
        assertEquals(a.out.currentRemote(), b.out.currentLocal(), "both ends on one path");
        // Each end moved at most twice (the crossing follow, then the one that does not stand follows once more), all
        // of them peer-moved, and they were apart only within the first two round trips.
        assertTrue(a.switches.size() <= 2 && b.switches.size() <= 2, "switches A " + a.switches + ", B " + b.switches);
        assertTrue(a.switches.size() + b.switches.size() <= 3, "switches A " + a.switches + ", B " + b.switches);
        assertTrue(apartAt.stream().allMatch(t -> t <= 4 * DELAY), "apart at " + apartAt.size() + " ms, the last at "
                + (apartAt.isEmpty() ? 0 : apartAt.get(apartAt.size() - 1)));
        assertEquals(0x1001, a.out.spi());
        assertEquals(0x2001, b.out.spi());
    }
}

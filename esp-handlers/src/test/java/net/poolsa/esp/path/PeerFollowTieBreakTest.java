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
 * Two gateways, each with its own {@link PathMonitor}, fed each other's authenticated packets with a one-way delay, on
 * a virtual clock. When both ends switch back at the same time to different paths, following each other's newest
 * packet made them swap paths in turn until the switch budget held them (the defect seen after a link came back,
 * docs/benchmarks.md §4); the tie-break ({@link PathMonitor#stands}) lets one end keep its path and the other follow it.
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
        final PathMonitor monitor;
        final SecurityAssociation out;
        final SecurityAssociation in;
        final List<String> switches = new ArrayList<>();
        long sequence;

        /** Uplinks l1 and l2 as /32: the peer is behind routers, so there is a path from each uplink to each peer address. */
        Gateway(OuterAddress l1, OuterAddress l2, List<OuterAddress> peers, AddressPool local, AddressPool remote, int outSpi,
                int inSpi, OuterAddress startLocal, OuterAddress startRemote) {
            monitor = new PathMonitor(List.of(new LocalAddress(l1, 32, "l1"), new LocalAddress(l2, 32, "l2")), peers,
                    PathTimers.DEFAULTS, probes::add, PooledByteBufAllocator.DEFAULT, this);
            out = ManualSas.outbound(outSpi, 1, local, remote, AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.64/26"),
                    ManualSas.xorKeys(1));
            in = ManualSas.inbound(inSpi, 1, local, remote, AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.64/26"),
                    ManualSas.xorKeys(1));
            out.setCurrentPath(startLocal, startRemote);
            monitor.saInstalled(out);
        }

        @Override
        public void dropped(DropReason reason, SecurityAssociation sa) {
        }

        @Override
        public void outerPathChanged(SecurityAssociation sa, OuterAddress previousLocal, OuterAddress previousRemote,
                                     PathSwitchCause cause, long detectionNanos) {
            switches.add(cause.label());
        }
    }

    /** A packet in flight, over (src, dst). */
    private record InFlight(Gateway to, long sequence, OuterAddress src, OuterAddress dst, long arrivesMs) {
    }

    /**
     * The router case of the measurement: four paths (each uplink of A to each of B), both ends on A2-B2 while A1-B1
     * does not work. A ranks A2-B1 before A1-B2, B ranks them the other way round (each ranks by its peers' addresses
     * first). Both paths come up at the same instant, 4 s after A2-B2 (after the placement window: they did not work while
     * the peer was reachable, so they are not a startup's first placement), so after the hysteresis both ends switch back at the same instant,
     * A to A2-B1 and B to A1-B2, and each gets the other's packets over a path it did not choose. Both send a packet
     * every millisecond, 5 ms one way.
     */
    @Test
    void twoEndsThatSwitchBackAtOnceToDifferentPathsSettleOnOne() {
        Gateway a = new Gateway(A1, A2, List.of(B1, B2), POOL_A, POOL_B, 0x1001, 0x2001, A2, B2);
        Gateway b = new Gateway(B1, B2, List.of(A1, A2), POOL_B, POOL_A, 0x2001, 0x1001, B2, A2);
        assertTrue(PathMonitor.stands(a.out), "A's pool starts lower: A stands");
        assertFalse(PathMonitor.stands(b.out), "exactly one end stands");

        ArrayDeque<InFlight> wire = new ArrayDeque<>();
        long switchedBack = -1;
        long lastApart = -1;
        for (long t = 0; t <= 12000; t++) {
            long now = t * MS;
            if (t % 10 == 0) { // authenticated answers keep the working paths up (A2-B2 always, the other two from 4 s)
                a.monitor.confirmed(A2, B2, now);
                b.monitor.confirmed(B2, A2, now);
                if (t >= 4000) {
                    a.monitor.confirmed(A2, B1, now);
                    a.monitor.confirmed(A1, B2, now);
                    b.monitor.confirmed(B1, A2, now);
                    b.monitor.confirmed(B2, A1, now);
                }
                a.monitor.tick(now);
                b.monitor.tick(now);
            }
            while (!wire.isEmpty() && wire.peekFirst().arrivesMs() <= t) {
                InFlight p = wire.pollFirst();
                p.to().monitor.authenticatedV4(p.to().in, p.sequence(), p.src().v4Bits(), p.dst().v4Bits(), now);
            }
            for (Gateway g : List.of(a, b)) {
                wire.addLast(new InFlight(g == a ? b : a, ++g.sequence, g.out.currentLocal(), g.out.currentRemote(), t + DELAY));
            }
            if (switchedBack < 0 && !a.switches.isEmpty()) {
                switchedBack = t;
            }
            if (!a.out.currentLocal().equals(b.out.currentRemote()) || !a.out.currentRemote().equals(b.out.currentLocal())) {
                lastApart = t; // not on one path
            }
        }
        assertEquals(List.of("switch_back"), a.switches, "A switched back and stood");
        assertEquals(List.of("switch_back", "peer_moved"), b.switches, "B switched back, then followed A once");
        assertEquals(List.of(A2, B1), List.of(a.out.currentLocal(), a.out.currentRemote()));
        assertEquals(List.of(B1, A2), List.of(b.out.currentLocal(), b.out.currentRemote()), "both ends on one path");
        assertTrue(switchedBack >= 9000 && lastApart >= switchedBack && lastApart <= switchedBack + 2 * DELAY,
                "apart only within one round trip of the switch back: switched back at " + switchedBack + " ms, last apart at "
                        + lastApart + " ms");
        assertEquals(0x1001, a.out.spi());
        assertEquals(0x2001, b.out.spi());
    }
}

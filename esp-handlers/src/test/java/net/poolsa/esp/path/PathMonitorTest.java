package net.poolsa.esp.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.PathState;
import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.event.SwitchHold;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Path decisions on a synthetic clock (no wall-clock time anywhere): BFD-style detection, local events, the peer
 * followed on authenticated traffic only, hysteresis and the per-SA switch budget, the probe budget, the SA index.
 * Probe bytes are compared with scapy's echo requests.
 */
class PathMonitorTest {
    private static final long MS = 1_000_000L;
    private static final OuterAddress A1 = OuterAddress.parse("198.51.100.1");
    private static final OuterAddress A2 = OuterAddress.parse("203.0.113.1");
    private static final OuterAddress B1 = OuterAddress.parse("198.51.100.2");
    private static final OuterAddress B2 = OuterAddress.parse("203.0.113.2");
    private static final AddressPool OURS = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool THEIRS = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");

    private final List<ByteBuf> probes = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private final List<Long> detections = new ArrayList<>();
    private final DataPathListener listener = new DataPathListener() {
        @Override
        public void dropped(DropReason reason, SecurityAssociation sa) {
            events.add("drop " + reason);
        }

        @Override
        public void outerPathChanged(SecurityAssociation sa, OuterAddress previousLocal, OuterAddress previousRemote,
                                     PathSwitchCause cause, long detectionNanos) {
            events.add(sa.spiHex() + " " + previousLocal + ">" + previousRemote + " -> " + sa.currentLocal() + ">"
                    + sa.currentRemote() + " " + cause.label());
            detections.add(detectionNanos);
        }

        @Override
        public void outerPathHeld(SecurityAssociation sa, SwitchHold why) {
            events.add(sa.spiHex() + " held " + why.label());
        }

        @Override
        public void pathStateChanged(OuterAddress local, OuterAddress remote, PathState previous, PathState current) {
            if (previous != null && current != null) {
                events.add(local + ">" + remote + " " + current.label());
            }
        }

        @Override
        public void authenticatedProbeWanted(OuterAddress local, OuterAddress remote) {
            events.add("dpd " + local + ">" + remote);
        }

        @Override
        public void pathMonitorStalled(long lateNanos) {
            events.add("stall");
        }
    };

    @AfterEach
    void release() {
        probes.forEach(ByteBuf::release);
    }

    private static final String OUT_SPI = "0x00001001";
    private static final String L1 = "198.51.100.1>198.51.100.2";
    private static final String L2 = "203.0.113.1>203.0.113.2";

    /** An outbound pool SA between A1/A2 and B1/B2 (reqid 1), on A1 > B1 to start with. */
    private static SecurityAssociation outbound(int spi, int reqid) {
        return ManualSas.outbound(spi, reqid, OURS, THEIRS, AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.64/26"),
                ManualSas.xorKeys(1));
    }

    private static SecurityAssociation inbound(int spi, int reqid) {
        return ManualSas.inbound(spi, reqid, OURS, THEIRS, AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.64/26"),
                ManualSas.xorKeys(1));
    }

    /** Monitors B1 and B2 from A1 (uplink l1) and A2 (uplink l2), each pair on one /30. */
    private PathMonitor monitor(PathTimers timers) {
        return new PathMonitor(List.of(new LocalAddress(A1, 30, "l1"), new LocalAddress(A2, 30, "l2")), List.of(B1, B2),
                timers, probes::add, PooledByteBufAllocator.DEFAULT, listener);
    }

    private PathMonitor monitor() {
        return monitor(PathTimers.DEFAULTS);
    }

    private static PathTimers timers(Duration switchBack, int switchLimit, Duration window) {
        PathTimers d = PathTimers.DEFAULTS;
        return new PathTimers(d.probeInterval(), d.idleProbeInterval(), d.detectMultiplier(), d.maxProbesPerSecond(), switchBack,
                switchLimit, window);
    }

    /** Both paths up: one tick, and B1 and B2 answer its probes. */
    private void bothUp(PathMonitor m, long t) {
        m.tick(t * MS);
        assertTrue(reply(m, B1, (t + 1) * MS));
        assertTrue(reply(m, B2, (t + 1) * MS));
        assertEquals(PathState.UP, m.state(A1, B1));
        assertEquals(PathState.UP, m.state(A2, B2));
        events.clear();
    }

    @Test
    void aBusyPathWithoutRepliesIsDownAfterThreeIntervalsAndItsSaMovesWithTheSameSpi() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        bothUp(m, 1000);
        // Traffic leaves over A1 > B1 from t=1000 on; B1 falls silent after its reply at 1001, B2 keeps answering.
        for (long t = 1010; t <= 1300; t += 10) {
            out.account(100);
            m.tick(t * MS);
            reply(m, B2, t * MS);
            if (t == 1150) {
                assertEquals(B1, out.currentRemote(), "still within the detection time of the busy path at " + t);
            }
        }
        assertEquals(A2, out.currentLocal());
        assertEquals(B2, out.currentRemote());
        assertEquals(0x1001, out.spi());
        assertEquals(List.of(L1 + " down", OUT_SPI + " " + L1 + " -> " + L2 + " probe_timeout"), events);
        // Busy from the activity check at 1040 (the busy detection window starts there), down 120 ms later, at 1160:
        // the old path had been silent since its reply at 1001.
        assertEquals(List.of(159 * MS), detections);
        assertEquals(PathState.DOWN, m.state(A1, B1));
    }

    @Test
    void anIdlePathIsDeclaredDownOnlyAfterThreeIdleIntervals() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        bothUp(m, 1000);
        for (long t = 1010; t <= 5000; t += 10) {
            m.tick(t * MS);
            reply(m, B2, t * MS);
            if (t == 3990) {
                assertEquals(B1, out.currentRemote(), "an idle path waits three idle intervals (3 s)");
            }
        }
        assertEquals(B2, out.currentRemote());
        assertEquals(List.of(L1 + " down", OUT_SPI + " " + L1 + " -> " + L2 + " probe_timeout"), events);
    }

    /** Probes per path in 60 s (synthetic): about one a second when idle, 25 a second when busy without inbound evidence, none when traffic comes back. */
    @Test
    void probeRateFollowsTheTrafficAndIsOnePerPathWhateverTheNumberOfSas() {
        assertEquals(List.of(60L, 60L), probesIn60s(1, false, false));
        List<Long> busy = probesIn60s(1, true, false);
        assertTrue(busy.get(0) >= 1400 && busy.get(0) <= 1510, "busy path without evidence: " + busy);
        assertEquals(60L, busy.get(1), "the idle path beside it");
        List<Long> answered = probesIn60s(1, true, true);
        assertTrue(answered.get(0) <= 1, "busy path with inbound traffic: " + answered);
        assertEquals(busy, probesIn60s(1000, true, false), "one probe per path, not per SA");
    }

    /**
     * @param sas      outbound SAs on A1 > B1
     * @param send     they send every 10 ms
     * @param inbound  authenticated packets arrive over A1 > B1 every 10 ms
     * @return probes sent to B1 and to B2 (both peers answer every probe at once)
     */
    private List<Long> probesIn60s(int sas, boolean send, boolean inbound) {
        probes.forEach(ByteBuf::release);
        probes.clear();
        PathMonitor m = monitor();
        List<SecurityAssociation> all = new ArrayList<>();
        for (int i = 0; i < sas; i++) {
            SecurityAssociation out = outbound(0x1001 + i, 1 + i);
            all.add(out);
            m.saInstalled(out);
        }
        SecurityAssociation in = inbound(0x9001, 1);
        long[] count = new long[2];
        long seq = 0;
        for (long t = 1000; t < 61000; t += 10) {
            if (send) {
                all.get((int) (t / 10 % sas)).account(100);
            }
            if (inbound && t > 1000) {
                m.authenticatedV4(in, ++seq, B1.v4Bits(), A1.v4Bits(), t * MS);
            }
            int before = probes.size();
            m.tick(t * MS);
            for (int i = before; i < probes.size(); i++) {
                count[probes.get(i).getInt(16) == B1.v4Bits() ? 0 : 1]++;
            }
            reply(m, B1, t * MS);
            reply(m, B2, t * MS);
            probes.forEach(ByteBuf::release);
            probes.clear();
        }
        assertEquals(B1, all.get(0).currentRemote());
        return List.of(count[0], count[1]);
    }

    /** 300 peers whose paths are all new (probed at the busy rate): the global budget of 100 probes a second holds. */
    @Test
    void theProbeBudgetBoundsTheRateOverAllPaths() {
        PathTimers d = PathTimers.DEFAULTS;
        PathTimers slow = new PathTimers(d.probeInterval(), d.idleProbeInterval(), d.detectMultiplier(), 100, d.switchBackAfter(),
                d.switchLimit(), d.switchLimitWindow());
        List<OuterAddress> peers = new ArrayList<>();
        for (int i = 2; i < 302; i++) {
            peers.add(OuterAddress.parse("2001:db8::" + Integer.toHexString(i)));
        }
        PathMonitor m = new PathMonitor(List.of(new LocalAddress(OuterAddress.parse("2001:db8::1"), 64, "l1")), peers, slow,
                probes::add, PooledByteBufAllocator.DEFAULT, listener);
        long sent = 0;
        for (long t = 1000; t < 11000; t += 10) {
            m.tick(t * MS);
            sent += probes.size();
            probes.forEach(ByteBuf::release);
            probes.clear();
        }
        // 10 s at 100/s plus the initial burst of a tenth of a second; unbounded it would be 300 x 25/s x 10 s.
        assertTrue(sent >= 990 && sent <= 1010, "probes sent in 10 s: " + sent);
        assertEquals(sent, m.probesSent());
    }

    @Test
    void aLocalLinkEventMovesTheSaInTheSameCallAndAPathThatComesBackIsProbedBeforeUse() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        bothUp(m, 1000);
        int before = probes.size();
        m.localChanged(A1, false, 1500 * MS, 1499 * MS);
        assertEquals(A2, out.currentLocal(), "moved by the event itself, before any tick");
        assertEquals(B2, out.currentRemote());
        assertEquals(before, probes.size(), "no probe needed");
        assertEquals(List.of(L1 + " down", OUT_SPI + " " + L1 + " -> " + L2 + " local_event"), events);
        assertEquals(List.of(MS), detections, "from the kernel's message to the switch");

        // No probes over a missing link.
        int sentBefore = probes.size();
        for (long t = 1510; t < 3000; t += 10) {
            m.tick(t * MS);
            reply(m, B2, t * MS);
        }
        assertTrue(probes.size() > sentBefore, "B2 is still probed");
        assertTrue(probes.subList(sentBefore, probes.size()).stream().noneMatch(p -> p.getInt(12) == A1.v4Bits()),
                "probe from a missing uplink");

        // The link comes back: probed at once, used only once it answers and stayed up for the hysteresis time.
        events.clear();
        m.localChanged(A1, true, 3000 * MS, 3000 * MS);
        assertEquals(PathState.UNVERIFIED, m.state(A1, B1));
        ByteBuf first = probes.get(probes.size() - 1);
        assertEquals(A1.v4Bits(), first.getInt(12));
        assertEquals(B1.v4Bits(), first.getInt(16));
        assertEquals(B2, out.currentRemote());
        assertTrue(reply(m, B1, 3002 * MS));
        assertEquals(PathState.UP, m.state(A1, B1));
        bothAnswer(m, 3010, 8000);
        assertEquals(B2, out.currentRemote(), "up since 3002: not before 8002");
        m.tick(8000 * MS);
        m.tick(8010 * MS);
        assertEquals(B1, out.currentRemote());
        assertEquals(List.of(L1 + " unverified", L1 + " up", OUT_SPI + " held hysteresis",
                OUT_SPI + " " + L2 + " -> " + L1 + " switch_back"), events);
    }

    /**
     * Startup: the replies to the first probes are lost (as while the captures open) and both
     * unverified paths are declared down; then link 2 answers first and link 1 50 ms later. The SA goes to link 2 and
     * right back to link 1, as its first placement: no hysteresis, no hold, no detection time. A real failure of link 1
     * afterwards, still inside the placement window, is followed by a switch back that waits the hysteresis.
     */
    @Test
    void atStartupPlacementFollowsThePreferenceOrderWithoutHysteresisAndAfterAFailureTheHysteresisHolds() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        for (long t = 1000; t <= 1300; t += 10) { // on time, no reply: a late tick would be a stall, which judges nothing
            m.tick(t * MS);
        }
        assertEquals(PathState.DOWN, m.state(A1, B1));
        assertEquals(PathState.DOWN, m.state(A2, B2));
        assertTrue(reply(m, B2, 1301 * MS));
        assertEquals(B2, out.currentRemote(), "the first path that works");
        assertTrue(reply(m, B1, 1351 * MS));
        assertEquals(A1, out.currentLocal());
        assertEquals(B1, out.currentRemote(), "link 1 right after its first answer");
        assertEquals(List.of(L1 + " down", L2 + " down", L2 + " up", OUT_SPI + " " + L1 + " -> " + L2 + " placement",
                L1 + " up", OUT_SPI + " " + L2 + " -> " + L1 + " placement"), events);
        assertEquals(List.of(-1L, -1L), detections, "nothing failed: no detection time");
        bothAnswer(m, 1360, 1500); // ticks on time throughout: a late one would be a stall

        events.clear();
        m.localChanged(A1, false, 1500 * MS, 1500 * MS);
        assertEquals(B2, out.currentRemote());
        for (long t = 1500; t < 1600; t += 10) {
            m.tick(t * MS);
            reply(m, B2, t * MS);
        }
        m.localChanged(A1, true, 1600 * MS, 1600 * MS);
        assertTrue(reply(m, B1, 1602 * MS));
        bothAnswer(m, 1610, 6600);
        assertEquals(B2, out.currentRemote(), "link 1 failed and is up again since 1602: not back before 6602");
        m.tick(6600 * MS);
        m.tick(6610 * MS);
        assertEquals(B1, out.currentRemote());
        assertEquals(List.of(L1 + " down", OUT_SPI + " " + L1 + " -> " + L2 + " local_event", L1 + " unverified", L1 + " up",
                OUT_SPI + " held hysteresis", OUT_SPI + " " + L2 + " -> " + L1 + " switch_back"), events);
    }

    /**
     * An SA keyed by IKE arrives without outer addresses after link 2 answered and before link 1 did: it starts on link
     * 2 and moves to link 1 at its first answer. A path whose first answer comes after the placement window (one idle
     * detection time, 3 s, after the first path came up) did not work while the peer was reachable: it waits the
     * hysteresis like a path that failed.
     */
    @Test
    void anSaInstalledBeforeLinkOneAnsweredMovesThereAtItsFirstAnswerWithinThePlacementWindowOnly() {
        PathMonitor m = monitor();
        m.tick(1000 * MS);
        assertTrue(reply(m, B2, 1001 * MS));
        SecurityAssociation out = withoutPath(0x1001, 1);
        m.saInstalled(out);
        assertEquals(B2, out.currentRemote(), "the path that is up");
        assertTrue(reply(m, B1, 1051 * MS));
        assertEquals(B1, out.currentRemote());
        assertEquals(List.of(L2 + " up", L1 + " up", OUT_SPI + " " + L2 + " -> " + L1 + " placement"), events);

        events.clear();
        PathMonitor late = monitor();
        late.tick(1000 * MS);
        assertTrue(reply(late, B2, 1001 * MS));
        SecurityAssociation out2 = withoutPath(0x1002, 2);
        late.saInstalled(out2);
        for (long t = 1010; t < 4010; t += 10) {
            late.tick(t * MS);
            reply(late, B2, t * MS);
        }
        assertTrue(reply(late, B1, 4010 * MS), "link 1's first answer, 3009 ms after link 2's");
        assertEquals(B2, out2.currentRemote(), "held by the hysteresis");
        assertEquals(List.of(L1 + " down", L1 + " up", "0x00001002 held hysteresis"), events.stream()
                .filter(e -> !e.startsWith(L2)).toList());
    }

    /** Ticks every 10 ms from {@code fromMs} until before {@code toMs}, both peers answering each probe at once. */
    private void bothAnswer(PathMonitor m, long fromMs, long toMs) {
        for (long t = fromMs; t < toMs; t += 10) {
            m.tick(t * MS);
            reply(m, B1, t * MS);
            reply(m, B2, t * MS);
        }
    }

    /** An outbound SA as IKE installs it: no outer addresses yet, the path monitor chooses them. */
    private static SecurityAssociation withoutPath(int spi, int reqid) {
        return SecurityAssociation.builder().spi(spi).reqid(reqid).direction(Direction.OUTBOUND).localOuter(OURS)
                .remoteOuter(THEIRS).selector(TrafficSelector.between(AddressPool.parse("192.0.2.0/26"),
                        AddressPool.parse("192.0.2.64/26"))).keys(ManualSas.xorKeys(1)).build();
    }

    /**
     * A local link event moves every SA of the link and announces each move to the peer before the listener, which logs
     * and records metrics (slow the first time: docs/benchmarks.md §5), hears of the path going down or of any move.
     * The order of the calls, not their time.
     */
    @Test
    void aLocalEventMovesAndAnnouncesEverySaBeforeTheListenerHearsOfIt() {
        List<String> order = new ArrayList<>();
        SecurityAssociation out1 = outbound(0x1001, 1);
        SecurityAssociation out2 = outbound(0x1002, 2);
        DataPathListener recording = new DataPathListener() {
            @Override
            public void dropped(DropReason reason, SecurityAssociation sa) {
            }

            @Override
            public void outerPathChanged(SecurityAssociation sa, OuterAddress previousLocal, OuterAddress previousRemote,
                                         PathSwitchCause cause, long detectionNanos) {
                order.add("switch " + sa.spiHex() + " " + cause.label() + ", both on " + out1.currentRemote() + " " + out2.currentRemote());
            }

            @Override
            public void pathStateChanged(OuterAddress local, OuterAddress remote, PathState previous, PathState current) {
                if (previous != null && current == PathState.DOWN) {
                    order.add("down " + local + ">" + remote + ", both on " + out1.currentRemote() + " " + out2.currentRemote());
                }
            }
        };
        PathMonitor m = new PathMonitor(List.of(new LocalAddress(A1, 30, "l1"), new LocalAddress(A2, 30, "l2")), List.of(B1, B2),
                PathTimers.DEFAULTS, probes::add, PooledByteBufAllocator.DEFAULT, recording);
        m.announceMovesWith(sa -> order.add("announce " + sa.spiHex() + " over " + sa.currentRemote()));
        m.saInstalled(out1);
        m.saInstalled(out2);
        m.tick(1000 * MS);
        assertTrue(reply(m, B1, 1001 * MS));
        assertTrue(reply(m, B2, 1001 * MS));
        m.localChanged(A1, false, 1500 * MS, 1499 * MS);
        String both = ", both on " + B2 + " " + B2;
        assertEquals(java.util.Set.of("announce 0x00001001 over " + B2, "announce 0x00001002 over " + B2, "down " + L1 + both,
                "switch 0x00001001 local_event" + both, "switch 0x00001002 local_event" + both), new java.util.HashSet<>(order));
        assertEquals(5, order.size(), order.toString());
        assertEquals(List.of("announce", "announce", "down", "switch", "switch"), order.stream().map(x -> x.substring(0, x.indexOf(' ')))
                .toList(), "every move and announcement first, then the listener: " + order);
    }

    /**
     * The peer saw the failure of our link first and its announcement arrived before our own link event: the SA followed
     * it. Our own event then finds the SA gone already, but the SA is now away from that link for a failure of our own:
     * when the link is back it switches back on its own, after the hysteresis, instead of waiting for the peer.
     */
    @Test
    void anSaThatFollowedItsPeerOffALinkThatThenWentDownSwitchesBackOnItsOwn() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        SecurityAssociation in = inbound(0x2001, 1);
        m.saInstalled(out);
        bothUp(m, 1000);
        m.authenticatedV4(in, 10, B2.v4Bits(), A2.v4Bits(), 1500 * MS);
        assertEquals(B2, out.currentRemote(), "followed the peer's announcement");
        m.localChanged(A1, false, 1501 * MS, 1501 * MS);
        m.localChanged(A1, true, 2000 * MS, 2000 * MS);
        assertTrue(reply(m, B1, 2002 * MS));
        bothAnswer(m, 2010, 7000);
        assertEquals(B2, out.currentRemote(), "up again since 2002: not back before 7002");
        bothAnswer(m, 7000, 7020);
        assertEquals(B1, out.currentRemote(), "back on link 1 by itself");
        assertEquals(List.of(OUT_SPI + " " + L2 + " -> " + L1 + " switch_back"), events.stream()
                .filter(e -> e.contains("switch_back")).toList());
        assertTrue(events.contains(OUT_SPI + " held hysteresis"), events.toString());
    }

    /**
     * Every move of our own is announced to the peer at once (the data plane sends an authenticated dummy packet on
     * the SA over its new path), once per move and after the SA stands on its new path; a move that follows the peer
     * is not announced back.
     */
    @Test
    void movesOfOurOwnAreAnnouncedOverTheNewPathAndFollowingThePeerIsNot() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        SecurityAssociation in = inbound(0x2001, 1);
        List<String> announced = new ArrayList<>();
        m.announceMovesWith(sa -> announced.add(sa.spiHex() + " " + sa.currentLocal() + ">" + sa.currentRemote()));
        m.saInstalled(out);
        bothUp(m, 1000);
        m.localChanged(A1, false, 1500 * MS, 1499 * MS);
        assertEquals(List.of(OUT_SPI + " " + L2), announced, "the local event's move, announced from the new path");
        m.localChanged(A1, true, 1600 * MS, 1600 * MS);
        assertTrue(reply(m, B1, 1602 * MS));
        for (long t = 1610; t < 7000; t += 10) {
            m.tick(t * MS);
            reply(m, B1, t * MS);
            reply(m, B2, t * MS);
        }
        assertEquals(B1, out.currentRemote(), "switched back after the hysteresis time");
        assertEquals(List.of(OUT_SPI + " " + L2, OUT_SPI + " " + L1), announced, "the switch back, announced too");
        m.authenticatedV4(in, 100, B2.v4Bits(), A2.v4Bits(), 9000 * MS); // after the peer shield of the switch back
        assertEquals(B2, out.currentRemote(), "followed the peer");
        assertEquals(2, announced.size(), "following the peer announces nothing: " + announced);
    }

    /**
     * The peer's newest authenticated packet arrives over another path: the outbound SA follows at once. A packet
     * reordered behind it (lower sequence number, still in flight on the old path) does not move it back, nor does an
     * unauthenticated probe reply, nor a packet of another connection. Having followed the peer, the SA leaves the
     * way back to it (no switch back of its own).
     */
    @Test
    void theOutboundSaFollowsTheNewestAuthenticatedPacketOnly() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        SecurityAssociation in = inbound(0x2001, 1);
        SecurityAssociation other = inbound(0x2002, 2);
        m.saInstalled(out);
        bothUp(m, 1000);
        ticks(m, 1010, 1090); // on time: a late tick would restart the windows (a stall)
        m.authenticatedV4(in, 10, B1.v4Bits(), A1.v4Bits(), 1100 * MS);
        assertEquals(B1, out.currentRemote());
        ticks(m, 1110, 1190);
        m.authenticatedV4(in, 11, B2.v4Bits(), A2.v4Bits(), 1200 * MS);
        assertEquals(B2, out.currentRemote(), "moved on the packet itself");
        assertEquals(A2, out.currentLocal());
        m.authenticatedV4(in, 9, B1.v4Bits(), A1.v4Bits(), 1201 * MS);
        assertEquals(B2, out.currentRemote(), "a reordered older packet moves nothing");
        ticks(m, 1210, 2300);
        assertTrue(reply(m, B1, 2301 * MS), "a valid probe reply over A1 > B1");
        m.authenticatedV4(other, 50, B1.v4Bits(), A1.v4Bits(), 2303 * MS);
        assertEquals(B2, out.currentRemote(), "neither a probe reply nor another connection's packet moves it");
        for (long t = 2310; t < 20000; t += 10) {
            m.tick(t * MS);
            reply(m, B1, t * MS);
            reply(m, B2, t * MS);
        }
        assertEquals(B2, out.currentRemote(), "it stays where the peer moved it");
        m.authenticatedV4(in, 12, B1.v4Bits(), A1.v4Bits(), 20000 * MS);
        assertEquals(B1, out.currentRemote());
        assertEquals(List.of(OUT_SPI + " " + L1 + " -> " + L2 + " peer_moved", OUT_SPI + " " + L2 + " -> " + L1 + " peer_moved"),
                events);
    }

    /**
     * After a move of its own (here a probe timeout), the SA does not follow the peer's packets back over the path it
     * left while they may have been sent before the peer saw the move; once the peer is seen on the new path, or after
     * the shield's time, it follows again.
     */
    @Test
    void packetsSentBeforeThePeerSawOurMoveDoNotBounceTheSaBack() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        SecurityAssociation in = inbound(0x2001, 1);
        m.saInstalled(out);
        bothUp(m, 1000);
        for (long t = 1010; t <= 1200; t += 10) {
            out.account(100);
            m.tick(t * MS);
            reply(m, B2, t * MS);
        }
        assertEquals(B2, out.currentRemote(), "moved by the probe timeout");
        m.authenticatedV4(in, 100, B1.v4Bits(), A1.v4Bits(), 1250 * MS);
        assertEquals(B2, out.currentRemote(), "the peer's packet over the old path, sent before it saw the move");
        m.authenticatedV4(in, 101, B2.v4Bits(), A2.v4Bits(), 1300 * MS);
        m.authenticatedV4(in, 102, B1.v4Bits(), A1.v4Bits(), 1350 * MS);
        assertEquals(B1, out.currentRemote(), "the peer had seen the move and went back on its own: followed");

        // Shield expiry: a second own move, and the peer keeps sending over the old path only.
        m.localChanged(A1, false, 2000 * MS, 2000 * MS);
        assertEquals(B2, out.currentRemote());
        m.localChanged(A1, true, 2100 * MS, 2100 * MS);
        assertTrue(reply(m, B1, 2101 * MS));
        m.authenticatedV4(in, 200, B1.v4Bits(), A1.v4Bits(), 2500 * MS);
        assertEquals(B2, out.currentRemote(), "within the shield");
        m.authenticatedV4(in, 201, B1.v4Bits(), A1.v4Bits(), 3100 * MS);
        assertEquals(B1, out.currentRemote(), "after the shield the peer's path is taken");
        assertEquals(List.of("probe_timeout", "peer_moved", "local_event", "peer_moved"), events.stream()
                .filter(e -> e.startsWith(OUT_SPI + " 1") || e.startsWith(OUT_SPI + " 2")).map(e -> e.substring(e.lastIndexOf(' ') + 1))
                .toList());
    }

    /** Rekeyed inbound SA: its sequence numbers start over, and its first packet counts as the newest. */
    @Test
    void aNewInboundSaOfTheConnectionStartsItsOwnSequence() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        bothUp(m, 1000);
        m.authenticatedV4(inbound(0x2001, 1), 5000, B1.v4Bits(), A1.v4Bits(), 1100 * MS);
        m.authenticatedV4(inbound(0x2005, 1), 1, B2.v4Bits(), A2.v4Bits(), 1200 * MS);
        assertEquals(B2, out.currentRemote());
    }

    /** Two switches per 10 s: the third is held (reported once, however many packets ask), then allowed as the budget refills. */
    @Test
    void theSwitchBudgetHoldsAnSaThatWouldFlap() {
        PathMonitor m = monitor(timers(Duration.ofSeconds(5), 2, Duration.ofSeconds(10)));
        SecurityAssociation out = outbound(0x1001, 1);
        SecurityAssociation in = inbound(0x2001, 1);
        m.saInstalled(out);
        bothUp(m, 1000);
        long seq = 0;
        for (long t = 1100; t < 2000; t += 100) {
            OuterAddress from = (t / 100) % 2 == 1 ? B2 : B1;
            OuterAddress to = from == B2 ? A2 : A1;
            for (int k = 0; k < 5; k++) {
                m.authenticatedV4(in, ++seq, from.v4Bits(), to.v4Bits(), (t + k) * MS);
            }
        }
        assertEquals(List.of(OUT_SPI + " " + L1 + " -> " + L2 + " peer_moved", OUT_SPI + " " + L2 + " -> " + L1 + " peer_moved",
                OUT_SPI + " held rate_limit"), events);
        assertEquals(B1, out.currentRemote());
        // 5 s later one switch's worth is back.
        m.authenticatedV4(in, ++seq, B2.v4Bits(), A2.v4Bits(), 6200 * MS);
        assertEquals(B2, out.currentRemote());
    }

    /** Nothing is up: a broken path is left only when its own uplink is gone, for the path whose uplink is there. */
    @Test
    void withNoPathUpAnSaLeavesOnlyAMissingUplink() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        for (long t = 1000; t < 5000; t += 10) {
            out.account(100);
            m.tick(t * MS); // nobody answers
        }
        assertEquals(PathState.DOWN, m.state(A1, B1));
        assertEquals(B1, out.currentRemote(), "no better path than a failed one");
        m.localChanged(A1, false, 5000 * MS, 5000 * MS);
        assertEquals(B2, out.currentRemote(), "a path over a present link beats one over a missing link");
        // The first reply of B1 would not move it back while A1's link is down.
        assertFalse(reply(m, B1, 5001 * MS));
    }

    /** A DOWN path that answers again takes back the SAs that had nowhere better to go, at once. */
    @Test
    void stuckSasMoveAsSoonAsAnotherPathAnswers() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        for (long t = 1000; t < 2000; t += 10) {
            out.account(100);
            m.tick(t * MS);
        }
        assertEquals(B1, out.currentRemote());
        assertEquals(PathState.DOWN, m.state(A2, B2));
        assertTrue(reply(m, B2, 2000 * MS));
        assertEquals(B2, out.currentRemote());
        // L1 never worked: its SA's move to the first path that does is its first placement, not a detected failure.
        assertEquals(List.of(L1 + " down", L2 + " down", L2 + " up", OUT_SPI + " " + L1 + " -> " + L2 + " placement"), events);
    }

    /**
     * B1 falls silent and an attacker answers its probes for it: with our identifier but a guessed value, with a
     * genuine reply of B1 replayed, with a genuine reply to a probe of B2 rewritten to come from B1, and with B1's
     * genuine value sent from another address. None of it is evidence: B1 is declared dead and the SA moves.
     */
    @Test
    void forgedRepliesDoNotKeepADeadAddressAlive() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        m.tick(1000 * MS);
        ByteBuf genuineB1 = replyTo(lastProbeTo(B1));
        List<ByteBuf> forged = new ArrayList<>();
        try {
            assertTrue(offer(m, genuineB1, 1010 * MS));
            assertTrue(reply(m, B2, 1010 * MS));
            assertEquals(B1, out.currentRemote());
            events.clear();
            int accepted = 0;
            for (long t = 1020; t <= 1600; t += 10) {
                out.account(100);
                m.tick(t * MS);
                reply(m, B2, (t + 5) * MS);
                ByteBuf toB1 = replyTo(lastProbeTo(B1));
                ByteBuf toB2 = replyTo(lastProbeTo(B2));
                forged.add(withData(toB1, toB1.getLong(28) ^ 0x5a5a5a5a5a5a5a5aL)); // guessed value
                forged.add(Unpooled.copiedBuffer(genuineB1));                       // replayed genuine reply
                forged.add(withSource(toB2, B1));                                    // B2's value, B1's address
                forged.add(withSource(toB1, OuterAddress.parse("192.0.2.99")));     // B1's value, another address
                toB1.release();
                toB2.release();
                for (int i = forged.size() - 4; i < forged.size(); i++) {
                    if (offer(m, forged.get(i), (t + 6) * MS)) {
                        accepted++;
                    }
                }
            }
            assertEquals(0, accepted, "forged replies accepted");
            assertEquals(PathState.DOWN, m.state(A1, B1));
            assertEquals(B2, out.currentRemote());
            assertEquals(A2, out.currentLocal());
            assertEquals(List.of(L1 + " down", OUT_SPI + " " + L1 + " -> " + L2 + " probe_timeout"), events);
        } finally {
            genuineB1.release();
            forged.forEach(ByteBuf::release);
        }
    }

    /** A genuine reply counts once; the same reply again, or a reply to a probe long superseded, counts nothing. */
    @Test
    void aValidReplyIsAcceptedOnceAndOnlyWhileItsProbeIsRecent() {
        Duration every = Duration.ofMillis(40);
        PathTimers steady = new PathTimers(every, every, 255, 1000, Duration.ZERO, 4, Duration.ofSeconds(10));
        PathMonitor m = new PathMonitor(List.of(new LocalAddress(A1, 30)), List.of(B1), steady, probes::add,
                PooledByteBufAllocator.DEFAULT, listener);
        m.tick(1000 * MS);
        ByteBuf first = replyTo(lastProbeTo(B1));
        try {
            for (long t = 1040; t <= 1360; t += 40) {
                m.tick(t * MS); // nine probes later, the first one's reply arrives
            }
            assertEquals(10, probes.size());
            assertFalse(offer(m, first, 1370 * MS), "a reply to a probe nine probes old");
            ByteBuf fresh = replyTo(lastProbeTo(B1));
            try {
                assertTrue(offer(m, fresh, 1380 * MS));
                assertFalse(offer(m, fresh, 1390 * MS), "the same reply a second time");
            } finally {
                fresh.release();
            }
        } finally {
            first.release();
        }
        assertEquals(10, probes.stream().map(p -> p.getLong(28)).distinct().count(), "every probe carries its own value");
    }

    /**
     * A loaded host answers late: every reply of an idle path arrives only after the next probe was sent. Each is taken
     * (once, from the probed address, with its value), so the path stays up and its SA stays; a reply to a probe long
     * superseded is not. (A reply later than the detection time cannot help: the path is down by then, as in BFD.)
     */
    @Test
    void lateRepliesToAnyOfThePathsOutstandingProbesKeepAnIdlePathUp() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        bothUp(m, 1000);
        List<ByteBuf> toB1 = new ArrayList<>();
        int late = 1;
        int accepted = 0;
        for (long t = 1010; t <= 31000; t += 10) {
            m.tick(t * MS);
            reply(m, B2, t * MS);
            ByteBuf newest = lastProbeTo(B1);
            if (toB1.isEmpty() || toB1.get(toB1.size() - 1) != newest) {
                toB1.add(newest);
                int answered = toB1.size() - 1 - late;
                if (answered > 0) { // the first probe was answered by bothUp
                    ByteBuf r = replyTo(toB1.get(answered));
                    try {
                        assertTrue(offer(m, r, (t + 5) * MS), "the reply to the probe " + late + " probes before the newest");
                        accepted++;
                    } finally {
                        r.release();
                    }
                }
            }
        }
        assertTrue(toB1.size() >= 29 && toB1.size() <= 31, "an idle path is probed about once a second: " + toB1.size());
        assertEquals(toB1.size() - 1 - late, accepted);
        assertEquals(PathState.UP, m.state(A1, B1));
        assertEquals(B1, out.currentRemote());
        assertEquals(List.of(), events, "no path down, no switch");
        ByteBuf stale = replyTo(toB1.get(0));
        try {
            assertFalse(offer(m, stale, 31010 * MS), "a reply to a probe " + (toB1.size() - 1) + " probes old");
        } finally {
            stale.release();
        }
    }

    /** Taking a probe reply or an authenticated packet (the per-packet evidence path) allocates nothing. */
    @Test
    void theEvidencePathAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Duration every = Duration.ofMillis(10);
        PathMonitor m = monitor(new PathTimers(every, every, 3, 1000, Duration.ofSeconds(5), 4, Duration.ofSeconds(10)));
        SecurityAssociation out = outbound(0x1001, 1);
        SecurityAssociation in = inbound(0x2001, 1);
        m.saInstalled(out);
        IpPacketView v = new IpPacketView();
        int accepted = 0;
        int offered = 0;
        long allocated = 0;
        long seq = 0;
        for (int round = 0; round < 3; round++) {
            allocated = 0;
            for (int i = 0; i < 2000; i++) {
                long t = (1000 + (round * 2000L + i) * 10) * MS;
                m.tick(t);
                ByteBuf probe = lastProbeOrNull(B2);
                ByteBuf reply = probe == null ? null : replyTo(probe);
                if (reply != null) {
                    v.decode(reply);
                }
                long before = mx.getCurrentThreadAllocatedBytes();
                if (reply != null) {
                    offered++;
                    accepted += m.probeReply(v, reply, t) ? 1 : 0;
                    accepted += m.probeReply(v, reply, t) ? 1 : 0;
                }
                m.authenticatedV4(in, ++seq, B1.v4Bits(), A1.v4Bits(), t);
                m.authenticatedV4(in, seq, B1.v4Bits(), A1.v4Bits(), t);
                allocated += mx.getCurrentThreadAllocatedBytes() - before;
                if (reply != null) {
                    reply.release();
                }
                probes.forEach(ByteBuf::release);
                probes.clear();
            }
        }
        assertEquals(offered, accepted, "each reply accepted once");
        assertTrue(offered >= 5000, "replies offered: " + offered);
        assertEquals(0, allocated, "bytes allocated by the evidence of the last 2000 rounds");
        assertEquals(B1, out.currentRemote());
    }

    /**
     * The SA index follows the SAD's installs and removals ({@link PathMonitor#watch}); a tick reads no copy of the
     * SAD: with 20,000 SAs on the paths, 200 ticks allocate what they allocate with 2 (the probes), not a list of the
     * SAs each time.
     */
    @Test
    void ticksDoNotCopyTheSad() {
        long small = tickAllocation(1);
        long large = tickAllocation(10_000);
        assertTrue(large < small + 200 * 1024, "bytes allocated by 200 ticks: " + large + " with 20,000 SAs, " + small + " with 2");
    }

    private long tickAllocation(int connections) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        PathMonitor m = monitor();
        m.watch(k.sad(), Runnable::run);
        for (int i = 0; i < connections; i++) {
            k.addSa(outbound(0x10000 + i, 1 + i));
            k.addSa(outbound(0x80000 + i, 1 + i));
        }
        List<PathMonitor.Path> paths = m.paths();
        assertEquals(2 * connections, paths.get(0).sas(), "indexed on A1 > B1 from the SAD's installs");
        long allocated = 0;
        for (int i = 0; i < 200; i++) {
            long t = (1000 + i * 10L) * MS;
            long before = mx.getCurrentThreadAllocatedBytes();
            m.tick(t);
            allocated += mx.getCurrentThreadAllocatedBytes() - before;
            reply(m, B1, t);
            reply(m, B2, t);
            probes.forEach(ByteBuf::release);
            probes.clear();
        }
        k.deleteSa(Direction.OUTBOUND, 0x80000, net.poolsa.esp.sa.IpsecProtocol.ESP, 1);
        assertEquals(2 * connections - 1, m.paths().get(0).sas(), "a removed SA leaves the index");
        m.unwatch();
        return allocated;
    }

    /**
     * A reload replaces the monitored addresses: kept paths keep their state, a removed one is no longer probed, and a
     * new SA of a new connection gets a first path at once (the local address on its link), without counting a switch.
     */
    @Test
    void newPeersAndNewSasAfterAReload() {
        PathMonitor m = monitor();
        bothUp(m, 1000);
        OuterAddress b3 = OuterAddress.parse("203.0.113.3");
        m.setPeers(List.of(B1, b3));
        assertEquals(List.of(B1, b3), m.peers());
        assertEquals(PathState.UP, m.state(A1, B1));
        assertNull(m.state(A2, B2));
        assertEquals(PathState.UNVERIFIED, m.state(A2, b3));
        SecurityAssociation added = SecurityAssociation.builder().spi(0x2002).reqid(2).direction(Direction.OUTBOUND)
                .localOuter(OURS).remoteOuter(AddressPool.parse("203.0.113.3/32"))
                .selector(TrafficSelector.between(AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.128/26")))
                .keys(ManualSas.xorKeys(1)).build();
        m.saInstalled(added);
        assertEquals(b3, added.currentRemote());
        assertEquals(A2, added.currentLocal());
        assertEquals(0, added.outerSwitches());
        probes.forEach(ByteBuf::release);
        probes.clear();
        m.tick(1100 * MS);
        assertEquals(List.of(b3), probes.stream().map(p -> OuterAddress.parse(ipv4(p.getInt(16)))).toList(),
                "the new address is probed (at once: unverified), B1 is not due, B2 no longer");
        assertEquals(b3, added.currentRemote());
    }

    @Test
    void timersOutsideTheirRangesAreRefused() {
        PathTimers d = PathTimers.DEFAULTS;
        assertEquals(Duration.ofMillis(120), d.detectionTime());
        assertRefused("probe interval 5 ms is below the minimum of 10 ms", () -> new PathTimers(Duration.ofMillis(5),
                d.idleProbeInterval(), 3, 1000, d.switchBackAfter(), 4, d.switchLimitWindow()));
        assertRefused("idle probe interval 20 ms is not within the probe interval (40 ms) and 60 s", () -> new PathTimers(
                d.probeInterval(), Duration.ofMillis(20), 3, 1000, d.switchBackAfter(), 4, d.switchLimitWindow()));
        assertRefused("detect multiplier 0 is not within 1-255 (RFC 5880 §4.1)", () -> new PathTimers(d.probeInterval(),
                d.idleProbeInterval(), 0, 1000, d.switchBackAfter(), 4, d.switchLimitWindow()));
        assertRefused("probe rate 0/s is not within 1-100000", () -> new PathTimers(d.probeInterval(), d.idleProbeInterval(),
                3, 0, d.switchBackAfter(), 4, d.switchLimitWindow()));
        assertRefused("switch limit 0 is not within 1-1000", () -> new PathTimers(d.probeInterval(), d.idleProbeInterval(),
                3, 1000, d.switchBackAfter(), 0, d.switchLimitWindow()));
    }

    private static void assertRefused(String message, Runnable r) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, r::run);
        assertEquals(message, e.getMessage());
    }

    @Test
    void probesAreTheEchoRequestsScapyBuilds() {
        PathMonitor m = new PathMonitor(List.of(), List.of(), PathTimers.DEFAULTS, probes::add, PooledByteBufAllocator.DEFAULT,
                listener);
        ByteBuf e4 = m.echoRequest(A1, B1, 1, 0x0102030405060708L);
        ByteBuf e6 = m.echoRequest(OuterAddress.parse("2001:db8:a::1"), OuterAddress.parse("2001:db8:b::1"), 1, 0x0102030405060708L);
        probes.add(e4);
        probes.add(e6);
        // scapy: IP(src, dst, id=1, flags="DF", ttl=64)/ICMP(type=8, id=0x5053, seq=1)/Raw(ts) (make_vectors.py)
        assertArrayEquals(HexFormat.of().parseHex("45000024000140004001e66dc6336401c633640208009797505300010102030405060708"),
                ByteBufUtil.getBytes(e4));
        assertArrayEquals(HexFormat.of().parseHex("6000000000103a4020010db8000a0000000000000000000120010db8000b00000000000000000001"
                + "8000c3c3505300010102030405060708"), ByteBufUtil.getBytes(e6));
    }

    /**
     * A peer keyed by IKE with DPD: echo replies, even genuine ones, neither bring its path up nor keep it up (anyone on
     * the path could forge them and pin traffic to a dead uplink); each probe and each reply asks for a DPD probe, and
     * only an authenticated answer ({@link PathMonitor#confirmed}) or ESP counts.
     */
    @Test
    void onAnAuthenticatedOnlyPathEchoRepliesAreHintsAndTheSaLeavesItWithoutAuthenticatedEvidence() {
        PathMonitor m = monitor();
        m.authenticatedOnly(List.of(B1));
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        m.tick(1000 * MS);
        assertEquals(List.of("dpd " + L1), events, "the probe to B1 asks for a DPD probe too");
        events.clear();
        assertTrue(reply(m, B1, 1001 * MS), "the reply is ours (consumed)");
        assertEquals(PathState.UNVERIFIED, m.state(A1, B1), "but no evidence");
        assertEquals(List.of(), events, "a hint, but the probe asked for a DPD probe within this interval already");
        assertTrue(reply(m, B2, 1001 * MS));
        assertEquals(PathState.UP, m.state(A2, B2), "B2 is not keyed by IKE: its echo replies still count");
        m.confirmed(A1, B1, 1002 * MS);
        assertEquals(PathState.UP, m.state(A1, B1));
        assertEquals(A1, out.currentLocal());
        events.clear();
        // Busy traffic over A1 > B1; every probe to B1 is answered (the uplink is dead, the replies forged on the way),
        // but no DPD answer and no ESP come back: the path is down after its busy detection time and the SA moves.
        int wanted = 0;
        for (long t = 1010; t <= 1300; t += 10) {
            out.account(100);
            m.tick(t * MS);
            reply(m, B1, t * MS);
            reply(m, B2, t * MS);
        }
        for (String e : events) {
            wanted += e.startsWith("dpd ") ? 1 : 0;
        }
        assertEquals(PathState.DOWN, m.state(A1, B1));
        assertEquals(A2, out.currentLocal());
        assertEquals(B2, out.currentRemote());
        assertTrue(events.contains(OUT_SPI + " " + L1 + " -> " + L2 + " probe_timeout"), events.toString());
        assertTrue(wanted >= 3, "a DPD probe asked for with each probe of the busy path: " + events);
        // a DPD answer over the path brings it back
        m.confirmed(A1, B1, 1301 * MS);
        assertEquals(PathState.UP, m.state(A1, B1));
    }

    /**
     * Issue 14: the monitor's own timer fires 3 s late (the loop was not scheduled: a GC pause, a loaded host). The
     * replies it missed meanwhile are no evidence that the paths failed: the tick sends probes and restarts the
     * detection window instead of declaring working paths down, and reports the stall.
     */
    @Test
    void aTickThreeSecondsLateDoesNotDeclareWorkingPathsDown() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        long t = busyOnBothPaths(m, out);
        int before = probes.size();
        out.account(100);
        m.tick((t + 3000) * MS); // due at t + 10 at the latest
        assertEquals(List.of("stall"), events, "no path declared down, no SA moved");
        assertEquals(2, probes.size() - before, "a probe to each path at once");
        assertEquals(PathState.UP, m.state(A1, B1));
        assertEquals(PathState.UP, m.state(A2, B2));
        events.clear();
        // the paths work: their answers come, and nothing switches afterwards either
        for (long u = t + 3001; u <= t + 3500; u += 10) {
            reply(m, B1, u * MS);
            reply(m, B2, u * MS);
            out.account(100);
            m.tick(u * MS);
        }
        assertEquals(List.of(), events);
        assertEquals(B1, out.currentRemote());
    }

    /** A path that is really silent after the stall is still declared down within the busy detection time of it. */
    @Test
    void aSilentPathStillSwitchesWithinTheDetectionTimeAfterAStall() {
        PathMonitor m = monitor();
        SecurityAssociation out = outbound(0x1001, 1);
        m.saInstalled(out);
        long stall = busyOnBothPaths(m, out) + 3000;
        out.account(100);
        m.tick(stall * MS);
        assertEquals(List.of("stall"), events);
        events.clear();
        long switched = -1;
        for (long u = stall + 10; u <= stall + 1000 && switched < 0; u += 10) {
            reply(m, B2, u * MS); // B1 stays silent
            out.account(100);
            m.tick(u * MS);
            if (B2.equals(out.currentRemote())) {
                switched = u;
            }
        }
        // the window restarted at the stall: down one busy detection time (120 ms) later, not at once, not later
        assertEquals(stall + PathTimers.DEFAULTS.detectionTime().toMillis(), switched);
        assertEquals(List.of(L1 + " down", OUT_SPI + " " + L1 + " -> " + L2 + " probe_timeout"), events);
    }

    /**
     * Cost on an authenticated-only path: echo replies are hints, and a burst of them (late replies to the path's
     * outstanding probes arriving together) asks for one DPD probe per probe interval, not one per reply.
     */
    @Test
    void aBurstOfEchoRepliesAsksForOneDpdProbePerInterval() {
        PathMonitor m = monitor();
        m.authenticatedOnly(List.of(B1));
        long interval = PathTimers.DEFAULTS.probeInterval().toMillis();
        // a new path is probed at the busy rate: 3 probes to B1 (at 1000, 1040, 1080), none answered yet
        List<ByteBuf> toB1 = new ArrayList<>();
        for (long t = 1000; t <= 1110; t += 10) {
            int before = probes.size();
            m.tick(t * MS);
            for (int i = before; i < probes.size(); i++) {
                if (probes.get(i).getInt(16) == B1.v4Bits()) {
                    toB1.add(probes.get(i));
                }
            }
        }
        assertEquals(3, toB1.size());
        assertEquals(3, dpdProbes(), "each probe asks for one");
        long last = 1000 + 2 * interval;
        // the replies to all three arrive late, together, within the interval after the last probe: that probe asked
        // already, so in this interval one DPD probe in all, not one more per reply (the old cost: 1 + 3)
        events.clear();
        for (int i = 0; i < 3; i++) {
            ByteBuf reply = replyTo(toB1.get(i));
            try {
                assertTrue(offer(m, reply, (last + 1 + i) * MS), "reply " + i + " is genuine");
            } finally {
                reply.release();
            }
        }
        assertEquals(0, dpdProbes(), events.toString());
        assertEquals(PathState.UNVERIFIED, m.state(A1, B1), "and none of them is evidence");
        // the same replies again: consumed, no evidence, no DPD probe
        ByteBuf again = replyTo(toB1.get(2));
        try {
            assertFalse(offer(m, again, (last + interval + 1) * MS));
        } finally {
            again.release();
        }
        assertEquals(0, dpdProbes());
    }

    /** A reply that comes more than a probe interval after the last DPD probe asked for asks for one. */
    @Test
    void aReplyAfterAQuietIntervalAsksForOneDpdProbe() {
        PathMonitor m = monitor();
        m.authenticatedOnly(List.of(B1));
        m.tick(1000 * MS);
        ByteBuf probe = lastProbeTo(B1);
        events.clear();
        ByteBuf reply = replyTo(probe);
        try {
            assertTrue(offer(m, reply, (1000 + PathTimers.DEFAULTS.probeInterval().toMillis()) * MS));
        } finally {
            reply.release();
        }
        assertEquals(1, dpdProbes(), events.toString());
    }

    private int dpdProbes() {
        int n = 0;
        for (String e : events) {
            n += e.equals("dpd " + L1) ? 1 : 0;
        }
        return n;
    }

    /** Ticks every 10 ms from {@code from} to {@code to} (milliseconds, both included), answering nothing. */
    private static void ticks(PathMonitor m, long from, long to) {
        for (long t = from; t <= to; t += 10) {
            m.tick(t * MS);
        }
    }

    /** Busy traffic over A1 > B1 with both paths answering every probe, ticks every 10 ms; returns the last tick's time. */
    private long busyOnBothPaths(PathMonitor m, SecurityAssociation out) {
        bothUp(m, 1000);
        long t = 1010;
        for (; t <= 1300; t += 10) {
            out.account(100);
            m.tick(t * MS);
            reply(m, B1, t * MS);
            reply(m, B2, t * MS);
        }
        assertEquals(List.of(), events);
        return t - 10;
    }

    // ---------------------------------------------------------------- helpers

    private static String ipv4(int bits) {
        return (bits >>> 24) + "." + (bits >>> 16 & 0xff) + "." + (bits >>> 8 & 0xff) + "." + (bits & 0xff);
    }

    /** Answers the last probe sent to {@code peer}, as the peer's kernel would; false when none is outstanding or it was refused. */
    private boolean reply(PathMonitor m, OuterAddress peer, long now) {
        ByteBuf probe = lastProbeOrNull(peer);
        if (probe == null) {
            return false;
        }
        ByteBuf reply = replyTo(probe);
        try {
            return offer(m, reply, now);
        } finally {
            reply.release();
        }
    }

    private ByteBuf lastProbeTo(OuterAddress peer) {
        ByteBuf p = lastProbeOrNull(peer);
        if (p == null) {
            throw new AssertionError("no probe to " + peer);
        }
        return p;
    }

    private ByteBuf lastProbeOrNull(OuterAddress peer) {
        for (int i = probes.size() - 1; i >= 0; i--) {
            if (probes.get(i).getInt(16) == peer.v4Bits()) {
                return probes.get(i);
            }
        }
        return null;
    }

    /** The echo reply a kernel sends for {@code request}: same identifier, sequence and data (RFC 792: addresses swapped, type 0). */
    private static ByteBuf replyTo(ByteBuf request) {
        ByteBuf b = Unpooled.copiedBuffer(request);
        int src = b.getInt(12);
        b.setInt(12, b.getInt(16)).setInt(16, src).setShort(10, 0);
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.setByte(20, 0).setShort(22, 0);
        b.setShort(22, Checksums.checksum(b, 20, b.readableBytes() - 20));
        return b;
    }

    private static boolean offer(PathMonitor m, ByteBuf b, long now) {
        IpPacketView v = new IpPacketView();
        assertNull(v.decode(b));
        return m.probeReply(v, b, now);
    }

    private static ByteBuf withSource(ByteBuf reply, OuterAddress src) {
        ByteBuf b = Unpooled.copiedBuffer(reply);
        b.setInt(12, src.v4Bits()).setShort(10, 0);
        Checksums.writeIpv4HeaderChecksum(b, 0);
        return b;
    }

    private static ByteBuf withData(ByteBuf reply, long data) {
        ByteBuf b = Unpooled.copiedBuffer(reply);
        b.setLong(28, data).setShort(22, 0);
        b.setShort(22, Checksums.checksum(b, 20, b.readableBytes() - 20));
        return b;
    }
}

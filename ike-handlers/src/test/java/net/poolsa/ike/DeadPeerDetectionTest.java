package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.Direction;
import net.poolsa.ike.job.Timers;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.IsakmpHeader;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.NotificationPayload;

/**
 * Dead peer detection (RFC 3706) between two dual-homed engines: A on 192.0.2.1 and 192.0.2.11, B on 192.0.2.2 and
 * 192.0.2.12, each address in its outer pool, so there are four paths. Every DPD delay each side sends
 * {@code HDR*, HASH(1), N(R-U-THERE, seq)} over each path and the other answers {@code HDR*, HASH(1),
 * N(R-U-THERE-ACK, seq)} the way it came. Time is virtual ({@link ManualScheduler}); bounds are in DPD rounds.
 */
class DeadPeerDetectionTest {
    private static final long DELAY = 1000;
    private static final String[] A = {"192.0.2.1", "192.0.2.11"};
    private static final String[] B = {"192.0.2.2", "192.0.2.12"};

    private final List<Wire.Datagram> fromB = new ArrayList<>();
    private final List<Long> fromBAt = new ArrayList<>();

    private static Gateways dualHomed(Timers timers, Dpd atA, Dpd atB) {
        Gateways g = new Gateways(timers, A, B);
        g.configure(Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "203.0.113.0/24").dpd(atA),
                Conn.of("192.0.2.2,192.0.2.12", "192.0.2.1,192.0.2.11", "203.0.113.0/24", "198.51.100.0/24").dpd(atB));
        assertTrue(g.initiate(g.a).ok());
        return g;
    }

    private static void advance(Gateways g, long millis, Wire.Filter f) {
        g.wire.clock.advance(millis, () -> g.wire.flush(f));
        g.wire.flush(f);
    }

    private static Wire.Filter silence(String... addresses) {
        Set<String> dead = Set.of(addresses);
        return d -> dead.contains(d.from().getAddress().getHostAddress())
                || dead.contains(d.to().getAddress().getHostAddress()) ? null : d;
    }

    private static long quickModes(Gateways g) {
        return g.wire.log.stream().filter(d -> d.exchangeType() == ExchangeType.QUICK_MODE.code()).count();
    }

    @Test
    void everyPathOfBothPoolsIsProbedAndConfirmedByItsOwnAnswer() {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR),
                new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        advance(g, DELAY, d -> d);
        // one R-U-THERE per path and round: 2 local x 2 remote addresses, answered each
        for (String b : B) {
            assertEquals(2, g.a.events.dpd(b + " sent"), b);
            assertEquals(2, g.a.events.dpd(b + " acked"), b);
        }
        assertEquals(new TreeSet<>(List.of("192.0.2.1>192.0.2.2", "192.0.2.1>192.0.2.12", "192.0.2.11>192.0.2.2",
                "192.0.2.11>192.0.2.12")), new TreeSet<>(g.a.events.confirmed));
        assertEquals(4, g.a.events.confirmed.size());
        assertEquals(4, g.b.events.confirmed.size());
        assertEquals(0, g.a.events.totalDrops());
        assertEquals(0, g.b.events.totalDrops());
        advance(g, 10 * DELAY, d -> d);
        assertEquals(44, g.a.events.confirmed.size(), "11 rounds of 4 paths");
        assertEquals(List.of(), g.a.events.peersDead);
    }

    @Test
    void aSilentUplinkIsReportedDeadOnceWhileTheSaStaysWithItsSpisAndNoQuickMode() {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR),
                new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        int spiOut = Gateways.one(g.a, Direction.OUTBOUND).spi();
        long qm = quickModes(g);
        advance(g, DELAY, d -> d);
        // B's uplink 192.0.2.2 (the IKE SA's own peer address) goes silent
        advance(g, 10 * DELAY, silence("192.0.2.2"));
        assertEquals(2, g.a.events.dpd("192.0.2.2 timeout"), "once per path, not once per round");
        assertEquals(0, g.a.events.dpd("192.0.2.12 timeout"));
        assertEquals(22, g.a.events.dpd("192.0.2.12 acked"), "11 rounds over both of A's uplinks");
        assertEquals(List.of(), g.a.events.peersDead);
        assertEquals(spiOut, Gateways.one(g.a, Direction.OUTBOUND).spi());
        assertEquals(qm, quickModes(g), "no Quick Mode: the same SAs carry on");
        // the IKE SA itself moved to a pair that answers, so Deletes and Quick Modes reach the peer
        assertEquals("192.0.2.12", g.snapshot(g.a).get(0).remote().getAddress().getHostAddress());
        // the uplink comes back: its paths answer again
        int before = g.a.events.dpd("192.0.2.2 acked");
        advance(g, DELAY, d -> d);
        assertEquals(before + 2, g.a.events.dpd("192.0.2.2 acked"));
    }

    /**
     * A one-way failure: what A sends from 192.0.2.1 to 192.0.2.2 (the IKE SA's own pair) is lost, what B sends back
     * over it still arrives, B's R-U-THEREs included. A's own probes on that pair go unanswered, so the path is dead
     * once and the IKE SA moves to a pair that answers; the peer is not dead and no Quick Mode runs. Before, every
     * R-U-THERE of B's that arrived over the pair counted as proof of it, and the IKE SA stayed there.
     */
    @Test
    void aPairThatOnlyCarriesThePeersMessagesIsDeadForUsAndTheSaLeavesIt() {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR),
                new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        int spiOut = Gateways.one(g.a, Direction.OUTBOUND).spi();
        long qm = quickModes(g);
        assertEquals("192.0.2.2", g.snapshot(g.a).get(0).remote().getAddress().getHostAddress());
        Wire.Filter oneWay = d -> d.from().getAddress().getHostAddress().equals("192.0.2.1")
                && d.to().getAddress().getHostAddress().equals("192.0.2.2") ? null : d;
        advance(g, 10 * DELAY, oneWay);
        assertTrue(g.b.events.dpd("192.0.2.1 sent") >= 10, "B's R-U-THEREs keep coming over the pair");
        assertEquals(1, g.a.events.dpd("192.0.2.2 timeout"), "A's pair 192.0.2.1>192.0.2.2, once");
        assertEquals(List.of(), g.a.events.peersDead);
        assertEquals(spiOut, Gateways.one(g.a, Direction.OUTBOUND).spi());
        assertEquals(qm, quickModes(g), "no Quick Mode");
        IkeSaSnapshot sa = g.snapshot(g.a).get(0);
        assertNotEquals("192.0.2.1>192.0.2.2", sa.local().getAddress().getHostAddress() + ">"
                + sa.remote().getAddress().getHostAddress(), "the IKE SA left the pair A cannot send over");
    }

    /**
     * Forced UDP encapsulation without a NAT (both sides lie in their NAT-D, so each sees the other "behind a NAT"):
     * each peer announced its outer pool, which it does only when no NAT changed its address, so every path of the
     * pools is probed on port 4500 as without encapsulation. Before, DPD probed only the IKE SA's own pair, and when
     * B's uplink 192.0.2.2 went silent it declared the peer dead and cleared the SAs the data path had moved.
     */
    @Test
    void withForcedEncapsulationASilentUplinkLeavesTheSaOnTheOtherPathsOfThePools() {
        Gateways g = new Gateways(Timers.DEFAULT, A, B);
        Dpd dpd = new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR);
        g.configure(Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "203.0.113.0/24").dpd(dpd)
                        .encap(true),
                Conn.of("192.0.2.2,192.0.2.12", "192.0.2.1,192.0.2.11", "203.0.113.0/24", "198.51.100.0/24").dpd(dpd)
                        .encap(true));
        assertTrue(g.initiate(g.a).ok());
        assertEquals(4500, g.snapshot(g.a).get(0).remote().getPort(), "NAT-T floated");
        int spiOut = Gateways.one(g.a, Direction.OUTBOUND).spi();
        advance(g, DELAY, d -> d);
        assertEquals(4, new TreeSet<>(g.a.events.confirmed).size(), "every pair of the pools: " + g.a.events.confirmed);
        advance(g, 10 * DELAY, silence("192.0.2.2"));
        assertEquals(List.of(), g.a.events.peersDead);
        assertEquals(List.of(), g.b.events.peersDead);
        assertEquals(spiOut, Gateways.one(g.a, Direction.OUTBOUND).spi());
        assertEquals("192.0.2.12", g.snapshot(g.a).get(0).remote().getAddress().getHostAddress());
        assertEquals(4500, g.snapshot(g.a).get(0).remote().getPort(), "the IKE SA stays on port 4500");
    }

    /**
     * As above after a phase-1 rekey: the new ISAKMP SA carries no Quick Mode of its own (the child SAs move to it
     * untouched), so it takes what the peer announced on its predecessor and probes every pair of the pools too.
     */
    @Test
    void withForcedEncapsulationTheRekeyedIsakmpSaProbesEveryPathOfThePools() {
        Gateways g = new Gateways(Timers.DEFAULT, A, B);
        Dpd dpd = new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR);
        Rekey rekey = new Rekey(0.1, 5, 0);
        g.configure(Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "203.0.113.0/24").dpd(dpd)
                        .encap(true).ikeLifetime(1000).rekey(rekey),
                Conn.of("192.0.2.2,192.0.2.12", "192.0.2.1,192.0.2.11", "203.0.113.0/24", "198.51.100.0/24").dpd(dpd)
                        .encap(true).ikeLifetime(1000).rekey(rekey));
        assertTrue(g.initiate(g.a).ok());
        String cookie = g.snapshot(g.a).get(0).initiatorCookie();
        advance(g, 910 * DELAY, d -> d);
        assertEquals(1, g.snapshot(g.a).size());
        assertNotEquals(cookie, g.snapshot(g.a).get(0).initiatorCookie(), "the ISAKMP SA was replaced");
        int spiOut = Gateways.one(g.a, Direction.OUTBOUND).spi();
        g.a.events.confirmed.clear();
        advance(g, DELAY, d -> d);
        assertEquals(4, new TreeSet<>(g.a.events.confirmed).size(), "every pair of the pools: " + g.a.events.confirmed);
        advance(g, 10 * DELAY, silence("192.0.2.2"));
        assertEquals(List.of(), g.a.events.peersDead);
        assertEquals(spiOut, Gateways.one(g.a, Direction.OUTBOUND).spi());
        assertEquals("192.0.2.12", g.snapshot(g.a).get(0).remote().getAddress().getHostAddress());
    }

    /**
     * B's first message 6 is lost: B holds the IKE SA as established from the moment it sent it, A gets it only when
     * its retransmission of message 5 (4 s later, strongSwan's and our first retransmission) is answered. B's DPD
     * must not declare A dead in between, although A cannot answer R-U-THEREs under an SA it does not have yet.
     */
    @Test
    void aLostMessageSixIsNotADeadPeerBeforeTheInitiatorsRetransmissionCouldRepairIt() {
        Gateways g = new Gateways(Timers.DEFAULT, A, B);
        Dpd dpd = new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR);
        g.configure(Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "203.0.113.0/24").dpd(dpd),
                Conn.of("192.0.2.2,192.0.2.12", "192.0.2.1,192.0.2.11", "203.0.113.0/24", "198.51.100.0/24").dpd(dpd));
        int[] lost = {0};
        Wire.Filter loseFirstSix = d -> {
            boolean six = d.exchangeType() == ExchangeType.IDENTITY_PROTECTION.code() && d.encrypted()
                    && B[0].equals(d.from().getAddress().getHostAddress());
            if (six && lost[0] == 0) {
                lost[0]++;
                return null;
            }
            return d;
        };
        g.a.engine.initiate("c");
        g.wire.flush(loseFirstSix);
        assertEquals(1, lost[0], "message 6 was sent and lost");
        assertEquals(0, g.a.kernel.listSas().size());
        advance(g, 20 * DELAY, loseFirstSix);
        assertEquals(List.of(), g.b.events.peersDead, "A was never dead: it had not received message 6 yet");
        assertEquals(List.of(), g.a.events.peersDead);
        assertEquals(2, g.a.kernel.listSas().size(), "the tunnel is up after the retransmission");
        assertEquals(2, g.b.kernel.listSas().size());
    }

    @Test
    void whenNoPathAnswersForTheTimeoutTheSasAreCleared() {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR),
                new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        advance(g, DELAY, d -> d);
        Wire.Filter all = silence("192.0.2.2", "192.0.2.12");
        // last answer at round 1; rounds 2 and 3 see 1 and 2 delays of silence
        advance(g, 2 * DELAY, all);
        assertEquals(2, g.a.kernel.listSas().size());
        assertEquals(List.of(), g.a.events.peersDead);
        // round 4: three delays of silence = the timeout
        advance(g, DELAY, all);
        assertEquals(List.of("c clear"), g.a.events.peersDead);
        assertEquals(0, g.a.kernel.listSas().size());
        assertEquals(0, g.snapshot(g.a).size());
        assertEquals(List.of("c clear"), g.b.events.peersDead);
        assertEquals(0, g.b.kernel.listSas().size());
        advance(g, 10 * DELAY, d -> d);
        assertEquals(0, g.a.kernel.listSas().size(), "clear does not negotiate again");
    }

    @Test
    void aQuickModeWaitingForThePeerPostponesTheVerdictByOneTimeoutAtMost() {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR), Dpd.OFF);
        Conn second = Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "192.0.2.128/25")
                .name("c2").reqid(8).dpd(new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        Gateways.done(g.a.engine.configure(List.of(Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12",
                "198.51.100.0/24", "203.0.113.0/24").dpd(new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR)).build(),
                second.build())).toCompletableFuture());
        advance(g, DELAY, d -> d);
        Wire.Filter all = silence("192.0.2.2", "192.0.2.12");
        g.a.engine.initiate("c2"); // its Quick Mode message 1 is lost: it waits for the peer and retransmits
        g.wire.flush(all);
        advance(g, 3 * DELAY, all);
        assertEquals(List.of(), g.a.events.peersDead, "three delays of silence, but a Quick Mode waits for the peer");
        advance(g, 2 * DELAY, all);
        assertEquals(List.of(), g.a.events.peersDead);
        advance(g, DELAY, all);
        assertEquals(List.of("c clear"), g.a.events.peersDead, "twice the timeout: dead whatever waits");
    }

    /**
     * strongSwan keeps the IV state of three phase-2 exchanges per ISAKMP SA and every Informational takes one: the
     * data plane's probe requests (every 40 ms under traffic) must not push a Quick Mode out between its messages.
     */
    @Test
    void noRuThereGoesOutWhileAQuickModeWaitsForThePeerForTwoSecondsAtMost() throws Exception {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR), Dpd.OFF);
        Gateways.done(g.a.engine.configure(List.of(Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12",
                "198.51.100.0/24", "203.0.113.0/24").dpd(new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR)).build(),
                Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "192.0.2.128/25")
                        .name("c2").reqid(8).dpd(new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR)).build()))
                .toCompletableFuture());
        Gateways.done(g.b.engine.configure(List.of(Conn.of("192.0.2.2,192.0.2.12", "192.0.2.1,192.0.2.11",
                "203.0.113.0/24", "198.51.100.0/24").build(), Conn.of("192.0.2.2,192.0.2.12", "192.0.2.1,192.0.2.11",
                "192.0.2.128/25", "198.51.100.0/24").name("c2").reqid(8).build())).toCompletableFuture());
        java.net.InetAddress local = java.net.InetAddress.getByName("192.0.2.1");
        java.net.InetAddress remote = java.net.InetAddress.getByName("192.0.2.2");
        g.a.engine.probePath(local, remote);
        assertEquals(2, g.wire.flush(d -> d), "an idle SA answers a probe request: R-U-THERE, R-U-THERE-ACK");
        int sent = g.a.events.dpd("192.0.2.2 sent");

        g.a.engine.initiate("c2");
        List<Wire.Datagram> held = g.wire.take(); // HDR*, HASH(1), SA, Ni, KE, IDci, IDcr --> (not delivered yet)
        assertEquals(1, held.size());
        assertEquals(ExchangeType.QUICK_MODE.code(), held.get(0).exchangeType());
        for (int i = 0; i < 25; i++) {
            g.a.engine.probePath(local, remote);
        }
        assertEquals(List.of(), g.wire.queued(), "no R-U-THERE while the Quick Mode waits for the peer");
        for (Wire.Datagram d : held) {
            g.wire.deliver(d);
        }
        g.wire.flush();
        assertEquals(2, g.a.events.installed.size(), "the second pair is up");
        g.a.engine.probePath(local, remote);
        assertEquals(2, g.wire.flush(d -> d), "probes resume once the exchange is through");
        assertEquals(sent + 1, g.a.events.dpd("192.0.2.2 sent"));

        // a Quick Mode that hangs holds them back for two seconds (QUIET_DURING_QUICK_MODE_MILLIS), not longer
        Gateways.done(g.a.engine.configure(List.of(Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12",
                "198.51.100.0/24", "203.0.113.0/24").dpd(new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR)).build(),
                Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "192.0.2.128/25")
                        .name("c2").reqid(8).dpd(new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR)).build(),
                Conn.of("192.0.2.1,192.0.2.11", "192.0.2.2,192.0.2.12", "198.51.100.0/24", "192.0.2.64/26")
                        .name("c3").reqid(9).dpd(new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR)).build()))
                .toCompletableFuture());
        g.a.engine.initiate("c3");
        Wire.Filter noQuickMode = d -> d.exchangeType() == ExchangeType.QUICK_MODE.code() ? null : d;
        int before = g.a.events.dpd("192.0.2.2 sent");
        g.a.engine.probePath(local, remote); // the first one held back starts the two seconds
        advance(g, 2 * DELAY - 1, noQuickMode);
        g.a.engine.probePath(local, remote);
        assertEquals(before, g.a.events.dpd("192.0.2.2 sent"), "held back for two seconds, rounds included");
        advance(g, 1, noQuickMode);
        g.a.engine.probePath(local, remote);
        assertTrue(g.a.events.dpd("192.0.2.2 sent") > before, "then DPD judges the peer again");
    }

    @Test
    void restartSendsAFreshMainModeEveryTimeoutUntilAPathReturns() {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.RESTART),
                new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        int oldSpi = Gateways.one(g.a, Direction.OUTBOUND).spi();
        advance(g, DELAY, d -> d);
        Wire.Filter all = silence("192.0.2.2", "192.0.2.12");
        int[] firstMessages = new int[1];
        Wire.Filter counting = d -> {
            if (d.exchangeType() == ExchangeType.IDENTITY_PROTECTION.code() && isZero(d.bytes(), 8, 16)) {
                firstMessages[0]++;
            }
            return all.apply(d);
        };
        advance(g, 10 * DELAY, counting);
        assertEquals(List.of("c restart"), g.a.events.peersDead);
        assertEquals(0, g.a.kernel.listSas().size());
        // dead 3 delays into the silence, then Main Mode message 1 at once and afresh every timeout (at 3, 6 and 9
        // delays); the 4 s retransmission of the strongSwan-like backoff never comes into play
        assertEquals(3, firstMessages[0]);
        advance(g, 3 * DELAY, d -> d);
        assertEquals(2, g.a.kernel.listSas().size(), "the tunnel is back within a timeout of a path's return");
        assertEquals(2, g.b.kernel.listSas().size());
        assertNotEquals(oldSpi, Gateways.one(g.a, Direction.OUTBOUND).spi());
        assertEquals(2, g.a.events.installed.size());
        advance(g, 10 * DELAY, d -> d);
        assertEquals(List.of("c restart"), g.a.events.peersDead, "and DPD keeps it up");
        assertEquals(2, g.a.events.installed.size(), "no more restarts once it is up");
    }

    /**
     * Restart when the path Main Mode goes to first (192.0.2.1 > 192.0.2.2) stays dead and another returns: each attempt
     * takes the next pair of the pools' addresses, changing both ends where it can, so the tunnel comes back over
     * 192.0.2.11 > 192.0.2.12 within one attempt per path.
     */
    @Test
    void restartTriesEveryPathOfThePoolsInTurn() {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.RESTART),
                new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        advance(g, DELAY, d -> d);
        advance(g, 4 * DELAY, silence("192.0.2.1", "192.0.2.11", "192.0.2.2", "192.0.2.12"));
        assertEquals(List.of("c restart"), g.a.events.peersDead);
        List<String> attempts = new ArrayList<>();
        Wire.Filter firstOnly = d -> {
            if (d.exchangeType() == ExchangeType.IDENTITY_PROTECTION.code() && isZero(d.bytes(), 8, 16)) {
                attempts.add(d.from().getAddress().getHostAddress() + ">" + d.to().getAddress().getHostAddress());
            }
            return silence("192.0.2.1", "192.0.2.2").apply(d);
        };
        advance(g, 4 * 3 * DELAY, firstOnly);
        assertEquals(2, g.a.kernel.listSas().size(), "back over the second uplinks: " + attempts);
        assertEquals(List.of("192.0.2.11>192.0.2.12"), g.snapshot(g.a).stream()
                .map(s -> s.local().getAddress().getHostAddress() + ">" + s.remote().getAddress().getHostAddress()).toList());
        assertTrue(attempts.size() <= 4, "one attempt per path at most: " + attempts);
        assertEquals(attempts.size(), new TreeSet<>(attempts).size(), "each attempt on another path: " + attempts);
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Test
    void forgedReplayedAndStaleAnswersDoNotKeepADeadPeerAlive() {
        // the engine takes an answer to any of the last 32 R-U-THEREs of a path; the timeout is longer than that here
        long timeout = 40 * DELAY;
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, timeout, Dpd.Action.CLEAR), Dpd.OFF);
        List<Wire.Datagram> round1 = new ArrayList<>();
        advance(g, DELAY, d -> {
            round1.add(d);
            return d;
        });
        long t1 = g.wire.clock.nowMillis();
        Wire.Datagram genuineAck = round1.stream().filter(d -> B[0].equals(d.from().getAddress().getHostAddress()))
                .findFirst().orElseThrow();
        int acked = g.a.events.confirmed.size();
        assertEquals(4, acked);
        // B can hear A but nothing B sends arrives: its answers are kept back
        Wire.Filter keepBack = d -> {
            if (List.of(B).contains(d.from().getAddress().getHostAddress())) {
                fromB.add(d);
                fromBAt.add(g.wire.clock.nowMillis());
                return null;
            }
            return d;
        };
        advance(g, 32 * DELAY, keepBack); // rounds 2-33: 32 R-U-THEREs per path after round 1
        assertEquals(128, fromB.size(), "4 answers per round held back");
        List<Wire.Datagram> round2 = new ArrayList<>();
        for (int i = 0; i < fromB.size(); i++) {
            if (fromBAt.get(i) == t1 + DELAY) {
                round2.add(fromB.get(i));
            }
        }
        assertEquals(4, round2.size());
        advance(g, DELAY, keepBack); // round 34: round 2's sequence numbers leave the window
        // a genuine answer of round 1 again (replayed), round 2's answers late (stale), one in the clear, one damaged
        g.wire.deliver(genuineAck);
        round2.forEach(g.wire::deliver);
        IkeSaSnapshot ike = g.snapshot(g.a).get(0);
        g.wire.deliver(genuineAck.with(clearAck(ike, 1)));
        byte[] damaged = fromB.get(fromB.size() - 1).bytes().clone();
        damaged[28 + 16] ^= 0x40;
        g.wire.deliver(genuineAck.with(damaged));
        assertEquals(1, g.a.events.drops("replayed"));
        assertEquals(4, g.a.events.drops("stale_dpd_ack"));
        assertEquals(1, g.a.events.drops("unauthenticated"));
        assertEquals(1, g.a.events.drops("bad_hash"));
        assertEquals(acked, g.a.events.confirmed.size(), "no path confirmed by any of them");
        advance(g, 6 * DELAY, keepBack); // round 40: 39 delays since the last genuine answer
        assertEquals(List.of(), g.a.events.peersDead);
        // round 41: the timeout since the last genuine answer, exactly as if none of the above had come
        advance(g, DELAY, keepBack);
        assertEquals(List.of("c clear"), g.a.events.peersDead);
        assertEquals(0, g.a.kernel.listSas().size());
    }

    @Test
    void aSideWithoutDpdOfItsOwnSendsNoRuThereButAnswersThePeers() {
        Gateways g = dualHomed(Timers.DEFAULT, Dpd.OFF, new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        advance(g, 5 * DELAY, d -> d);
        assertEquals(0, g.a.events.dpd("192.0.2.2 sent"));
        assertEquals(10, g.b.events.dpd("192.0.2.1 acked"), "B's R-U-THEREs are answered by A without DPD of its own");
        assertEquals(List.of(), g.b.events.peersDead);
    }

    @Test
    void theDataPlaneAsksForAProbeOverOnePathAndGetsThatPathConfirmed() throws Exception {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR), Dpd.OFF);
        g.a.engine.probePath(java.net.InetAddress.getByName("192.0.2.11"), java.net.InetAddress.getByName("192.0.2.12"));
        g.wire.flush();
        assertEquals(List.of("192.0.2.11>192.0.2.12"), g.a.events.confirmed);
        assertEquals(1, g.a.events.dpd("192.0.2.12 sent"));
        // a pair outside the pools: no SA has that path, nothing is sent
        g.a.engine.probePath(java.net.InetAddress.getByName("192.0.2.11"), java.net.InetAddress.getByName("192.0.2.99"));
        assertEquals(0, g.wire.flush());
    }

    /**
     * The probes the data plane asks for are looked up by path: after the SAs died (all paths silent, restart) a probe
     * over a path finds nothing to send under; once the tunnel is back it goes under the new IKE SA, one per request.
     */
    @Test
    void aProbeForAPathGoesUnderTheLiveSaOfThatPathOnly() throws Exception {
        Gateways g = dualHomed(Timers.DEFAULT, new Dpd(DELAY, 3 * DELAY, Dpd.Action.RESTART),
                new Dpd(DELAY, 3 * DELAY, Dpd.Action.CLEAR));
        java.net.InetAddress a2 = java.net.InetAddress.getByName("192.0.2.11");
        java.net.InetAddress b2 = java.net.InetAddress.getByName("192.0.2.12");
        String oldCookie = g.snapshot(g.a).get(0).initiatorCookie();
        advance(g, DELAY, d -> d);
        advance(g, 3 * DELAY, silence("192.0.2.2", "192.0.2.12"));
        assertEquals(List.of("c restart"), g.a.events.peersDead);
        g.wire.flush(d -> null);
        int sent = g.a.events.dpd("192.0.2.12 sent");
        g.a.engine.probePath(a2, b2);
        assertEquals(0, g.wire.flush(d -> null), "no established SA has that path now");
        assertEquals(sent, g.a.events.dpd("192.0.2.12 sent"));
        advance(g, 3 * DELAY, d -> d);
        assertEquals(1, g.snapshot(g.a).size());
        assertNotEquals(oldCookie, g.snapshot(g.a).get(0).initiatorCookie(), "a new IKE SA");
        g.wire.flush();
        int confirmed = g.a.events.confirmed.size();
        sent = g.a.events.dpd("192.0.2.12 sent");
        for (int i = 0; i < 3; i++) {
            g.a.engine.probePath(a2, b2);
        }
        g.wire.flush();
        assertEquals(sent + 3, g.a.events.dpd("192.0.2.12 sent"), "one R-U-THERE per request");
        assertEquals(confirmed + 3, g.a.events.confirmed.size());
        assertEquals("192.0.2.11>192.0.2.12", g.a.events.confirmed.get(g.a.events.confirmed.size() - 1));
    }

    /** {@code HDR, N(R-U-THERE-ACK)} in the clear, with the SA's cookies: what anyone on the path could send. */
    private static byte[] clearAck(IkeSaSnapshot ike, int sequence) {
        long ci = Long.parseUnsignedLong(ike.initiatorCookie(), 16);
        long cr = Long.parseUnsignedLong(ike.responderCookie(), 16);
        return BadInputTest.encode(new IsakmpMessage(IsakmpHeader.of(ci, cr, ExchangeType.INFORMATIONAL, 0x01020304),
                List.of(NotificationPayload.dpd(true, ci, cr, sequence))));
    }
}

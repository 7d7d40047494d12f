package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.auth.CertificateAuthenticator;
import net.poolsa.ike.auth.TestPki;
import net.poolsa.ike.auth.TestPki.Issued;
import net.poolsa.ike.job.Timers;

/**
 * A peer that crashed (SIGKILL: no Delete) and came back with no state negotiates again as initiator, with
 * INITIAL-CONTACT in Main Mode message 5 (RFC 2407 §4.6.3.3). The survivor must drop the IKE SA and the child SA pair it
 * still holds with that address at once, without Deletes nobody could read, instead of keeping two pairs for the same
 * selectors until a grace or a dead peer detection ends the stale one:
 * <pre>
 * A (survivor, 192.0.2.1)                              B' (restarted, 192.0.2.2)
 *                                                &lt;--  HDR, SA ... (Main Mode 1-4)
 *                                                &lt;--  HDR*, IDii, HASH_I, N(INITIAL-CONTACT)
 * stale IKE SA and pair removed, no Delete
 * HDR*, IDir, HASH_R                             --&gt;
 *                                                &lt;--  HDR*, HASH(1), SA, Ni, KE, IDci, IDcr   (Quick Mode)
 * </pre>
 * The survivor matches the SAs to remove by the identity the restarted peer proved, not by its address: with
 * certificates, a dual-homed peer back on its other address clears the SAs of its first one, and another host
 * behind the same address (a NAT) clears nothing of the first's.
 */
class PeerRestartTest {
    @TempDir
    Path dir;

    private final Issued ca = TestPki.root("CN=poolsa test CA");

    @Test
    void aRestartedPeersInitialContactRemovesTheSurvivorsStaleSasAtOnceWithoutDeletes() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        Set<Integer> stale = spis(g.a.kernel.listSas());
        assertEquals(2, stale.size());

        g.wire.crash(g.b);
        Wire.Side restarted = g.wire.side("B'", 3, Timers.DEFAULT, "192.0.2.2");
        Gateways.done(restarted.engine.configure(List.of(Gateways.forB().build())).toCompletableFuture());
        int before = g.wire.log.size();
        CompletableFuture<IkeResult> f = restarted.engine.initiate("c").toCompletableFuture();
        g.wire.flush();
        IkeResult r = Gateways.done(f);
        assertTrue(r.ok(), r.message());

        List<SecurityAssociation> atA = g.a.kernel.listSas();
        assertEquals(2, atA.size(), "only the new pair at A: " + atA);
        assertTrue(spis(atA).stream().noneMatch(stale::contains), "the stale pair is gone: " + atA);
        assertEquals(Gateways.one(restarted, Direction.INBOUND).spi(), Gateways.one(g.a, Direction.OUTBOUND).spi(),
                "A sends on B''s new inbound SA");
        assertEquals(1, g.snapshot(g.a).size(), "one IKE SA at A: " + g.snapshot(g.a));
        List<Wire.Datagram> fromA = g.wire.log.subList(before, g.wire.log.size()).stream()
                .filter(d -> d.from().getAddress().equals(g.a.addresses.get(0))).toList();
        assertFalse(fromA.stream().anyMatch(d -> d.exchangeType() == 5), "no Informational (Delete) from A");
    }

    /**
     * A restarted gateway with two connections to one peer (same key, same outer addresses) starts both at once: the
     * second waits for the first one's Main Mode instead of starting its own, so the peer sees one Main Mode and one
     * ISAKMP SA carries both connections' Quick Modes (before: two Main Modes, two ISAKMP SAs until the grace).
     */
    @Test
    void twoConnectionsStartedAtOnceShareOneMainMode() {
        Gateways g = new Gateways();
        Gateways.done(g.a.engine.configure(List.of(Gateways.forA().build(),
                Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/24", "192.0.2.128/25").name("c2").reqid(8).build()))
                .toCompletableFuture());
        Gateways.done(g.b.engine.configure(List.of(Gateways.forB().build(),
                Conn.of("192.0.2.2", "192.0.2.1", "192.0.2.128/25", "198.51.100.0/24").name("c2").reqid(8).build()))
                .toCompletableFuture());
        CompletableFuture<IkeResult> first = g.a.engine.initiate("c").toCompletableFuture();
        CompletableFuture<IkeResult> second = g.a.engine.initiate("c2").toCompletableFuture();
        g.wire.flush();
        assertTrue(Gateways.done(first).ok(), Gateways.done(first).message());
        assertTrue(Gateways.done(second).ok(), Gateways.done(second).message());
        long mainModes = g.wire.log.stream().filter(d -> d.exchangeType() == 2 && responderCookieZero(d)).count();
        assertEquals(1, mainModes, "Main Mode message 1 on the wire");
        assertEquals(1, g.snapshot(g.a).size(), "one IKE SA at A: " + g.snapshot(g.a));
        assertEquals(1, g.snapshot(g.b).size(), "one IKE SA at B: " + g.snapshot(g.b));
        assertEquals(4, g.a.kernel.listSas().size(), "two pairs at A: " + g.a.kernel.listSas());
        assertEquals(4, g.b.kernel.listSas().size(), "two pairs at B: " + g.b.kernel.listSas());
    }

    private static boolean responderCookieZero(Wire.Datagram d) {
        for (int i = 8; i < 16; i++) {
            if (d.bytes()[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aDualHomedPeerBackOnItsOtherAddressClearsTheSasOfItsIdentity() throws Exception {
        Gateways g = new Gateways();
        CertificateAuthenticator atB = credentials("b", "CN=gw-b", "203.0.113.0/24", "192.0.2.2", "192.0.2.3");
        g.configure(Conn.of("192.0.2.1", "192.0.2.2,192.0.2.3", "198.51.100.0/24", "203.0.113.0/24")
                .certificates(credentials("a", "CN=gw-a", "198.51.100.0/24", "192.0.2.1")),
                Gateways.forB().certificates(atB));
        assertTrue(g.initiate(g.b).ok());
        Set<Integer> stale = spis(g.a.kernel.listSas());
        assertEquals(2, stale.size());

        g.wire.crash(g.b);
        Wire.Side restarted = restart(g, "192.0.2.3", "203.0.113.0/24", atB);

        List<SecurityAssociation> atA = g.a.kernel.listSas();
        assertEquals(2, atA.size(), "only the new pair at A: " + atA);
        assertTrue(spis(atA).stream().noneMatch(stale::contains), "the pair of 192.0.2.2 is gone: " + atA);
        assertEquals(Gateways.one(restarted, Direction.INBOUND).spi(), Gateways.one(g.a, Direction.OUTBOUND).spi());
        List<IkeSaSnapshot> ike = g.snapshot(g.a);
        assertEquals(1, ike.size(), "one IKE SA at A: " + ike);
        assertEquals("/192.0.2.3", ike.get(0).remote().getAddress().toString());
    }

    @Test
    void anotherIdentityBehindTheSameAddressLeavesTheFirstPeersSasInPlace() throws Exception {
        Gateways g = new Gateways();
        // A serves 203.0.113.0/24 behind 192.0.2.2: gw-b holds its lower half, gw-c (behind the same NAT) the upper
        g.configure(Gateways.forA().certificates(credentials("a", "CN=gw-a", "198.51.100.0/24", "192.0.2.1")),
                Conn.of("192.0.2.2", "192.0.2.1", "203.0.113.0/25", "198.51.100.0/24")
                        .certificates(credentials("b", "CN=gw-b", "203.0.113.0/25", "192.0.2.2")));
        assertTrue(g.initiate(g.b).ok());
        Set<Integer> first = spis(g.a.kernel.listSas());
        assertEquals(2, first.size());

        // gw-b is quiet for a while; gw-c connects for the first time, from the same address
        g.wire.crash(g.b);
        restart(g, "192.0.2.2", "203.0.113.128/25", credentials("c", "CN=gw-c", "203.0.113.128/25", "192.0.2.2"));

        Set<Integer> atA = spis(g.a.kernel.listSas());
        assertEquals(4, atA.size(), "gw-b's pair and gw-c's at A: " + atA);
        assertTrue(atA.containsAll(first), "gw-b's pair is still there: " + atA);
        List<IkeSaSnapshot> ike = g.snapshot(g.a);
        assertEquals(2, ike.size(), "two IKE SAs at A: " + ike);
        for (IkeSaSnapshot s : ike) {
            assertFalse(s.replaced(), "neither IKE SA replaces the other: " + ike);
            assertEquals(1, s.children().size(), "each keeps its own pair: " + ike);
        }
    }

    /** A gateway protecting {@code net} on {@code address}, newly started, initiates; the exchange must succeed. */
    private static Wire.Side restart(Gateways g, String address, String net, CertificateAuthenticator credentials) {
        Wire.Side s = g.wire.side("B'", 3, Timers.DEFAULT, address);
        Gateways.done(s.engine.configure(List.of(Conn.of(address, "192.0.2.1", net, "198.51.100.0/24")
                .certificates(credentials).build())).toCompletableFuture());
        CompletableFuture<IkeResult> f = s.engine.initiate("c").toCompletableFuture();
        g.wire.flush();
        IkeResult r = Gateways.done(f);
        assertTrue(r.ok(), r.message());
        return s;
    }

    /** A certificate for {@code cn} naming the net it protects and its outer addresses. */
    private CertificateAuthenticator credentials(String file, String cn, String net, String... outer) throws Exception {
        String[] n = net.split("/");
        int bits = Integer.parseInt(n[1]);
        long m = 0xffffffffL << (32 - bits);
        String mask = (m >> 24 & 255) + "." + (m >> 16 & 255) + "." + (m >> 8 & 255) + "." + (m & 255);
        TestPki.Spec spec = TestPki.cert(cn).keys(TestPki.ec("secp256r1")).ipNet(n[0], mask);
        for (String o : outer) {
            spec.ip(o);
        }
        return CertificateMainModeTest.credentials(dir, file, spec.sign(ca), List.of(ca), List.of(), "");
    }

    /**
     * The restarted peer has two connections to A (same key, other selectors) whose traffic brings both up at once (two
     * trap acquires): two Main Modes run side by side, each with INITIAL-CONTACT since neither is through when it sends
     * message 5. The first one through must take down only what A established before, not the other Main Mode of the
     * restarted peer (which A used to drop, so that its message 5 met an unknown cookie until it timed out, minutes
     * later; seen between two appliances after a kill -9). In the end A holds one pair per connection, none stale, and
     * still after the grace in which one of the two new ISAKMP SAs replaces the other.
     */
    @Test
    void aRestartedPeerNegotiatingTwoConnectionsAtOnceGetsBoth() {
        Gateways g = new Gateways();
        Conn c2AtA = Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/24", "192.0.2.128/25").name("c2").reqid(8);
        Conn c2AtB = Conn.of("192.0.2.2", "192.0.2.1", "192.0.2.128/25", "198.51.100.0/24").name("c2").reqid(8);
        Gateways.done(g.a.engine.configure(List.of(Gateways.forA().build(), c2AtA.build())).toCompletableFuture());
        Gateways.done(g.b.engine.configure(List.of(Gateways.forB().build(), c2AtB.build())).toCompletableFuture());
        assertTrue(g.initiate(g.a).ok());
        CompletableFuture<IkeResult> first = g.a.engine.initiate("c2").toCompletableFuture();
        g.wire.flush();
        assertTrue(Gateways.done(first).ok());
        Set<Integer> stale = spis(g.a.kernel.listSas());
        assertEquals(4, stale.size());

        g.wire.crash(g.b);
        Wire.Side restarted = g.wire.side("B'", 3, Timers.DEFAULT, "192.0.2.2");
        Gateways.done(restarted.engine.configure(List.of(Gateways.forB().build(), c2AtB.build())).toCompletableFuture());
        CompletableFuture<IkeResult> c = restarted.engine.initiate("c").toCompletableFuture();
        CompletableFuture<IkeResult> c2 = restarted.engine.initiate("c2").toCompletableFuture();
        g.wire.flush();
        assertTrue(c.isDone() && c.getNow(null).ok(), () -> "c: " + c);
        assertTrue(c2.isDone() && c2.getNow(null).ok(), () -> "c2, negotiated alongside c: " + c2);

        List<SecurityAssociation> atA = g.a.kernel.listSas();
        assertEquals(4, atA.size(), "one new pair per connection at A: " + atA);
        assertTrue(spis(atA).stream().noneMatch(stale::contains), "the stale pairs are gone: " + atA);
        assertEquals(spis(restarted.kernel.listSas()), spis(atA), "A holds what B' holds");

        // The second ISAKMP SA through replaced the first at A, where a Quick Mode may still end; at the end of the
        // grace the first one goes, and the pairs it holds must move, not go with it (on either side).
        g.wire.advance(30_000);
        assertEquals(spis(atA), spis(g.a.kernel.listSas()), "A's pairs after the grace: " + g.a.kernel.listSas());
        assertEquals(spis(atA), spis(restarted.kernel.listSas()), "B''s pairs after the grace");
        assertEquals(1, g.snapshot(g.a).size(), "one ISAKMP SA at A: " + g.snapshot(g.a));
    }

    private static Set<Integer> spis(List<SecurityAssociation> sas) {
        return sas.stream().map(SecurityAssociation::spi).collect(Collectors.toSet());
    }
}

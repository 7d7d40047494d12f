package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.UdpEncapsulation;

/**
 * NAT traversal (RFC 3947, RFC 3948): NAT-T vendor IDs in messages 1 and 2, NAT-D in 3 and 4; when a NAT is seen
 * (or pretended: forced encapsulation), IKE floats to port 4500 from message 5 on and the child SAs carry ESP in UDP.
 * <pre>
 * HDR, SA, VID(RFC 3947), VID(draft-02)  500 --&gt; 500
 *                                 500 &lt;-- 500  HDR, SA, VID(RFC 3947)
 * HDR, KE, Ni, NAT-D, NAT-D       500 --&gt; 500
 *                                 500 &lt;-- 500  HDR, KE, Nr, NAT-D, NAT-D
 * HDR*, IDii, HASH_I             4500 --&gt; 4500  (non-ESP marker)
 *                                4500 &lt;-- 4500 HDR*, IDir, HASH_R ... Quick Mode on 4500
 * </pre>
 */
class NatTraversalTest {

    @Test
    void forcedEncapsulationFloatsFromMessageFiveAndPutsEspInUdp() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().encap(true), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        List<Wire.Datagram> log = g.wire.log;
        assertEquals(9, log.size());
        for (int i = 0; i < log.size(); i++) {
            int port = i < 4 ? 500 : 4500;
            assertEquals(port, log.get(i).from().getPort(), "message " + (i + 1));
            assertEquals(port, log.get(i).to().getPort(), "message " + (i + 1));
        }
        for (Wire.Side s : List.of(g.a, g.b)) {
            for (Direction d : Direction.values()) {
                assertEquals(UdpEncapsulation.NAT_T, Gateways.one(s, d).udpEncapsulation(), s + " " + d);
            }
            IkeSaSnapshot ike = g.snapshot(s).get(0);
            assertTrue(ike.natT());
            assertEquals(4500, ike.local().getPort());
            assertEquals(4500, ike.remote().getPort());
        }
    }

    @Test
    void withoutANatNothingFloats() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        for (Wire.Datagram d : g.wire.log) {
            assertEquals(500, d.to().getPort());
        }
        assertNull(Gateways.one(g.a, Direction.OUTBOUND).udpEncapsulation());
        assertTrue(!g.snapshot(g.b).get(0).natT());
    }

    /**
     * A behind a NAT that maps 192.0.2.1:P to 198.51.100.99:P+10000: B sees the mapped address and port, both
     * detect the NAT, and B's SAs send ESP in UDP to the mapped port. A, knowing it is behind a NAT, does not announce
     * its own outer pool (B could not reach it), so B's SAs hold the NAT's address; B still announces its own.
     */
    @Test
    void aRealNatIsDetectedAndTheMappedPortCarriesEsp() {
        Gateways g = new Gateways();
        InetSocketAddress nat = new InetSocketAddress("198.51.100.99", 0);
        g.wire.nat = d -> {
            if (d.from().getAddress().getHostAddress().equals("192.0.2.1")) {
                return new Wire.Datagram(new InetSocketAddress(nat.getAddress(), d.from().getPort() + 10000), d.to(),
                        d.bytes());
            }
            if (d.to().getAddress().equals(nat.getAddress())) {
                return new Wire.Datagram(d.from(), new InetSocketAddress("192.0.2.1", d.to().getPort() - 10000), d.bytes());
            }
            return d;
        };
        g.configure(Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/25", "203.0.113.0/24"),
                Conn.of("192.0.2.2", "198.51.100.99", "203.0.113.0/24", "198.51.100.0/25"));
        IkeResult r = g.initiate(g.a);
        assertTrue(r.ok(), r.message());
        SecurityAssociation bOut = Gateways.one(g.b, Direction.OUTBOUND);
        assertEquals(new UdpEncapsulation(4500, 14500), bOut.udpEncapsulation());
        assertEquals(AddressPool.parse("198.51.100.99"), bOut.remoteOuter());
        assertEquals("198.51.100.99", bOut.currentRemote().toString());
        SecurityAssociation aOut = Gateways.one(g.a, Direction.OUTBOUND);
        assertEquals(UdpEncapsulation.NAT_T, aOut.udpEncapsulation());
        assertEquals(AddressPool.parse("192.0.2.1"), aOut.localOuter());
        assertEquals(14500, g.snapshot(g.b).get(0).remote().getPort());
    }

    /**
     * The NAT forgets its mapping (idle, restarted) and maps A to other ports (+20000): A's next authenticated message
     * (a DPD R-U-THERE) comes from 198.51.100.99:24500, and B sends its answers, its own R-U-THEREs and its child SA's
     * ESP there from then on (RFC 7296 §2.23), not to 14500, where the NAT no longer lets anything through.
     */
    @Test
    void aNewNatMappingOfThePeerIsFollowedByTheIkeSaAndItsChildSas() {
        Gateways g = new Gateways();
        InetAddress nat = new InetSocketAddress("198.51.100.99", 0).getAddress();
        int[] shift = {10000};
        List<Integer> bSentTo = new java.util.ArrayList<>();
        g.wire.nat = remappingNat(nat, shift, bSentTo);
        Dpd dpd = new Dpd(1000, 10_000, Dpd.Action.CLEAR);
        g.configure(Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/25", "203.0.113.0/24").dpd(dpd),
                Conn.of("192.0.2.2", "198.51.100.99", "203.0.113.0/24", "198.51.100.0/25").dpd(dpd));
        assertTrue(g.initiate(g.a).ok());
        SecurityAssociation bOut = Gateways.one(g.b, Direction.OUTBOUND);
        assertEquals(14500, bOut.udpEncapsulation().remotePort());
        shift[0] = 20000;
        bSentTo.clear();
        g.wire.advance(3000);
        assertEquals(24500, g.snapshot(g.b).get(0).remote().getPort(), "B's IKE SA");
        assertEquals(new UdpEncapsulation(4500, 24500), bOut.udpEncapsulation(), "B's outbound child SA");
        assertEquals(new UdpEncapsulation(4500, 24500), Gateways.one(g.b, Direction.INBOUND).udpEncapsulation());
        // B's first R-U-THERE may go out before A's arrives (to the old mapping, dropped); all later ones go to the new.
        long toNewPort = bSentTo.stream().filter(p -> p == 24500).count();
        assertTrue(bSentTo.size() >= 4 && toNewPort >= bSentTo.size() - 1, "B sent to " + bSentTo);
        assertEquals(List.of(), g.b.events.peersDead);
        assertEquals(List.of(), g.a.events.peersDead);
    }

    /**
     * An attacker who captured one of A's R-U-THEREs replays it from the NAT's address and a port of its choice once
     * its message ID has left B's {@link net.poolsa.ike.sa.RecentMessageIds} (256 Informationals later: about two
     * minutes of 1 s DPD). The replay decrypts and its hash verifies, and B answers it; but its DPD sequence number is
     * old, so B's IKE SA and child SAs stay on the mapping A really uses. Before the fix, B moved them to the
     * attacker's port, where the NAT drops everything, until A's next R-U-THERE moved them back.
     */
    @Test
    void aReplayedAuthenticatedMessageFromAnotherPortMovesNothing() {
        Gateways g = new Gateways();
        InetAddress nat = new InetSocketAddress("198.51.100.99", 0).getAddress();
        List<Integer> bSentTo = new java.util.ArrayList<>();
        g.wire.nat = remappingNat(nat, new int[] {10000}, bSentTo);
        Dpd dpd = new Dpd(1000, 10_000, Dpd.Action.CLEAR);
        g.configure(Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/25", "203.0.113.0/24").dpd(dpd),
                Conn.of("192.0.2.2", "198.51.100.99", "203.0.113.0/24", "198.51.100.0/25").dpd(dpd));
        assertTrue(g.initiate(g.a).ok());
        int established = g.wire.log.size();
        g.wire.advance(3000);
        Wire.Datagram captured = null;
        for (Wire.Datagram d : g.wire.log.subList(established, g.wire.log.size())) {
            if (d.from().getAddress().equals(nat) && d.exchangeType() == 5 && d.encrypted()) {
                captured = d; // the first Informational A sent since: its first R-U-THERE or ACK
                break;
            }
        }
        assertTrue(captured != null, "an Informational from A was seen");
        g.wire.advance(150_000);
        SecurityAssociation bOut = Gateways.one(g.b, Direction.OUTBOUND);
        assertEquals(new UdpEncapsulation(4500, 14500), bOut.udpEncapsulation());

        // replays until one is an R-U-THERE that B answers: the message ID left B's memory, the hash verified
        InetSocketAddress attacker = new InetSocketAddress(nat, 31337);
        int answered = 0;
        for (Wire.Datagram d : List.copyOf(g.wire.log.subList(established, g.wire.log.size()))) {
            if (!d.from().getAddress().equals(nat) || d.exchangeType() != 5 || answered > 0) {
                continue;
            }
            bSentTo.clear();
            g.wire.deliver(new Wire.Datagram(attacker, d.to(), d.bytes()));
            g.wire.flush();
            answered = (int) bSentTo.stream().filter(p -> p == attacker.getPort()).count();
        }
        assertTrue(answered > 0, "B answered a replayed R-U-THERE at the attacker's port: it verified as A's");
        assertEquals(14500, g.snapshot(g.b).get(0).remote().getPort(), "B's IKE SA");
        assertEquals(new UdpEncapsulation(4500, 14500), bOut.udpEncapsulation(), "B's outbound child SA");
        assertEquals(new UdpEncapsulation(4500, 14500), Gateways.one(g.b, Direction.INBOUND).udpEncapsulation());
        assertEquals(List.of(), g.b.events.peersDead);
    }

    /**
     * The NAT maps A anew and A, without DPD, next speaks by rekeying: its Quick Mode message 1 comes from the new
     * port. Message 1 can be a replay, so it does not move B's IKE SA; B answers it where it came from, and A's
     * HASH(3), which covers B's fresh nonce, moves B's IKE SA and child SAs to the new mapping.
     */
    @Test
    void aRekeyFromANewMappingIsAnsweredThereAndItsHash3MovesTheSa() {
        Gateways g = new Gateways();
        InetAddress nat = new InetSocketAddress("198.51.100.99", 0).getAddress();
        int[] shift = {10000};
        g.wire.nat = remappingNat(nat, shift, new java.util.ArrayList<>());
        net.poolsa.esp.sa.Lifetime lt = net.poolsa.esp.sa.Lifetime.ofSeconds(100, 200);
        // A rekeys first: up to half the soft time early; B only at the soft time
        g.configure(Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/25", "203.0.113.0/24").lifetime(lt)
                        .rekey(new Rekey(0.5, 5, 0)),
                Conn.of("192.0.2.2", "198.51.100.99", "203.0.113.0/24", "198.51.100.0/25").lifetime(lt)
                        .rekey(new Rekey(0, 5, 0)));
        assertTrue(g.initiate(g.a).ok());
        shift[0] = 20000;
        g.wire.advance(99_000);
        assertEquals(2, g.a.events.installed.size(), "A rekeyed: " + g.a.events.installed);
        assertEquals(24500, g.snapshot(g.b).get(0).remote().getPort(), "B's IKE SA");
        List<SecurityAssociation> bOut = g.b.kernel.listSas().stream().filter(s -> s.direction() == Direction.OUTBOUND)
                .toList();
        assertTrue(!bOut.isEmpty());
        for (SecurityAssociation sa : bOut) {
            assertEquals(new UdpEncapsulation(4500, 24500), sa.udpEncapsulation(), "B's outbound " + sa);
        }
    }

    /**
     * A NAT at {@code nat} in front of A (192.0.2.1) that maps A's port P to P + {@code shift[0]} (a test changes the
     * shift to make the NAT map A anew), lets in only what comes to a current mapping of A's ports 500 and 4500, and
     * records in {@code sentTo} every port B sent to at the NAT.
     */
    private static java.util.function.UnaryOperator<Wire.Datagram> remappingNat(InetAddress nat, int[] shift,
                                                                             List<Integer> sentTo) {
        return d -> {
            if (d.from().getAddress().getHostAddress().equals("192.0.2.1")) {
                return new Wire.Datagram(new InetSocketAddress(nat, d.from().getPort() + shift[0]), d.to(), d.bytes());
            }
            if (d.to().getAddress().equals(nat)) {
                sentTo.add(d.to().getPort());
                int port = d.to().getPort() - shift[0];
                // the NAT drops what comes to a mapping it no longer has
                return port == 500 || port == 4500 ? new Wire.Datagram(d.from(), new InetSocketAddress("192.0.2.1", port),
                        d.bytes()) : null;
            }
            return d;
        };
    }
}

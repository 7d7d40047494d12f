package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.ike.exchange.IkeCore;

/**
 * NAT-keepalives (RFC 3948 §2.3): A behind a NAT (192.0.2.1:P seen as 198.51.100.99:P+10000) sends the one octet 0xFF
 * from its IKE SA's NAT-T endpoint to B's every interval while the IKE SA is established, with DPD off so that nothing
 * else keeps the mapping; B, not behind a NAT, sends none.
 * <pre>
 * Main Mode, Quick Mode (floated to 4500)     4500 --&gt; 4500
 * 0xFF                                        4500 --&gt; 4500   every interval, A only
 * </pre>
 */
class NatKeepaliveTest {
    private static final InetSocketAddress A_NAT_T = new InetSocketAddress("192.0.2.1", 4500);
    private static final InetSocketAddress B_NAT_T = new InetSocketAddress("192.0.2.2", 4500);

    /** The gateways with A behind the NAT; {@link #sent} holds every datagram as it left its sender (before the NAT). */
    private final Gateways g = new Gateways();
    private final List<Wire.Datagram> sent = new ArrayList<>();

    NatKeepaliveTest() {
        InetAddress nat = new InetSocketAddress("198.51.100.99", 0).getAddress();
        g.wire.nat = d -> {
            sent.add(d);
            if (d.from().getAddress().getHostAddress().equals("192.0.2.1")) {
                return new Wire.Datagram(new InetSocketAddress(nat, d.from().getPort() + 10000), d.to(), d.bytes());
            }
            if (d.to().getAddress().equals(nat)) {
                return new Wire.Datagram(d.from(), new InetSocketAddress("192.0.2.1", d.to().getPort() - 10000), d.bytes());
            }
            return d;
        };
    }

    private void establish() {
        g.configure(Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/25", "203.0.113.0/24"),
                Conn.of("192.0.2.2", "198.51.100.99", "203.0.113.0/24", "198.51.100.0/25"));
        IkeResult r = g.initiate(g.a);
        assertTrue(r.ok(), r.message());
        sent.clear();
    }

    private List<Wire.Datagram> keepalivesFrom(String address) {
        return sent.stream().filter(d -> d.keepalive() && d.from().getAddress().getHostAddress().equals(address)).toList();
    }

    @Test
    void theSideBehindTheNatSendsOneKeepalivePerDefaultIntervalFromItsNatTEndpointAndThePeerNone() {
        establish();
        IkeSaSnapshot aSa = g.snapshot(g.a).get(0);
        assertEquals(A_NAT_T, aSa.local());
        assertEquals(B_NAT_T, aSa.remote());
        g.wire.advance(IkeCore.DEFAULT_NAT_KEEPALIVE_MILLIS - 1);
        assertEquals(List.of(), keepalivesFrom("192.0.2.1"), "none before the first interval is over");
        g.wire.advance(1);
        List<Wire.Datagram> first = keepalivesFrom("192.0.2.1");
        assertEquals(1, first.size(), "one at 20 s: " + first);
        assertEquals(A_NAT_T, first.get(0).from(), "from the IKE SA's local NAT-T endpoint");
        assertEquals(B_NAT_T, first.get(0).to(), "to the peer's NAT-T endpoint");
        assertArrayEquals(new byte[] {(byte) 0xff}, first.get(0).bytes(), "one octet 0xFF, no non-ESP marker");
        for (int i = 2; i <= 5; i++) {
            g.wire.advance(IkeCore.DEFAULT_NAT_KEEPALIVE_MILLIS);
            assertEquals(i, keepalivesFrom("192.0.2.1").size(), "exactly one per interval");
        }
        // through the NAT they reach B from A's mapped NAT-T port, where B sends its ESP-in-UDP
        List<Wire.Datagram> atB = g.wire.log.stream().filter(Wire.Datagram::keepalive).toList();
        assertEquals(5, atB.size());
        assertEquals(new InetSocketAddress("198.51.100.99", 14500), atB.get(0).from());
        assertEquals(List.of(), keepalivesFrom("192.0.2.2"), "B is not behind a NAT");
        assertEquals(5, sent.size(), "nothing but the keepalives was sent: " + sent);
    }

    @Test
    void noKeepaliveAfterTheIkeSaIsDeleted() {
        establish();
        g.wire.advance(IkeCore.DEFAULT_NAT_KEEPALIVE_MILLIS);
        assertEquals(1, keepalivesFrom("192.0.2.1").size());
        assertTrue(Gateways.done(g.a.engine.terminate("c").toCompletableFuture()).ok());
        g.wire.flush();
        assertEquals(List.of(), g.snapshot(g.a));
        sent.clear();
        g.wire.advance(10 * IkeCore.DEFAULT_NAT_KEEPALIVE_MILLIS);
        assertEquals(List.of(), keepalivesFrom("192.0.2.1"));
        assertEquals(List.of(), keepalivesFrom("192.0.2.2"));
    }

    @Test
    void intervalZeroSendsNone() {
        Gateways.done(g.a.engine.natKeepalive(0).toCompletableFuture());
        establish();
        g.wire.advance(10 * IkeCore.DEFAULT_NAT_KEEPALIVE_MILLIS);
        assertEquals(List.of(), keepalivesFrom("192.0.2.1"));
        assertEquals(List.of(), sent, "with DPD off nothing at all keeps the NAT's mapping");
    }

    @Test
    void aNewIntervalAppliesToTheEstablishedIkeSaAtOnce() {
        establish();
        g.wire.advance(15_000);
        Gateways.done(g.a.engine.natKeepalive(3000).toCompletableFuture());
        g.wire.advance(2999);
        assertEquals(List.of(), keepalivesFrom("192.0.2.1"));
        g.wire.advance(1);
        assertEquals(1, keepalivesFrom("192.0.2.1").size(), "3 s after the change, not at 20 s");
        g.wire.advance(30_000);
        assertEquals(11, keepalivesFrom("192.0.2.1").size());
        Gateways.done(g.a.engine.natKeepalive(0).toCompletableFuture());
        g.wire.advance(60_000);
        assertEquals(11, keepalivesFrom("192.0.2.1").size(), "0 stops them");
    }

    /** Forced encapsulation without a NAT: ESP goes in UDP, but no NAT keeps a mapping, so neither side sends any. */
    @Test
    void forcedEncapsulationWithoutANatSendsNone() {
        Gateways plain = new Gateways();
        plain.configure(Gateways.forA().encap(true), Gateways.forB());
        assertTrue(plain.initiate(plain.a).ok());
        assertTrue(plain.snapshot(plain.a).get(0).natT());
        int before = plain.wire.log.size();
        plain.wire.advance(10 * IkeCore.DEFAULT_NAT_KEEPALIVE_MILLIS);
        assertEquals(List.of(), plain.wire.log.subList(before, plain.wire.log.size()));
    }
}

package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.Lifetime;

/**
 * How connections start and end: start action start (negotiate at configuration time), trap (the data plane's
 * acquire on the PROTECT policy installed at configuration time), none; a reload keeps what did not change,
 * renegotiates what changed and deletes what went (with Delete notifications); {@code close()} deletes everything;
 * the engine owns and wipes the pre-shared keys; status shows IKE SAs above their child SAs.
 */
class LifecycleTest {

    @Test
    void startNegotiatesAtConfigurationTime() {
        Gateways g = new Gateways();
        Gateways.done(g.b.engine.configure(List.of(Gateways.forB().build())).toCompletableFuture());
        Gateways.done(g.a.engine.configure(List.of(Gateways.forA().start(StartAction.START).build())).toCompletableFuture());
        assertEquals(9, g.wire.flush());
        assertEquals(2, g.a.kernel.listSas().size());
        assertEquals(2, g.b.kernel.listSas().size());
    }

    @Test
    void trapInstallsThePolicyAndNegotiatesOnTheAcquire() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().start(StartAction.TRAP), Gateways.forB());
        assertEquals(0, g.wire.flush(), "nothing before traffic");
        assertEquals(2, g.a.kernel.spd().size(), "the trap: c/out and c/in");
        g.a.engine.acquire(g.a.kernel.spd().get("c/out"));
        g.a.engine.acquire(g.a.kernel.spd().get("c/out")); // a second packet before the SA: one negotiation
        assertEquals(9, g.wire.flush());
        assertEquals(2, g.a.kernel.listSas().size());
        assertEquals(1, g.a.events.exchanges("main_mode/ok"));
        Gateways.done(g.b.engine.terminate("c").toCompletableFuture());
        g.wire.flush();
        assertEquals(0, g.a.kernel.listSas().size(), "the peer deleted the SAs");
        assertEquals(2, g.a.kernel.spd().size(), "the trap stays armed");
    }

    @Test
    void aReloadKeepsWhatDidNotChangeAndRenegotiatesWhatChanged() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        int spi = Gateways.one(g.a, Direction.INBOUND).spi();

        IkeConnection same = Gateways.forA().build();
        Gateways.done(g.a.engine.configure(List.of(same)).toCompletableFuture());
        assertEquals(0, g.wire.flush());
        assertEquals(spi, Gateways.one(g.a, Direction.INBOUND).spi(), "unchanged: same SAs");
        assertTrue(allZero(same.psk()), "the duplicate key is wiped; the engine keeps the copy it had");

        IkeConnection changed = Gateways.forA().lifetime(Lifetime.ofSeconds(1000, 1200)).start(StartAction.START).build();
        Gateways.done(g.a.engine.configure(List.of(changed)).toCompletableFuture());
        g.wire.flush();
        assertNotEquals(spi, Gateways.one(g.a, Direction.INBOUND).spi(), "changed: renegotiated");
        assertEquals(1200, Gateways.one(g.a, Direction.INBOUND).lifetime().hardSeconds());
        assertEquals(2, g.b.kernel.listSas().size(), "B deleted the old pair on A's Delete and holds the new one");
        assertEquals(2, g.b.events.exchanges("quick_mode/ok"));

        Gateways.done(g.a.engine.configure(List.of()).toCompletableFuture());
        g.wire.flush();
        assertEquals(0, g.a.kernel.listSas().size());
        assertEquals(0, g.a.kernel.spd().size());
        assertEquals(0, g.b.kernel.listSas().size(), "removed: the peer was told");
        assertEquals(0, g.snapshot(g.b).size());
        assertTrue(allZero(changed.psk()), "the removed connection's key is wiped");
    }

    @Test
    void closeDeletesEverythingWithNotificationsToThePeer() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        assertFalse(g.a.engine.keysWiped());
        g.a.engine.close();
        assertTrue(g.a.engine.keysWiped(), "the shutdown ran: the appliance may say keys=zeroed");
        assertEquals(2, g.wire.flush(), "D(ESP) and D(ISAKMP)");
        assertEquals(0, g.a.kernel.listSas().size());
        assertEquals(0, g.a.kernel.spd().size());
        assertEquals(0, g.b.kernel.listSas().size());
        assertEquals(0, g.snapshot(g.b).size());
        assertTrue(g.a.engine.initiate("c").toCompletableFuture().isCompletedExceptionally(), "closed");
    }

    @Test
    void statusListsIkeSasAboveTheirChildSas() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().encap(true), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        g.wire.advance(61_000);
        List<IkeSaSnapshot> s = g.snapshot(g.a);
        assertEquals(1, s.size());
        IkeSaSnapshot ike = s.get(0);
        assertEquals("c", ike.connection());
        assertEquals("initiator", ike.role());
        assertEquals("ESTABLISHED", ike.state());
        assertEquals("aes128-sha256-modp2048", ike.proposal());
        assertEquals("/192.0.2.1:4500", ike.local().toString());
        assertEquals("/192.0.2.2:4500", ike.remote().toString());
        assertEquals(16, ike.initiatorCookie().length());
        assertEquals(61, ike.ageSeconds());
        assertTrue(ike.natT());
        ChildSaSnapshot c = ike.children().get(0);
        assertEquals(Gateways.one(g.a, Direction.INBOUND).spi(), c.spiIn());
        assertEquals(Gateways.one(g.a, Direction.OUTBOUND).spi(), c.spiOut());
        assertEquals("aes128gcm16-modp2048", c.proposal());
        assertEquals("198.51.100.0/24", c.localProtected());
        assertEquals("203.0.113.0/24", c.remoteProtected());
        assertEquals(61, c.ageSeconds());
        assertEquals("responder", g.snapshot(g.b).get(0).role());
    }

    @Test
    void initiatingAnEstablishedConnectionNamesItsSas() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        IkeResult again = g.initiate(g.a);
        assertTrue(again.ok());
        assertEquals(String.format("connection c is already established: in 0x%08x out 0x%08x",
                Gateways.one(g.a, Direction.INBOUND).spi(), Gateways.one(g.a, Direction.OUTBOUND).spi()), again.message());
        assertEquals(9, g.wire.log.size());
        assertFalse(g.initiate(g.b).message().contains("failed"));
        IkeResult unknown = Gateways.done(g.a.engine.initiate("nope").toCompletableFuture());
        assertEquals(new IkeResult(false, "no IKE connection named nope"), unknown);
    }

    @Test
    void aRemoteOuterPoolWithoutASingleAddressNamesNoPeerToInitiateTo() {
        Gateways g = new Gateways();
        g.configure(Conn.of("192.0.2.1", "192.0.2.0/28", "198.51.100.0/24", "203.0.113.0/24"), Gateways.forB());
        IkeResult r = g.initiate(g.a);
        assertEquals("connection c: no local IKE socket in the outer pool [192.0.2.1/32] of the address family of a "
                + "single address of the remote outer pool [192.0.2.0/28]", r.message());
        assertEquals(0, g.wire.log.size());
        assertTrue(g.initiate(g.b).ok(), "as responder it serves any peer of the subnet");
    }

    @Test
    void aLocalOuterRangeInitiatesFromTheBoundAddressInsideIt() {
        Gateways g = new Gateways();
        // A's outer pool is its uplink subnet; its one IKE socket (192.0.2.1) lies inside, not at the network address.
        g.configure(Conn.of("192.0.2.0/28", "192.0.2.2", "198.51.100.0/24", "203.0.113.0/24"),
                Conn.of("192.0.2.2", "192.0.2.0/28", "203.0.113.0/24", "198.51.100.0/24"));
        IkeResult r = g.initiate(g.a);
        assertTrue(r.ok(), r.message());
        IkeSaSnapshot ike = g.snapshot(g.a).get(0);
        assertEquals("ESTABLISHED", ike.state());
        assertEquals("192.0.2.1", ike.local().getAddress().getHostAddress());
        assertEquals(1, ike.children().size());
    }

    private static boolean allZero(byte[] b) {
        byte[] z = new byte[b.length];
        return Arrays.equals(b, z);
    }
}

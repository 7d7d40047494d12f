package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
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
 */
class PeerRestartTest {

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

    private static Set<Integer> spis(List<SecurityAssociation> sas) {
        return sas.stream().map(SecurityAssociation::spi).collect(Collectors.toSet());
    }
}

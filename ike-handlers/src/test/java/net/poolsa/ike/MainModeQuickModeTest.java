package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.job.Timers;

/**
 * Main Mode and Quick Mode between two engines back to back (RFC 2409 §5.4, §5.5):
 * <pre>
 * A (initiator, 192.0.2.1)                               B (responder, 192.0.2.2)
 * HDR, SA, VID                                   --&gt;
 *                                                &lt;--   HDR, SA, VID
 * HDR, KE, Ni, NAT-D, NAT-D                      --&gt;
 *                                                &lt;--   HDR, KE, Nr, NAT-D, NAT-D
 * HDR*, IDii, HASH_I, N(INITIAL-CONTACT)         --&gt;
 *                                                &lt;--   HDR*, IDir, HASH_R
 * HDR*, HASH(1), SA, Ni, KE, IDci, IDcr, N(pool) --&gt;
 *                                                &lt;--   HDR*, HASH(2), SA, Nr, KE, IDci, IDcr, N(pool)
 * HDR*, HASH(3)                                  --&gt;
 * </pre>
 */
class MainModeQuickModeTest {

    @Test
    void establishesOneSaPairWhoseKeysMatchAcrossTheTwoKernels() throws Exception {
        Wire w = new Wire();
        Wire.Side a = w.side("A", 1, Timers.DEFAULT, "192.0.2.1");
        Wire.Side b = w.side("B", 2, Timers.DEFAULT, "192.0.2.2");
        a.engine.configure(List.of(Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/24", "203.0.113.0/24").build()));
        b.engine.configure(List.of(Conn.of("192.0.2.2", "192.0.2.1", "203.0.113.0/24", "198.51.100.0/24").build()));

        CompletableFuture<IkeResult> r = a.engine.initiate("c").toCompletableFuture();
        assertEquals(9, w.flush(), "6 Main Mode + 3 Quick Mode messages");
        assertTrue(r.isDone() && r.get().ok(), () -> String.valueOf(r.getNow(null)));

        List<SecurityAssociation> as = a.kernel.listSas();
        List<SecurityAssociation> bs = b.kernel.listSas();
        assertEquals(2, as.size());
        assertEquals(2, bs.size());
        SecurityAssociation aIn = only(as, Direction.INBOUND);
        SecurityAssociation aOut = only(as, Direction.OUTBOUND);
        SecurityAssociation bIn = only(bs, Direction.INBOUND);
        SecurityAssociation bOut = only(bs, Direction.OUTBOUND);
        assertEquals(aIn.spi(), bOut.spi());
        assertEquals(bIn.spi(), aOut.spi());
        assertArrayEquals(aIn.keys().encryptionKey(), bOut.keys().encryptionKey());
        assertArrayEquals(bIn.keys().encryptionKey(), aOut.keys().encryptionKey());
        assertEquals("aes-gcm-16", aIn.keys().encryptionAlgorithm());
        assertEquals(20, aIn.keys().encryptionKey().length, "16-byte key and 4-byte salt");
        assertEquals(1, a.events.exchanges("main_mode/ok"));
        assertEquals(1, b.events.exchanges("main_mode/ok"));
        assertEquals(1, a.events.exchanges("quick_mode/ok"));
        assertEquals(1, b.events.exchanges("quick_mode/ok"));
        assertEquals(0, a.events.totalDrops() + b.events.totalDrops(), a.events.drops + " " + b.events.drops);
        assertEquals(2, a.kernel.spd().size(), "out and in policy");
    }

    static SecurityAssociation only(List<SecurityAssociation> sas, Direction d) {
        List<SecurityAssociation> out = sas.stream().filter(s -> s.direction() == d).toList();
        assertEquals(1, out.size(), d + " SAs: " + sas);
        return out.get(0);
    }
}

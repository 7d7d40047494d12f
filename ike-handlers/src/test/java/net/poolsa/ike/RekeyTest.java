package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.kernel.KernelListener;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Lifetimes and make-before-break rekeying on the virtual clock (two engines back to back, {@link Gateways}): the
 * planned rekey comes within the jitter before the soft time and only once per pair, the new pair carries the
 * traffic on both sides before the old one goes, the old one is deleted (one Delete) after the grace period; the
 * data plane's soft limit rekeys at once, its hard limit takes the pair down; RESPONDER-LIFETIME both ways; the
 * sequence-number soft limit; a phase-1 rekey moves the child SAs untouched.
 */
class RekeyTest {
    private static final int REQID = 7;
    private static final Rekey REKEY = new Rekey(0.1, 5, 0);

    /** The SA {@code side} sends on now for the connection. */
    private static SecurityAssociation sending(Wire.Side side) {
        return side.kernel.sad().slot(REQID).current();
    }

    private static List<SecurityAssociation> sas(Wire.Side side, Direction d) {
        return side.kernel.listSas().stream().filter(s -> s.direction() == d).toList();
    }

    /** Hands the data plane's expiry events of both sides to their engines, as the appliance does. */
    private static void listen(Gateways g) {
        for (Wire.Side s : List.of(g.a, g.b)) {
            s.kernel.setListener(new KernelListener() {
                @Override
                public void expired(SecurityAssociation sa, boolean hard) {
                    s.engine.expired(sa, hard);
                }
            });
        }
    }

    @Test
    void theSoftTimeRekeysOnceWithinTheJitterAndTheOldPairGoesAfterTheGrace() {
        Gateways g = new Gateways();
        Lifetime lt = Lifetime.ofSeconds(100, 200);
        g.configure(Gateways.forA().lifetime(lt).rekey(REKEY), Gateways.forB().lifetime(lt).rekey(REKEY));
        assertTrue(g.initiate(g.a).ok());
        SecurityAssociation aOut0 = sending(g.a);
        SecurityAssociation bOut0 = sending(g.b);
        g.wire.advance(90_000 - 1);
        assertEquals(1, g.a.events.installed.size(), "no rekey before 90 s (soft 100 s, jitter 0.1)");
        assertEquals(1, g.b.events.installed.size());
        int seconds = 89;
        while (g.a.events.installed.size() == 1 && seconds < 100) {
            g.wire.advance(1000);
            seconds++;
        }
        assertTrue(seconds <= 100, "rekeyed by the soft time");
        assertEquals(2, g.a.events.installed.size(), "one rekey: the other side's plan was called off");
        assertEquals(2, g.b.events.installed.size());

        // make-before-break: both pairs installed on both sides, each side sending on the new one
        assertEquals(2, sas(g.a, Direction.INBOUND).size());
        assertEquals(2, sas(g.b, Direction.INBOUND).size());
        SecurityAssociation aOut1 = sending(g.a);
        SecurityAssociation bOut1 = sending(g.b);
        assertNotEquals(aOut0.spi(), aOut1.spi());
        assertNotEquals(bOut0.spi(), bOut1.spi());
        assertNotNull(g.b.kernel.sad().inbound(aOut1.spi()), "B receives on A's new SA");
        assertNotNull(g.a.kernel.sad().inbound(bOut1.spi()), "A receives on B's new SA");
        assertNotNull(g.b.kernel.sad().inbound(aOut0.spi()), "B still receives on A's old SA during the grace");
        assertNotNull(g.a.kernel.sad().inbound(bOut0.spi()), "A still receives on B's old SA during the grace");
        assertEquals(0, g.a.events.exchanges("informational/ok") + g.b.events.exchanges("informational/ok"));

        g.wire.advance(6000);
        assertNull(g.b.kernel.sad().inbound(aOut0.spi()), "old SA retired at B");
        assertNull(g.a.kernel.sad().inbound(bOut0.spi()), "old SA retired at A");
        assertEquals(List.of(aOut1), sas(g.a, Direction.OUTBOUND));
        assertEquals(List.of(bOut1), sas(g.b, Direction.OUTBOUND));
        assertEquals(1, g.a.events.exchanges("informational/ok") + g.b.events.exchanges("informational/ok"),
                "one Delete: the other side applied it instead of sending its own");
        assertEquals(1, g.a.events.rekeys("child/ok"));
        assertEquals(1, g.b.events.rekeys("child/ok"));
        assertEquals(2, g.a.kernel.spd().size(), "the pair's two policies, installed once");
    }

    @Test
    void theNewPairIsRekeyedAgainAndTheSidesTakeTurnsByChance() {
        Gateways g = new Gateways();
        Lifetime lt = Lifetime.ofSeconds(100, 200);
        g.configure(Gateways.forA().lifetime(lt).rekey(REKEY), Gateways.forB().lifetime(lt).rekey(REKEY));
        assertTrue(g.initiate(g.a).ok());
        Set<Integer> spis = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            g.wire.advance(100_000);
            spis.add(sending(g.a).spi());
            assertEquals(1, sas(g.a, Direction.OUTBOUND).size());
            assertEquals(1, sas(g.b, Direction.INBOUND).size());
        }
        assertEquals(10, spis.size(), "a new pair every soft lifetime");
        assertEquals(11, g.a.events.installed.size());
        assertEquals(10, g.a.events.rekeys("child/ok"));
        assertEquals(0, g.a.events.rekeys("child/failed") + g.b.events.rekeys("child/failed"));
    }

    @Test
    void theJitterStaysWithinItsShareAndSpreads() {
        Random r = new Random(12);
        double sum = 0;
        int n = 10_000;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            long at = REKEY.rekeyAfter(100_000, r.nextDouble());
            min = Math.min(min, at);
            max = Math.max(max, at);
            sum += at;
        }
        assertTrue(min >= 90_000 && max <= 100_000, min + ".." + max);
        assertTrue(min < 90_100 && max > 99_900, "the whole share is used: " + min + ".." + max);
        assertEquals(95_000, sum / n, 150, "uniform over the share");
        assertEquals(100_000, new Rekey(0, 5, 0).rekeyAfter(100_000, 0.99));
        assertEquals(900, Rekey.DEFAULT.ikeSoftSeconds(1000));
        assertEquals(600, new Rekey(0.1, 5, 600).ikeSoftSeconds(1000));
    }

    @Test
    void aDataPlaneSoftLimitRekeysAtOnce() {
        Gateways g = new Gateways();
        Lifetime lt = new Lifetime(0, 0, 10_000, 1_000_000, 0, 0);
        g.configure(Gateways.forA().lifetime(lt).rekey(REKEY), Gateways.forB().lifetime(lt).rekey(REKEY));
        assertTrue(g.initiate(g.a).ok());
        listen(g);
        SecurityAssociation out = sending(g.b);
        assertEquals(SecurityAssociation.LIFETIME_OK, out.account(9_000));
        assertEquals(1, g.b.events.installed.size());
        assertEquals(SecurityAssociation.LIFETIME_SOFT, out.account(1_500));
        g.wire.flush();
        assertEquals(2, g.b.events.installed.size(), "B rekeyed when its outbound SA crossed 10000 bytes");
        assertNotEquals(out.spi(), sending(g.b).spi());
        assertSame(out, g.b.kernel.listSas().stream().filter(s -> s == out).findFirst().orElse(null),
                "the old SA stays for the grace");
        g.wire.advance(5000);
        assertEquals(1, sas(g.b, Direction.OUTBOUND).size());
        assertEquals(1, g.a.events.rekeys("child/ok"));
    }

    @Test
    void aHardLimitTakesThePairDownOnBothSidesAndStartActionNoneDoesNotRenegotiate() {
        Gateways g = new Gateways();
        Lifetime lt = Lifetime.ofSeconds(0, 3600);
        g.configure(Gateways.forA().lifetime(lt), Gateways.forB().lifetime(lt));
        assertTrue(g.initiate(g.a).ok());
        listen(g);
        assertTrue(sending(g.a).expire(), "e.g. the sequence numbers are spent");
        g.wire.flush();
        assertEquals(0, g.a.kernel.listSas().size());
        assertEquals(0, g.b.kernel.listSas().size(), "B removed its pair on A's Delete");
        assertEquals(0, g.a.kernel.spd().size());
        assertEquals(1, g.a.events.installed.size(), "start action none: not negotiated again");
    }

    @Test
    void aHardLimitRenegotiatesWhenTheConnectionStarts() {
        Gateways g = new Gateways();
        Lifetime lt = Lifetime.ofSeconds(0, 3600);
        g.configure(Gateways.forA().lifetime(lt).start(StartAction.START), Gateways.forB().lifetime(lt));
        g.wire.flush();
        assertEquals(1, g.a.events.installed.size());
        listen(g);
        int old = sending(g.b).spi();
        assertTrue(sending(g.a).expire());
        g.wire.flush();
        assertEquals(2, g.a.events.installed.size(), "A negotiated the pair again");
        assertEquals(1, sas(g.a, Direction.OUTBOUND).size());
        assertEquals(1, sas(g.b, Direction.OUTBOUND).size());
        assertNotEquals(old, sending(g.b).spi());
        assertEquals(0, g.a.events.rekeys("child/ok"), "a renegotiation after a hard expiry is no rekey");
    }

    @Test
    void aShorterResponderLifetimeIsSentAndHonoured() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().lifetime(new Lifetime(3000, 3600, 0, 0, 0, 0)),
                Gateways.forB().lifetime(new Lifetime(500, 600, 900 * 1024, 1024 * 1024, 0, 0)));
        assertTrue(g.initiate(g.a).ok());
        for (SecurityAssociation sa : g.a.kernel.listSas()) {
            assertEquals(600, sa.lifetime().hardSeconds(), "A took B's RESPONDER-LIFETIME: " + sa);
            assertEquals(500, sa.lifetime().softSeconds());
            assertEquals(1024 * 1024, sa.lifetime().hardBytes());
        }
        for (SecurityAssociation sa : g.b.kernel.listSas()) {
            assertEquals(600, sa.lifetime().hardSeconds());
            assertEquals(1024 * 1024, sa.lifetime().hardBytes());
        }
    }

    @Test
    void aShorterInitiatorLifetimeIsTakenByTheResponder() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().lifetime(Lifetime.ofSeconds(500, 600)),
                Gateways.forB().lifetime(Lifetime.ofSeconds(3000, 3600)));
        assertTrue(g.initiate(g.a).ok());
        for (Wire.Side s : List.of(g.a, g.b)) {
            for (SecurityAssociation sa : s.kernel.listSas()) {
                assertEquals(600, sa.lifetime().hardSeconds(), s + " " + sa);
                assertEquals(500, sa.lifetime().softSeconds(), s + " " + sa);
            }
        }
    }

    @Test
    void thirtyTwoBitSequenceNumbersRekeyBeforeTheyRunOut() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA(), Gateways.forB());
        assertTrue(g.initiate(g.a).ok());
        for (SecurityAssociation sa : g.a.kernel.listSas()) {
            assertEquals(Rekey.SEQUENCE_SOFT_LIMIT, sa.lifetime().softPackets(), sa.toString());
            assertEquals(0, sa.lifetime().hardPackets(), "the data plane ends the SA at 2^32 - 1 itself");
        }
        Gateways e = new Gateways();
        e.configure(Gateways.forA().esn(true), Gateways.forB().esn(true));
        assertTrue(e.initiate(e.a).ok());
        for (SecurityAssociation sa : e.a.kernel.listSas()) {
            assertEquals(0, sa.lifetime().softPackets(), "64-bit sequence numbers do not run out: " + sa);
        }
    }

    @Test
    void aPhaseOneRekeyMovesTheChildSasUntouched() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().ikeLifetime(1000).rekey(REKEY), Gateways.forB().ikeLifetime(1000).rekey(REKEY));
        assertTrue(g.initiate(g.a).ok());
        List<SecurityAssociation> aSas = g.a.kernel.listSas();
        List<SecurityAssociation> bSas = g.b.kernel.listSas();
        String cookie = g.snapshot(g.a).get(0).initiatorCookie();
        g.wire.advance(810_000 - 1);
        assertEquals(1, g.snapshot(g.a).size(), "no phase-1 rekey before 810 s (soft 900 s, jitter 0.1)");
        int seconds = 809;
        while (g.snapshot(g.a).size() == 1 && seconds < 900) {
            g.wire.advance(1000);
            seconds++;
        }
        assertEquals(2, g.snapshot(g.a).size(), "a second ISAKMP SA by 900 s");
        assertEquals(2, g.snapshot(g.b).size());
        g.wire.advance(6000);
        List<IkeSaSnapshot> a = g.snapshot(g.a);
        List<IkeSaSnapshot> b = g.snapshot(g.b);
        assertEquals(1, a.size());
        assertEquals(1, b.size());
        assertNotEquals(cookie, a.get(0).initiatorCookie());
        assertEquals(1, a.get(0).children().size(), "the child moved to the new ISAKMP SA");
        assertEquals(1, b.get(0).children().size());
        assertEquals(aSas, g.a.kernel.listSas(), "the same child SAs, never reinstalled");
        assertEquals(bSas, g.b.kernel.listSas());
        assertEquals(1, g.a.events.installed.size());
        assertEquals(1, g.a.events.rekeys("ike/ok"));
        assertEquals(1, g.b.events.rekeys("ike/ok"));
        assertEquals(2, g.a.events.exchanges("main_mode/ok") + g.b.events.exchanges("main_mode/ok") - 2,
                "one more Main Mode, seen by both sides");
    }

    /**
     * A phase-1 lifetime of 8 KiB configured on A only (RFC 2409 Appendix A life type 2): B takes it from A's offer,
     * both count the same protected bytes (Main Mode 5 and 6, the Quick Modes of the child rekeys every 20 s, the
     * Deletes), and when A, the initiator, has protected nine tenths of 8192 bytes it replaces the ISAKMP SA long
     * before its 28800 s: the child SAs move untouched and the old ISAKMP SA goes after the grace.
     */
    @Test
    void aPhaseOneLifetimeInKilobytesReplacesTheIsakmpSaAtItsSoftByteCount() {
        Gateways g = new Gateways();
        Lifetime lt = Lifetime.ofSeconds(20, 40);
        g.configure(Gateways.forA().lifetime(lt).rekey(new Rekey(0.1, 5, 0, 8)), Gateways.forB().lifetime(lt).rekey(REKEY));
        assertTrue(g.initiate(g.a).ok());
        IkeSaSnapshot first = g.snapshot(g.a).get(0);
        assertEquals(8, first.lifetimeKilobytes());
        assertEquals(8, g.snapshot(g.b).get(0).lifetimeKilobytes(), "B took the offered limit");
        assertTrue(first.protectedBytes() > 0, "Main Mode 5 and 6 and the Quick Mode count");
        assertEquals(first.protectedBytes(), g.snapshot(g.b).get(0).protectedBytes(), "both count the same messages");
        long soft = Rekey.ikeSoftBytes(8 * 1024);
        long before = first.protectedBytes();
        int seconds = 0;
        while (g.snapshot(g.a).size() == 1 && seconds < 1000) {
            before = g.snapshot(g.a).get(0).protectedBytes();
            g.wire.advance(1000);
            seconds++;
        }
        List<IkeSaSnapshot> two = g.snapshot(g.a);
        assertEquals(2, two.size(), "a second ISAKMP SA within 1000 s");
        IkeSaSnapshot old = two.stream().filter(s -> s.initiatorCookie().equals(first.initiatorCookie())).findFirst()
                .orElseThrow();
        assertTrue(before < soft && old.protectedBytes() >= soft, "the rekey came when " + soft + " bytes were passed: "
                + before + " the second before, " + old.protectedBytes() + " now, after " + seconds + " s");
        assertTrue(old.protectedBytes() < 8 * 1024, "before the hard limit");
        g.wire.advance(6000);
        List<IkeSaSnapshot> a = g.snapshot(g.a);
        assertEquals(1, a.size(), "the old ISAKMP SA went after the grace");
        assertNotEquals(first.initiatorCookie(), a.get(0).initiatorCookie());
        assertEquals(1, g.snapshot(g.b).size());
        assertEquals(1, g.a.events.rekeys("ike/ok"), "A started it (the initiator's soft limit comes first)");
        assertTrue(a.get(0).protectedBytes() < soft, "the new ISAKMP SA counts from its own Main Mode");
    }

    /**
     * When the replacing Main Mode cannot complete (the wire drops every clear-text Main Mode message after the first
     * negotiation), the ISAKMP SA goes on protecting the child rekeys until it reaches its 8 KiB and is deleted on both
     * sides, with the reason in the log of the first (the other may learn it from its Delete first).
     */
    @Test
    void anIsakmpSaIsDeletedAtItsKilobyteLimit() {
        Gateways g = new Gateways();
        Lifetime lt = Lifetime.ofSeconds(20, 40);
        Rekey kb = new Rekey(0.1, 5, 0, 8);
        g.configure(Gateways.forA().lifetime(lt).rekey(kb), Gateways.forB().lifetime(lt).rekey(kb));
        assertTrue(g.initiate(g.a).ok());
        String cookie = g.snapshot(g.a).get(0).initiatorCookie();
        Wire.Filter noNewMainMode = d -> d.exchangeType() == 2 && !d.encrypted() ? null : d;
        try (LogCapture log = new LogCapture()) {
            int seconds = 0;
            while (g.snapshot(g.a).stream().anyMatch(s -> s.initiatorCookie().equals(cookie)) && seconds < 1000) {
                g.wire.clock.advance(1000, () -> g.wire.flush(noNewMainMode));
                g.wire.flush(noNewMainMode);
                seconds++;
            }
            assertTrue(g.snapshot(g.a).stream().noneMatch(s -> s.initiatorCookie().equals(cookie)), "gone within 1000 s");
            assertTrue(g.snapshot(g.b).stream().noneMatch(s -> s.initiatorCookie().equals(cookie)), "at B too");
            List<String> removed = log.with("event=ike_sa_removed").stream().filter(l -> l.contains("icookie=" + cookie))
                    .toList();
            assertEquals(2, removed.size(), "one per side: " + removed);
            // the first side to run its expiry deletes it and tells the other, which may have been about to
            assertTrue(removed.get(0).contains("reason=\"phase-1 lifetime of 8 KiB reached\""), removed.get(0));
            assertTrue(removed.get(1).contains("reason=\"phase-1 lifetime of 8 KiB reached\"")
                    || removed.get(1).contains("reason=\"the peer deleted it\""), removed.get(1));
            assertEquals(0, g.a.events.rekeys("ike/ok") + g.b.events.rekeys("ike/ok"), "no replacement got through");
        }
    }

    /**
     * Only authenticated bytes count: an encrypted Informational with the ISAKMP SA's cookies (visible on the wire) but
     * a body nobody keyed decrypts to something, fails its HASH and is dropped; it must not bring the SA nearer to its
     * lifetime in kilobytes, or anyone on the path could make it rekey or expire. A genuine exchange counts on both
     * sides.
     */
    @Test
    void bytesThatFailTheirHashDoNotCountAgainstTheKilobyteLifetime() {
        Gateways g = new Gateways();
        Rekey kb = new Rekey(0.1, 5, 0, 8);
        g.configure(Gateways.forA().rekey(kb), Gateways.forB().rekey(kb));
        assertTrue(g.initiate(g.a).ok());
        IkeSaSnapshot b0 = g.snapshot(g.b).get(0);
        Wire.Datagram genuine = g.wire.log.stream().filter(d -> g.b.owns(d.to().getAddress())).reduce((x, y) -> y)
                .orElseThrow();
        byte[] forged = new byte[28 + 64];
        java.util.HexFormat hex = java.util.HexFormat.of();
        System.arraycopy(hex.parseHex(b0.initiatorCookie()), 0, forged, 0, 8);
        System.arraycopy(hex.parseHex(b0.responderCookie()), 0, forged, 8, 8);
        forged[16] = 8; // HASH first
        forged[17] = 0x10;
        forged[18] = 5; // Informational
        forged[19] = 1; // encrypted
        forged[20] = 0x12;
        forged[21] = 0x34;
        forged[22] = 0x56;
        forged[23] = 0x78;
        forged[27] = (byte) forged.length;
        new Random(5).ints(64, 0, 256).forEach(new java.util.function.IntConsumer() {
            int i = 28;

            @Override
            public void accept(int v) {
                forged[i++] = (byte) v;
            }
        });
        for (int i = 0; i < 200; i++) {
            forged[23] = (byte) i; // a fresh message ID each time
            g.wire.deliver(new Wire.Datagram(genuine.from(), genuine.to(), forged.clone()));
        }
        assertEquals(b0.protectedBytes(), g.snapshot(g.b).get(0).protectedBytes(), "200 x 64 forged bytes counted");
        assertEquals(1, g.snapshot(g.b).size(), "no rekey");
    }

    @Test
    void theSnapshotTellsWhenEachSaIsRekeyedAndExpires() {
        Gateways g = new Gateways();
        Lifetime lt = Lifetime.ofSeconds(100, 200);
        g.configure(Gateways.forA().lifetime(lt).rekey(REKEY).ikeLifetime(1000),
                Gateways.forB().lifetime(lt).rekey(REKEY).ikeLifetime(1000));
        assertTrue(g.initiate(g.a).ok());
        g.wire.advance(30_000);
        IkeSaSnapshot ike = g.snapshot(g.a).get(0);
        assertEquals(970, ike.expiresInSeconds());
        assertTrue(ike.rekeyInSeconds() >= 810 - 30 && ike.rekeyInSeconds() <= 900 - 30, "" + ike.rekeyInSeconds());
        ChildSaSnapshot ch = ike.children().get(0);
        assertEquals(30, ch.ageSeconds());
        assertEquals(170, ch.expiresInSeconds());
        assertTrue(ch.rekeyInSeconds() >= 60 && ch.rekeyInSeconds() <= 70, "" + ch.rekeyInSeconds());
        assertTrue(!ch.replaced());
        // whichever side's plan comes first rekeys; step until the new pair is there
        for (int i = 0; i < 70 && g.snapshot(g.a).get(0).children().size() == 1; i++) {
            g.wire.advance(1000);
        }
        List<ChildSaSnapshot> both = g.snapshot(g.a).get(0).children();
        assertEquals(2, both.size(), "old and new pair during the grace");
        ChildSaSnapshot old = both.stream().filter(c -> c.spiIn() == ch.spiIn()).findFirst().orElseThrow();
        assertTrue(old.replaced());
        assertEquals(-1, old.rekeyInSeconds(), "a replaced pair is not rekeyed again");
        ChildSaSnapshot fresh = both.stream().filter(c -> c.spiIn() != ch.spiIn()).findFirst().orElseThrow();
        assertTrue(!fresh.replaced());
        assertEquals(200, fresh.expiresInSeconds());
        assertTrue(fresh.rekeyInSeconds() >= 90 && fresh.rekeyInSeconds() <= 100, "" + fresh.rekeyInSeconds());
    }
}

package net.poolsa.esp.sad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TestSas;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.spd.SecurityPolicyDatabase;

/**
 * Readers on the data path while the control plane installs, rekeys and deletes: a stable SA is never
 * missed, every SA returned is the one asked for and fully built (no torn read), a PROTECT policy under
 * rekey always has an SA, and churned policies never shadow the stable ones. Stable SAs of every width
 * (one cell; a multihomed IPv4 pool in one compact cell; IPv6 /64 pools in three) answer exactly while churned SAs of
 * the same widths grow, shrink and rehash the SPI table: a reader that saw LIVE saw the entry's continuation
 * cells too. Counts, not timings.
 */
class ConcurrentSadTest {
    private static final String MULTIHOMED_V4 = "192.0.2.10, 192.0.2.200";
    private static final String MULTIHOMED_V6 = "2001:db8:a::/64, 2001:db8:b::/64";
    private static final String PEER_V6 = "2001:db8:c::/64";

    @Test
    void readersNeverMissAStableSaWhileWritersChurn() throws Exception {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        SecurityPolicyDatabase spd = new SecurityPolicyDatabase(sad);
        int stable = 2000;
        int src = TestSas.v4("198.51.100.7");
        int dst = TestSas.v4("192.0.2.65");
        AddressPool wideV4 = AddressPool.parse(MULTIHOMED_V4);
        AddressPool wideV6 = AddressPool.parse(MULTIHOMED_V6);
        int[] stableV4 = new int[stable];
        int[] stableV6 = new int[stable];
        for (int i = 0; i < stable; i++) {
            sad.install(TestSas.inbound(0x100000 + i, "192.0.2.64/26", "198.51.100.0/24"));
            stableV4[i] = sad.allocateSpi(wideV4, AddressPool.parse("198.51.100.0/24"));
            sad.install(TestSas.inbound(stableV4[i], MULTIHOMED_V4, "198.51.100.0/24"));
            stableV6[i] = sad.allocateSpi(wideV6, AddressPool.parse(PEER_V6));
            sad.install(TestSas.inbound(stableV6[i], MULTIHOMED_V6, PEER_V6));
        }
        long srcHi = IpLiterals.v6hi(IpLiterals.parse("2001:db8:c::9"));
        long dstHi = IpLiterals.v6hi(IpLiterals.parse("2001:db8:b::1"));
        long outsideHi = IpLiterals.v6hi(IpLiterals.parse("2001:db8:b:1::1"));
        int wideDst = TestSas.v4("192.0.2.200");
        int wideOutside = TestSas.v4("192.0.2.201");
        spd.add(SecurityPolicy.protect("stable", TrafficSelector.between(AddressPool.parse("203.0.113.0/24"),
                AddressPool.parse("198.51.100.0/24")), 77));
        sad.install(TestSas.outbound(0x200000, 77, "192.0.2.65", "198.51.100.1"));

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong lookups = new AtomicLong();
        CountDownLatch started = new CountDownLatch(2);
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            final int seed = t;
            Thread reader = new Thread(() -> {
                started.countDown();
                int i = seed;
                long n = 0;
                int inner = TestSas.v4("203.0.113.9");
                int peer = TestSas.v4("198.51.100.200");
                while (!stop.get()) {
                    int spi = 0x100000 + (i++ % stable);
                    SecurityAssociation sa = sad.lookupInboundV4(spi, 50, src, dst, DropListener.NONE);
                    if (sa == null || sa.spi() != spi || sa.localOuter() == null || sa.selector() == null) {
                        failure.compareAndSet(null, "stable SPI " + Integer.toHexString(spi) + " gave " + sa);
                    }
                    int s4 = stableV4[i % stable];
                    int s6 = stableV6[i % stable];
                    SecurityAssociation w4 = sad.lookupInboundV4(s4, 50, src, wideDst, DropListener.NONE);
                    SecurityAssociation w6 = sad.lookupInboundV6(s6, 50, srcHi, 7, dstHi, 9, DropListener.NONE);
                    if (w4 == null || w4.spi() != s4 || w6 == null || w6.spi() != s6) {
                        failure.compareAndSet(null, "stable multihomed SPIs " + s4 + ", " + s6 + " gave " + w4 + ", " + w6);
                    }
                    if (sad.lookupInboundV4(s4, 50, src, wideOutside, DropListener.NONE) != null
                            || sad.lookupInboundV6(s6, 50, srcHi, 7, outsideHi, 9, DropListener.NONE) != null) {
                        failure.compareAndSet(null, "stable multihomed SPIs " + s4 + ", " + s6 + " took an address outside the pool");
                    }
                    InstalledPolicy p = spd.classifyV4(Direction.OUTBOUND, inner, peer, 6, 1, 2);
                    if (p == null || !p.policy().id().equals("stable") || p.sa() == null || p.sa().reqid() != 77) {
                        failure.compareAndSet(null, "stable policy gave " + p + " sa " + (p == null ? null : p.sa()));
                    }
                    n++;
                }
                lookups.addAndGet(n);
            });
            reader.start();
            readers.add(reader);
        }
        started.await();
        int nextOutbound = 0x200001;
        SecurityAssociation currentOut = sad.slot(77).current();
        for (int round = 0; round < 300; round++) {
            // Churn: a burst of other SAs in and out (grows and shrinks the SPI table).
            List<SecurityAssociation> churn = new ArrayList<>();
            for (int k = 0; k < 70; k++) {
                SecurityAssociation sa = TestSas.inbound(sad.allocateSpi(), "192.0.2.64/26", "198.51.100.0/24");
                sad.install(sa);
                churn.add(sa);
                AddressPool remote = AddressPool.parse("198.51.100.0/24");
                sa = TestSas.inbound(sad.allocateSpi(wideV4, remote), MULTIHOMED_V4, "198.51.100.0/24");
                sad.install(sa);
                churn.add(sa);
                // A manual SPI: it may probe, or lack room and go out of line. Skipped when a random SPI
                // above took it (4,000 stable random SPIs against 21,000 manual ones: about one run in 50).
                int manual = 0x700000 + round * 100 + k;
                if (sad.inbound(manual) == null) {
                    sa = TestSas.inbound(manual, MULTIHOMED_V6, PEER_V6);
                    sad.install(sa);
                    churn.add(sa);
                }
            }
            for (SecurityAssociation sa : churn) {
                sad.removeInbound(sa.spi(), IpsecProtocol.ESP);
            }
            // Rekey the outbound SA: install the new generation, then delete the old one.
            SecurityAssociation fresh = TestSas.outbound(nextOutbound++, 77, "192.0.2.65", "198.51.100.1");
            sad.install(fresh);
            sad.removeOutbound(77, currentOut.spi(), IpsecProtocol.ESP);
            currentOut = fresh;
            // Policy churn on other destinations, crossing the delta limit.
            spd.add(SecurityPolicy.discard("churn" + round, TrafficSelector.between(AddressPool.ANY,
                    AddressPool.parse("203.0.113." + (round % 250) + "/32"))));
            if (round >= 20) {
                spd.remove("churn" + (round - 20));
            }
        }
        stop.set(true);
        for (Thread r : readers) {
            r.join();
        }
        assertEquals(null, failure.get());
        assertTrue(lookups.get() > 0);
        assertEquals(3 * stable, sad.inboundCount());
        // The readers above checked inline entries: nearly all stable ones kept their cells through the churn
        // (the multihomed ones compact, IPv4 in one cell and IPv6 in two: the table has more than 2^14 cells).
        int inline4 = 0;
        int inline6 = 0;
        for (int i = 0; i < stable; i++) {
            inline4 += "v4 2/32+1 (1 cell)".equals(sad.inboundLayout(stableV4[i])) ? 1 : 0;
            inline6 += "v6 2+1 (2 cells)".equals(sad.inboundLayout(stableV6[i])) ? 1 : 0;
        }
        assertTrue(inline4 >= stable * 9 / 10 && inline6 >= stable * 9 / 10, inline4 + " and " + inline6 + " of " + stable);
        assertEquals(1, sad.outboundCount());
    }

    /**
     * Readers of multihomed SAs while the writer grows the SPI table past 2^14 cells and shrinks it below again,
     * round after round: each rehash rewrites them between the two-cell format and the compact cell (no SPI
     * word; identified by its place and the SPI's hash bits). A reader on either table, old or new, finds each
     * stable SA for its addresses, refuses an address outside its pool, and never gets an SA for an SPI that
     * shares a stable SA's home cell or hash bits but is not installed. Counts, not timings.
     */
    @Test
    void readersOfMultihomedSasWhileTheTableCrossesTheCompactMinimum() throws Exception {
        crossTheCompactMinimumUnderReaders(false);
    }

    /** The same for IPv6 multihomed SAs, rewritten between the three-cell format and the two compact cells. */
    @Test
    void readersOfIpv6MultihomedSasWhileTheTableCrossesTheCompactMinimum() throws Exception {
        crossTheCompactMinimumUnderReaders(true);
    }

    private void crossTheCompactMinimumUnderReaders(boolean v6) throws Exception {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        String localPool = v6 ? MULTIHOMED_V6 : MULTIHOMED_V4;
        String remotePool = v6 ? PEER_V6 : "198.51.100.0/24";
        AddressPool local = AddressPool.parse(localPool);
        AddressPool remote = AddressPool.parse(remotePool);
        int stable = 300;
        int[] spis = new int[stable];
        for (int i = 0; i < stable; i++) {
            spis[i] = sad.allocateSpi(local, remote);
            sad.install(TestSas.inbound(spis[i], localPool, remotePool));
        }
        // SPIs never installed: one hash bit flipped (the same home cell in tables up to 2^31 cells), or the
        // same hash bits one home cell below in a table of 2^14 or 2^15 cells.
        int[] strangers = new int[2 * stable];
        for (int i = 0; i < stable; i++) {
            int h = spis[i] * 0x9E3779B9;
            strangers[2 * i] = (h ^ 1) * SpiTableOracleTest.INVERSE;
            strangers[2 * i + 1] = (h - (1 << (18 - (i & 1)))) * SpiTableOracleTest.INVERSE;
        }
        long src = v6 ? IpLiterals.v6hi(IpLiterals.parse("2001:db8:c::7")) : TestSas.v4("198.51.100.7");
        long inside = v6 ? IpLiterals.v6hi(IpLiterals.parse("2001:db8:b::1")) : TestSas.v4("192.0.2.200");
        long outside = v6 ? IpLiterals.v6hi(IpLiterals.parse("2001:db8:d::1")) : TestSas.v4("192.0.2.201");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong found = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            final int first = t;
            Thread reader = new Thread(() -> {
                long n = 0;
                for (int i = first; !stop.get(); i++) {
                    int k = i % stable;
                    SecurityAssociation sa = lookup(sad, v6, spis[k], src, inside);
                    if (sa == null || sa.spi() != spis[k]) {
                        failure.compareAndSet(null, "stable SPI " + Integer.toHexString(spis[k]) + " gave " + sa);
                    }
                    SecurityAssociation wrong = lookup(sad, v6, spis[k], src, outside);
                    SecurityAssociation stranger = lookup(sad, v6, strangers[i % strangers.length], src, inside);
                    if (wrong != null || stranger != null) {
                        failure.compareAndSet(null, "outside address gave " + wrong + ", SPI "
                                + Integer.toHexString(strangers[i % strangers.length]) + " gave " + stranger);
                    }
                    n++;
                }
                found.addAndGet(n);
            });
            reader.start();
            readers.add(reader);
        }
        Set<String> layouts = new HashSet<>();
        Set<Integer> strangerSet = new HashSet<>();
        for (int s : strangers) {
            strangerSet.add(s);
        }
        for (int round = 0; round < 8; round++) {
            // Grow to 2^15 cells with narrow SAs, then remove them all (shrinks below 2^14 cells).
            List<Integer> churn = new ArrayList<>();
            for (int k = 0; k < 10_000; k++) {
                int spi = sad.allocateSpi();
                if (strangerSet.contains(spi)) {
                    sad.releaseSpi(spi);
                    continue;
                }
                sad.install(TestSas.inbound(spi, "192.0.2.64/26", "198.51.100.0/24"));
                churn.add(spi);
            }
            layouts.add(sad.inboundLayout(spis[round]));
            for (int spi : churn) {
                sad.removeInbound(spi, IpsecProtocol.ESP);
            }
            layouts.add(sad.inboundLayout(spis[round]));
        }
        stop.set(true);
        for (Thread r : readers) {
            r.join();
        }
        assertEquals(null, failure.get());
        assertTrue(found.get() > 0);
        // Compact in the large table, wide (or out of line where a shrink displaced it) in the small one.
        assertTrue(layouts.contains(v6 ? "v6 2+1 (2 cells)" : "v4 2/32+1 (1 cell)") && layouts.size() >= 2, layouts.toString());
        assertEquals(stable, sad.inboundCount());
    }

    /** An ESP lookup of an IPv4 packet, or of an IPv6 one whose top halves are these (low halves 1). */
    private static SecurityAssociation lookup(SecurityAssociationDatabase sad, boolean v6, int spi, long src, long dst) {
        return v6 ? sad.lookupInboundV6(spi, 50, src, 1, dst, 1, DropListener.NONE)
                : sad.lookupInboundV4(spi, 50, (int) src, (int) dst, DropListener.NONE);
    }

    /**
     * Readers take no lock: while another thread holds the SAD's writer lock (its monitor) and waits for them,
     * readers of every layout (one cell, multihomed IPv4 and IPv6 inline, the spill area, a dual-stack SA's
     * spilled family) finish all their lookups. A reader that took the lock would still be waiting when the
     * holder gives up and releases it.
     */
    @Test
    void readersFinishWhileTheWriterLockIsHeld() throws Exception {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
        String[][] pools = {{"192.0.2.64/26", "198.51.100.0/24"}, {MULTIHOMED_V4, "198.51.100.0/24"},
            {MULTIHOMED_V6, PEER_V6}, {"192.0.2.1, 192.0.2.3, 192.0.2.5, 192.0.2.7, 192.0.2.200", "198.51.100.0/24"},
            {MULTIHOMED_V4 + ", 2001:db8:b::/64", "198.51.100.0/24, " + PEER_V6}};
        int[] spi = new int[pools.length];
        for (int k = 0; k < pools.length; k++) {
            spi[k] = sad.allocateSpi(AddressPool.parse(pools[k][0]), AddressPool.parse(pools[k][1]));
            sad.install(TestSas.inbound(spi[k], pools[k][0], pools[k][1]));
        }
        int src = TestSas.v4("198.51.100.7");
        int dst = TestSas.v4("192.0.2.200");
        long srcHi = IpLiterals.v6hi(IpLiterals.parse("2001:db8:c::9"));
        long dstHi = IpLiterals.v6hi(IpLiterals.parse("2001:db8:b::1"));
        int perReader = 200_000;
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch readersDone = new CountDownLatch(2);
        AtomicBoolean doneUnderLock = new AtomicBoolean();
        Thread holder = new Thread(() -> {
            synchronized (sad) {
                locked.countDown();
                try {
                    doneUnderLock.set(readersDone.await(60, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        holder.start();
        locked.await();
        AtomicLong found = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread reader = new Thread(() -> {
                long n = 0;
                for (int i = 0; i < perReader; i++) {
                    int k = i % spi.length;
                    SecurityAssociation sa = k == 2 || k == 4 // 4: the spilled IPv6 pair of the dual-stack SA
                            ? sad.lookupInboundV6(spi[k], 50, srcHi, i, dstHi, i, DropListener.NONE)
                            : sad.lookupInboundV4(spi[k], 50, src, k == 0 ? TestSas.v4("192.0.2.65") : dst, DropListener.NONE);
                    n += sa != null && sa.spi() == spi[k] ? 1 : 0;
                }
                found.addAndGet(n);
                readersDone.countDown();
            });
            reader.start();
            readers.add(reader);
        }
        holder.join();
        for (Thread r : readers) {
            r.join();
        }
        assertTrue(doneUnderLock.get(), "readers did not finish while the writer lock was held");
        assertEquals(2L * perReader, found.get());
        assertEquals(List.of("narrow", "v4 2+2 (2 cells)", "v6 2+2 (3 cells)", "v4 spill (1 cell)",
                "v4 2+2, v6 spill (2 cells)"), Arrays.stream(spi).mapToObj(sad::inboundLayout).toList());
    }
}

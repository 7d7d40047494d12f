package net.poolsa.esp.sad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TestSas;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * The SPI table answers every inbound lookup as the SA's pools themselves do ({@link AddressPool#containsV4},
 * {@link AddressPool#containsV6}: a binary search over the normalised ranges, the oracle), in every layout the
 * table chooses: a narrow cell, 1-4 prefixes a side inline in two to six cells in each fixed format and its
 * mirror (IPv4 prefix lengths 0-32, IPv6 0-64), IPv6 longer than /64 and pools of more ranges in the spill
 * area, the second family of a dual-stack SA spilled beside the inline one, a family missing on one side. Checked after install, after the table shrank and grew again (every entry laid out anew), and
 * with manual SPIs, which probe and may find no room for their cells. Addresses sit on and next to every
 * range edge, where a shift or a length off by one shows. The compact entries of the multihomed SA (IPv4 in one
 * cell, IPv6 in two), which have no SPI word, are also checked against SPIs that share their hash bits. Fixed seed, overridable with -Dpoolsa.seed.
 */
class SpiTableOracleTest {
    static final long SEED = Long.getLong("poolsa.seed", 0x5a7ab1eL);
    /** The SPI table's hash multiplier, and its inverse modulo 2^32: the SPI whose hash is h is h * INVERSE. */
    static final int FIBONACCI = 0x9E3779B9;
    static final int INVERSE = inverse(FIBONACCI);
    static final String COMPACT = "v4 2/32+1 (1 cell)";
    static final String COMPACT_MIRRORED = "v4 1+2/32 (1 cell)";
    static final String COMPACT6 = "v6 2+1 (2 cells)";
    static final String COMPACT6_MIRRORED = "v6 1+2 (2 cells)";
    private static final Set<String> COMPACTS = Set.of(COMPACT, COMPACT_MIRRORED, COMPACT6, COMPACT6_MIRRORED);

    private final Random r = new Random(SEED);
    private DropReason lastDrop;
    private final DropListener recording = (reason, sa) -> lastDrop = reason;

    /** Lookups per layout class: [expected found, expected dropped]. */
    private final Map<String, int[]> outcomes = new TreeMap<>();

    @Test
    void everyLayoutAnswersAsThePoolsDo() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase(r::nextInt);
        List<SecurityAssociation> sas = new ArrayList<>();
        install(sad, sas, 3000);
        Map<String, Integer> layouts = layouts(sad, sas);
        check(sad, sas, 200_000);

        // Shrink (every entry rewritten into a smaller table), check that the removed are gone, grow again.
        List<SecurityAssociation> removed = new ArrayList<>(sas.subList(0, 2600));
        for (SecurityAssociation sa : removed) {
            assertEquals(sa, sad.removeInbound(sa.spi(), sa.protocol()));
        }
        sas.removeAll(removed);
        for (SecurityAssociation sa : removed) {
            lastDrop = null;
            assertEquals(null, sad.lookupInboundV4(sa.spi(), 50, 0, 0, recording));
            assertEquals(DropReason.UNKNOWN_SPI, lastDrop);
        }
        check(sad, sas, 50_000);
        install(sad, sas, 3000);
        layouts(sad, sas).forEach((kind, n) -> layouts.merge(kind, n, Integer::sum));
        check(sad, sas, 200_000);

        // Every layout occurs, and each answered both ways, so that none passes by never being asked; a family
        // missing on one side can only refuse.
        for (String kind : List.of("v4 narrow", "v4 2+2", "v4 4+1", "v4 1+4", "v4 4+4", "v4 spill", "v4 none",
                "v6 1+1", "v6 2+2", "v6 4+1", "v6 1+4", "v6 4+4", "v6 spill", "v6 none",
                "v4 spill beside v6 inline", "v6 spill beside v4 inline")) {
            assertTrue(layouts.getOrDefault(kind, 0) >= 20, "seed " + SEED + ": layout '" + kind + "' "
                    + layouts.getOrDefault(kind, 0) + " times in " + layouts);
            int[] o = outcomes.get(kind);
            assertNotNull(o, kind);
            boolean none = kind.endsWith("none");
            assertTrue((none ? o[0] == 0 : o[0] >= 500) && o[1] >= 500,
                    "seed " + SEED + ": " + kind + " found " + o[0] + ", dropped " + o[1]);
        }
    }

    /**
     * The compact cell (the paper's multihomed SA: two /32s on one side, one prefix on the other, in one cell
     * without an SPI word) answers as the pools do, and only for its own SPI. Thousands of such SAs of both
     * mirrors, ESP and AH, between narrow and 2+2 ones, with allocated SPIs and with manual ones, many chosen at
     * a taken home cell (displaced: they must be written wide; a compact cell there would never be found) or
     * at the cell before a compact SA's home. Each SA is looked up inside and outside its pools against the
     * oracle, with the other protocol and protocol numbers one bit away, in IPv6, and through its hash
     * neighbours: the SPIs at the same home cell with one of the hash bits below it flipped (found if the
     * compare of those bits missed one) and the SPI with the same hash bits whose home is the cell before (its
     * probe passes the compact cell: found if a compact cell matched away from the probe's home). Some expire.
     * Then the table shrinks below 2^14 cells (every entry wide again) and grows (compact again), checked each time.
     */
    @Test
    void compactCellsAnswerAsThePoolsDoAndOnlyForTheirOwnSpi() {
        compactEntriesAnswerAsThePoolsDo(false);
    }

    /**
     * The same for the compact IPv6 entry (two prefixes up to /64 on one side, one on the other, in two cells
     * without an SPI word), with IPv4 lookups refused as outside the pools.
     */
    @Test
    void compactIpv6EntriesAnswerAsThePoolsDoAndOnlyForTheirOwnSpi() {
        compactEntriesAnswerAsThePoolsDo(true);
    }

    private void compactEntriesAnswerAsThePoolsDo(boolean v6) {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase(r::nextInt);
        List<SecurityAssociation> sas = new ArrayList<>();
        Set<SecurityAssociation> expired = new HashSet<>();
        installMultihomed(sad, sas, 9_000, v6);
        int capacity = sad.inboundCapacity();
        assertTrue(capacity >= 1 << 15, "capacity " + capacity);
        installBeforeCompactHomes(sad, sas, 1000);
        assertEquals(capacity, sad.inboundCapacity(), "the neighbours were placed in the table they were chosen for");
        for (SecurityAssociation sa : sas.subList(0, 500)) {
            assertTrue(sa.expire());
            expired.add(sa);
        }
        checkCompact(sad, sas, expired, true, v6);

        // Shrink below the compact minimum: every entry is rewritten wide, the expired ones still expired.
        List<SecurityAssociation> removed = sas.subList(300, sas.size() - 200);
        for (SecurityAssociation sa : removed) {
            assertEquals(sa, sad.removeInbound(sa.spi(), sa.protocol()));
        }
        for (SecurityAssociation sa : removed) {
            lastDrop = null;
            assertNull(sad.lookupInboundV4(sa.spi(), sa.protocol().ipProtocol(), 0, 0, recording));
            assertEquals(DropReason.UNKNOWN_SPI, lastDrop);
        }
        removed.clear();
        assertTrue(sad.inboundCapacity() < 1 << 14, "capacity " + sad.inboundCapacity());
        checkCompact(sad, sas, expired, false, v6);

        // Grow again: the entries at their home cell become compact again.
        installMultihomed(sad, sas, 9_000, v6);
        installBeforeCompactHomes(sad, sas, 1000);
        checkCompact(sad, sas, expired, true, v6);
    }

    /**
     * The compact format is what a table of many multihomed SAs with allocated SPIs uses: each of 20,000 is in
     * one cell at its home, so the table has the size it has for as many narrow SAs (2^16 cells; two cells each
     * would take 2^17), and the layout says so. A silent fallback to the two-cell format fails here.
     */
    @Test
    void multihomedSasTakeOneCellEachInALargeTable() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase(r::nextInt);
        List<SecurityAssociation> sas = new ArrayList<>();
        for (int k = 0; k < 20_000; k++) {
            boolean mirrored = k % 4 == 3;
            AddressPool local = mirrored ? onePrefix() : twoHosts();
            AddressPool remote = mirrored ? twoHosts() : onePrefix();
            SecurityAssociation sa = inbound(sad.allocateSpi(local, remote), local, remote, IpsecProtocol.ESP);
            sad.install(sa);
            sas.add(sa);
        }
        assertEquals(0, sad.inboundDisplaced());
        assertEquals(1 << 16, sad.inboundCapacity());
        for (int k = 0; k < sas.size(); k++) {
            SecurityAssociation sa = sas.get(k);
            assertEquals(k % 4 == 3 ? COMPACT_MIRRORED : COMPACT, sad.inboundLayout(sa.spi()));
            int src = (int) sa.remoteOuter().v4Last(sa.remoteOuter().v4RangeCount() - 1);
            int dst = (int) sa.localOuter().v4Last(sa.localOuter().v4RangeCount() - 1);
            assertEquals(sa, sad.lookupInboundV4(sa.spi(), 50, src, dst, recording));
        }
    }

    /**
     * The IPv6 multihomed SA (two /64s, one peer /64) takes two cells at its home in a large table, where its wide
     * format takes three: 30,000 of them fit 2^17 cells (three cells each would take 2^18), and each removal gives
     * both back.
     */
    @Test
    void ipv6MultihomedSasTakeTwoCellsEachInALargeTable() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase(r::nextInt);
        List<SecurityAssociation> sas = new ArrayList<>();
        for (int k = 0; k < 30_000; k++) {
            boolean mirrored = k % 4 == 3;
            long hi = 0x20010db800000000L | (long) k << 8;
            AddressPool two = AddressPool.parse(v6(hi) + "/64", v6(hi + 2) + "/64");
            AddressPool one = AddressPool.parse(v6(0x20010db8ffff0000L | k & 0xff) + "/64");
            AddressPool local = mirrored ? one : two;
            AddressPool remote = mirrored ? two : one;
            SecurityAssociation sa = inbound(sad.allocateSpi(local, remote), local, remote, IpsecProtocol.ESP);
            sad.install(sa);
            sas.add(sa);
        }
        assertEquals(0, sad.inboundDisplaced());
        assertEquals(1 << 17, sad.inboundCapacity());
        for (int k = 0; k < sas.size(); k++) {
            SecurityAssociation sa = sas.get(k);
            assertEquals(k % 4 == 3 ? COMPACT6_MIRRORED : COMPACT6, sad.inboundLayout(sa.spi()));
            AddressPool in = sa.localOuter();
            AddressPool out = sa.remoteOuter();
            int j = in.v6RangeCount() - 1;
            assertEquals(sa, sad.lookupInboundV6(sa.spi(), 50, out.v6LastHi(0), out.v6LastLo(0), in.v6LastHi(j), in.v6LastLo(j), recording));
        }
        // Removing gives back both cells of each: with all but 100 gone the table shrinks below the compact minimum
        // (a count of one cell per removal would leave it at 2^16 or more), and the rest are found there.
        for (SecurityAssociation sa : sas.subList(100, sas.size())) {
            assertEquals(sa, sad.removeInbound(sa.spi(), sa.protocol()));
        }
        assertTrue(sad.inboundCapacity() < 1 << 14, "capacity " + sad.inboundCapacity());
        for (SecurityAssociation sa : sas.subList(0, 100)) {
            AddressPool in = sa.localOuter();
            AddressPool out = sa.remoteOuter();
            assertEquals(sa, sad.lookupInboundV6(sa.spi(), 50, out.v6FirstHi(0), out.v6FirstLo(0), in.v6FirstHi(0), in.v6FirstLo(0), recording));
        }
    }

    private static String v6(long hi) {
        return IpLiterals.format(IpLiterals.v6ToInet(hi, 0));
    }

    /**
     * Installs {@code n} SAs, most of them multihomed (compact where they land at home in a large table): IPv4, or
     * with {@code v6} IPv6 (two prefixes up to /64 on one side).
     */
    private void installMultihomed(SecurityAssociationDatabase sad, List<SecurityAssociation> sas, int n, boolean v6) {
        Supplier<AddressPool> two = v6 ? this::twoPrefixes6 : this::twoHosts;
        Supplier<AddressPool> one = v6 ? this::onePrefix6 : this::onePrefix;
        for (int k = 0; k < n; k++) {
            int shape = r.nextInt(10);
            AddressPool local;
            AddressPool remote;
            if (shape < 4) {
                local = two.get();
                remote = one.get();
            } else if (shape < 7) {
                local = one.get();
                remote = two.get();
            } else if (shape < 8) { // narrow (IPv6: 1+1)
                local = one.get();
                remote = one.get();
            } else if (shape < 9) { // 2+2
                local = two.get();
                remote = two.get();
            } else if (v6) { // dual-stack: IPv4 inline, IPv6 spilled
                local = AddressPool.builder().addAll(two.get()).addAll(twoHosts()).build();
                remote = AddressPool.builder().addAll(one.get()).addAll(onePrefix()).build();
            } else { // 2+2: a host and a shorter prefix
                long host = r.nextLong() & 0xffffffffL;
                local = AddressPool.builder().addAll(onePrefix()).addV4Range(host, host).build();
                remote = onePrefix();
            }
            IpsecProtocol protocol = r.nextBoolean() ? IpsecProtocol.ESP : IpsecProtocol.AH;
            int spi;
            int how = r.nextInt(3);
            if (how == 0 || sas.isEmpty()) {
                spi = sad.allocateSpi(local, remote);
            } else {
                // Manual: at the home cell of an installed SA (taken: displaced), or anywhere.
                int below = 32 - Integer.numberOfTrailingZeros(sad.inboundCapacity());
                int h = sas.get(r.nextInt(sas.size())).spi() * FIBONACCI;
                do {
                    spi = how == 1 ? (h ^ 1 << r.nextInt(below)) * INVERSE : r.nextInt();
                    h = r.nextInt() * FIBONACCI; // if that one is taken: anywhere
                } while (Integer.compareUnsigned(spi, 256) < 0 || sad.inbound(spi) != null);
            }
            SecurityAssociation sa = inbound(spi, local, remote, protocol);
            sad.install(sa);
            sas.add(sa);
        }
    }

    /**
     * Installs {@code n} SAs whose home is the cell before the home of a compact SA: the probe of an SPI with
     * that SA's hash bits and this home then passes the compact cell.
     */
    private void installBeforeCompactHomes(SecurityAssociationDatabase sad, List<SecurityAssociation> sas, int n) {
        int below = 32 - Integer.numberOfTrailingZeros(sad.inboundCapacity());
        List<SecurityAssociation> compact = new ArrayList<>();
        for (SecurityAssociation sa : sas) {
            if (COMPACTS.contains(sad.inboundLayout(sa.spi()))) {
                compact.add(sa);
            }
        }
        for (int k = 0; k < n; k++) {
            int h = compact.get(r.nextInt(compact.size())).spi() * FIBONACCI;
            int spi = ((h - (1 << below)) ^ 1 << r.nextInt(below)) * INVERSE;
            if (Integer.compareUnsigned(spi, 256) < 0 || sad.inbound(spi) != null) {
                continue;
            }
            boolean multihomed = r.nextBoolean();
            SecurityAssociation sa = inbound(spi, multihomed ? twoHosts() : onePrefix(), onePrefix(), IpsecProtocol.ESP);
            sad.install(sa);
            sas.add(sa);
        }
    }

    /**
     * Every SA against the oracle, its protocol neighbours, the other family and its hash neighbours (see
     * {@link #compactCellsAnswerAsThePoolsDoAndOnlyForTheirOwnSpi}), looked up in IPv4 or with {@code v6} in IPv6;
     * compact entries exactly when {@code large}.
     */
    private void checkCompact(SecurityAssociationDatabase sad, List<SecurityAssociation> sas,
                              Set<SecurityAssociation> expired, boolean large, boolean v6) {
        String compactName = v6 ? COMPACT6 : COMPACT;
        String mirroredName = v6 ? COMPACT6_MIRRORED : COMPACT_MIRRORED;
        int below = 32 - Integer.numberOfTrailingZeros(sad.inboundCapacity());
        Map<String, Integer> layouts = new TreeMap<>();
        int hits = 0;
        for (SecurityAssociation sa : sas) {
            String layout = sad.inboundLayout(sa.spi());
            assertNotNull(layout, () -> "seed " + SEED + ": not found by its SPI: " + sa);
            boolean compact = COMPACTS.contains(layout);
            boolean multihomed = SlotLayout.compact(sa.localOuter(), sa.remoteOuter()) != null;
            layouts.merge(multihomed ? (compact ? layout : "multihomed, wide") : "other", 1, Integer::sum);
            assertFalse(compact && (!large || !multihomed), () -> layout + " for " + sa);
            assertEquals(sa, sad.inbound(sa.spi()));
            int p = sa.protocol().ipProtocol();
            for (int k = 0; k < 8; k++) {
                long[] src = v6 ? nearV6(sa.remoteOuter()) : new long[] {nearV4(sa.remoteOuter())};
                long[] dst = v6 ? nearV6(sa.localOuter()) : new long[] {nearV4(sa.localOuter())};
                boolean inside = v6 ? sa.remoteOuter().containsV6(src[0], src[1]) && sa.localOuter().containsV6(dst[0], dst[1])
                        : sa.remoteOuter().containsV4((int) src[0]) && sa.localOuter().containsV4((int) dst[0]);
                boolean found = inside && !expired.contains(sa);
                Supplier<String> what = () -> "seed " + SEED + ", " + layout + ": " + sa + ", packet "
                        + text(src) + " -> " + text(dst);
                lastDrop = null;
                assertEquals(found ? sa : null, lookup(sad, sa.spi(), p, src, dst), what);
                assertEquals(found ? null : inside ? DropReason.SA_EXPIRED : DropReason.POOL_MISMATCH, lastDrop, what);
                if (!inside) {
                    continue;
                }
                hits++;
                for (int bit = 0; bit < 9; bit++) { // AH or ESP for the other, then one bit away from either
                    lastDrop = null;
                    assertNull(lookup(sad, sa.spi(), p ^ 1 << bit, src, dst), what);
                    assertEquals(DropReason.UNKNOWN_SPI, lastDrop, what);
                }
                int h = sa.spi() * FIBONACCI;
                for (int bit = 0; bit <= below; bit++) {
                    // Same home, one hash bit below it flipped; then (bit == below) same hash bits, home one before.
                    int other = (bit < below ? h ^ 1 << bit : h - (1 << below)) * INVERSE;
                    SecurityAssociation installed = sad.inbound(other);
                    assertTrue(installed == null || installed.spi() == other, () -> what.get() + ": SPI " + other + " gave " + installed);
                    lastDrop = null;
                    SecurityAssociation got = lookup(sad, other, p, src, dst);
                    assertTrue(got == null || got == installed, () -> what.get() + ": SPI " + other + " gave " + got);
                    if (installed == null) {
                        assertEquals(DropReason.UNKNOWN_SPI, lastDrop, what);
                    }
                    if (bit < below) {
                        // The flipped hash bit sits at bit 32 - below + bit of the state word; a protocol number
                        // that differs from the SA's at that bit - 8 must not make up for it (114 = 50 ^ 1 << 6).
                        int q = p ^ 1 << (32 - below + bit - 8);
                        SecurityAssociation otherProtocol = lookup(sad, other, q, src, dst);
                        assertTrue(otherProtocol == null || otherProtocol == installed, () -> what.get() + ": SPI " + other
                                + ", protocol " + q + " gave " + otherProtocol);
                    }
                }
            }
            lastDrop = null;
            if (v6 && sa.localOuter().v4RangeCount() == 0) { // the other family (a dual-stack SA has both)
                assertNull(sad.lookupInboundV4(sa.spi(), p, 0xc6336401, 0xc0000201, recording));
                assertEquals(DropReason.POOL_MISMATCH, lastDrop, layout);
            } else if (!v6) {
                assertNull(sad.lookupInboundV6(sa.spi(), p, 0x20010db800000000L, 1, 0x20010db800000000L, 2, recording));
                assertEquals(DropReason.POOL_MISMATCH, lastDrop, layout);
            }
        }
        int compact = layouts.getOrDefault(compactName, 0);
        int mirrored = layouts.getOrDefault(mirroredName, 0);
        int wide = layouts.getOrDefault("multihomed, wide", 0);
        String counts = "seed " + SEED + ": " + layouts + ", " + hits + " hits";
        assertTrue(hits > sas.size() / 2, counts);
        if (large) {
            // Multihomed SAs compact, both mirrors; the displaced ones (a third of all SAs have manual SPIs at a
            // taken home cell, a third at a random one) wide, and found above all the same.
            assertTrue(compact > 1000 && mirrored > 1000 && wide >= 50 && wide < compact + mirrored, counts);
        } else {
            assertTrue(compact + mirrored == 0 && wide > 50, counts);
        }
    }

    /** The SAD's lookup of a packet of one family: IPv4 addresses as {address}, IPv6 as {hi, lo}. */
    private SecurityAssociation lookup(SecurityAssociationDatabase sad, int spi, int protocol, long[] src, long[] dst) {
        return src.length == 1 ? sad.lookupInboundV4(spi, protocol, (int) src[0], (int) dst[0], recording)
                : sad.lookupInboundV6(spi, protocol, src[0], src[1], dst[0], dst[1], recording);
    }

    private static SecurityAssociation inbound(int spi, AddressPool local, AddressPool remote, IpsecProtocol protocol) {
        return SecurityAssociation.builder().spi(spi).protocol(protocol).direction(Direction.INBOUND).reqid(1)
                .localOuter(local).remoteOuter(remote)
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(TestSas.keys()).build();
    }

    /** Two IPv4 hosts that are not one prefix: random, or consecutive across a /31 boundary. */
    private AddressPool twoHosts() {
        long a = r.nextLong() & 0xfffffffdL | 1; // odd, below 2^32 - 2
        long b = r.nextInt(8) == 0 ? a + 1 : r.nextLong() & 0xffffffffL;
        if ((a ^ b) <= 1) { // one /31 (or one address)
            b = a + 1;
        }
        return AddressPool.builder().addV4Range(a, a).addV4Range(b, b).build();
    }

    /** One IPv4 prefix of length 1-32. */
    private AddressPool onePrefix() {
        int len = 1 + r.nextInt(32);
        long size = 1L << (32 - len);
        long net = (r.nextLong() & 0xffffffffL) & ~(size - 1);
        return AddressPool.builder().addV4Range(net, net + size - 1).build();
    }

    /**
     * Two IPv6 prefixes of length 1-64 (mostly 33-64) that are not one prefix together: random, or adjacent ones
     * that a pool does not merge into one (a /64 and the next /64 across a /63 boundary).
     */
    private AddressPool twoPrefixes6() {
        while (true) {
            AddressPool a = onePrefix6();
            AddressPool b = r.nextInt(8) == 0 ? adjacent6(a) : onePrefix6();
            AddressPool pool = AddressPool.builder().addAll(a).addAll(b).build();
            if (SlotLayout.compact(pool, onePrefix6()) != null) {
                return pool;
            }
        }
    }

    /** The /64 after the last /64 of {@code a}. */
    private static AddressPool adjacent6(AddressPool a) {
        long hi = a.v6LastHi(0) + 1;
        return AddressPool.builder().add(IpLiterals.format(IpLiterals.v6ToInet(hi, 0)) + "/64").build();
    }

    /** One IPv6 prefix of length 1-64, mostly 33-64, inside 2001:db8::/32 from /32 on. */
    private AddressPool onePrefix6() {
        int len = r.nextInt(8) == 0 ? 1 + r.nextInt(64) : 33 + r.nextInt(32);
        long hi = 0x20010db800000000L | (r.nextLong() & 0xffffffffL);
        hi = len == 64 ? hi : hi & (-1L << (64 - len));
        return AddressPool.builder().add(IpLiterals.format(IpLiterals.v6ToInet(hi, 0)) + "/" + len).build();
    }

    private static int inverse(int k) {
        int x = k; // Newton's iteration doubles the correct low bits: 3, 6, 12, 24, 48
        for (int j = 0; j < 4; j++) {
            x *= 2 - k * x;
        }
        return x;
    }

    /**
     * Each format at its fullest, mirrored where it has a mirror, and with the other family spilled beside it:
     * every prefix is found through its first and last address and refused just outside, so that no two
     * prefixes, shift fields or the spill offset share a word.
     */
    @Test
    void everyPrefixOfEveryFullFormatIsFound() {
        String four4 = "192.0.2.0/27, 192.0.2.64/28, 198.51.100.0/29, 203.0.113.128/25";
        String four6 = "2001:db8:1::/48, 2001:db8:2:8000::/49, 2001:db8:3:4::/64, 2001:db8:8000::/33";
        String[][] pairs = {
            {four4, "203.0.113.7"}, {"203.0.113.7", four4}, {four4, "198.51.100.200/29, 192.0.2.160/27, 203.0.113.1, 192.0.2.96/30"},
            {"192.0.2.16/28, 198.51.100.5", "203.0.113.64/26, 198.51.100.128/31"},
            {four6, "2001:db8:ffff::/64"}, {"2001:db8:ffff::/64", four6}, {four6, "2001:db8:a::/64, 2001:db8:b::/56, 2001:db8:c::/50, 2001:db8:d::/64"},
            {"2001:db8:e::/64", "2001:db8:f::/52"}, {"2001:db8:e::/64, 2001:db8:1e::/60", "2001:db8:f::/52, 2001:db8:f0::/48"},
        };
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase(r::nextInt);
        Set<String> layoutsSeen = new HashSet<>();
        for (String[] pair : pairs) {
            for (String other : new String[] {null, "v4", "v6"}) {
                String local = pair[0];
                String remote = pair[1];
                if ("v4".equals(other)) { // five ranges: too many to inline, so the IPv6 pair is the inline one
                    local += ", 192.0.2.240, 192.0.2.242, 192.0.2.244, 192.0.2.246, 192.0.2.248";
                    remote += ", 198.51.100.250";
                } else if ("v6".equals(other)) {
                    local += ", 2001:db8:9::1";
                    remote += ", 2001:db8:9::2";
                }
                AddressPool lp = AddressPool.parse(local);
                AddressPool rp = AddressPool.parse(remote);
                SecurityAssociation sa = SecurityAssociation.builder().spi(sad.allocateSpi(lp, rp)).direction(Direction.INBOUND)
                        .reqid(1).localOuter(lp).remoteOuter(rp)
                        .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(TestSas.keys()).build();
                sad.install(sa);
                layoutsSeen.add(sad.inboundLayout(sa.spi()));
                everyEdge(sad, sa, lp, rp);
                everyEdge(sad, sa, rp, lp);
            }
        }
        assertTrue(layoutsSeen.containsAll(List.of("v4 2+2 (2 cells)", "v4 4+1 (2 cells)", "v4 1+4 (2 cells)",
                "v4 4+4 (3 cells)", "v4 2+2, v6 spill (2 cells)", "v4 4+1, v6 spill (3 cells)", "v4 1+4, v6 spill (3 cells)",
                "v4 4+4, v6 spill (4 cells)", "v6 1+1 (2 cells)", "v6 2+2 (3 cells)", "v6 4+1 (4 cells)", "v6 1+4 (4 cells)",
                "v6 4+4 (6 cells)", "v6 1+1, v4 spill (2 cells)", "v6 2+2, v4 spill (4 cells)", "v6 4+1, v4 spill (4 cells)",
                "v6 1+4, v4 spill (4 cells)", "v6 4+4, v4 spill (6 cells)")), layoutsSeen.toString());
    }

    /**
     * A one-cell spill entry in the last cell of the table is checked without reading past the array (the
     * inline checks read the word after the head cell, which the last cell does not have): found inside its
     * pools, POOL_MISMATCH outside, in both families, and the other family's lookup refuses.
     */
    @Test
    void spillEntryInTheLastCellOfTheTable() {
        String[][] pools = {{"192.0.2.1, 192.0.2.3, 192.0.2.5, 192.0.2.7, 192.0.2.9", "198.51.100.0/24"},
            {"2001:db8:a::1, 2001:db8:b::1", "2001:db8:c::9"}};
        for (String[] pool : pools) {
            SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
            int spi = 0x1000;
            while ((spi * 0x9E3779B9) >>> 28 != 15) { // home in cell 15 of the initial 16-cell table
                spi++;
            }
            SecurityAssociation sa = TestSas.inbound(spi, pool[0], pool[1]);
            sad.install(sa);
            boolean v6 = pool[0].contains(":");
            assertEquals(v6 ? "v6 spill (1 cell)" : "v4 spill (1 cell)", sad.inboundLayout(spi));
            long srcHi = IpLiterals.v6hi(IpLiterals.parse("2001:db8:c::9"));
            long dstHi = IpLiterals.v6hi(IpLiterals.parse("2001:db8:b::1"));
            int src = TestSas.v4("198.51.100.7");
            for (boolean inside : new boolean[] {true, false}) {
                lastDrop = null;
                SecurityAssociation got = v6
                        ? sad.lookupInboundV6(spi, 50, srcHi, 9, dstHi, inside ? 1 : 2, recording)
                        : sad.lookupInboundV4(spi, 50, src, TestSas.v4(inside ? "192.0.2.9" : "192.0.2.8"), recording);
                assertEquals(inside ? sa : null, got);
                assertEquals(inside ? null : DropReason.POOL_MISMATCH, lastDrop);
            }
            lastDrop = null;
            SecurityAssociation other = v6 ? sad.lookupInboundV4(spi, 50, src, TestSas.v4("192.0.2.9"), recording)
                    : sad.lookupInboundV6(spi, 50, srcHi, 9, dstHi, 1, recording);
            assertEquals(null, other);
            assertEquals(DropReason.POOL_MISMATCH, lastDrop);
        }
    }

    /** Looks up the first and last address of every range of {@code varied}, and its neighbours, with the other side fixed inside. */
    private void everyEdge(SecurityAssociationDatabase sad, SecurityAssociation sa, AddressPool varied, AddressPool fixed) {
        boolean variedIsLocal = varied == sa.localOuter();
        for (int j = 0; j < varied.v4RangeCount(); j++) {
            int inside = (int) fixed.v4First(0);
            for (long a : new long[] {varied.v4First(j) - 1, varied.v4First(j), varied.v4Last(j), varied.v4Last(j) + 1}) {
                int x = (int) a;
                boolean expected = varied.containsV4(x) && fixed.v4RangeCount() > 0;
                SecurityAssociation got = variedIsLocal ? sad.lookupInboundV4(sa.spi(), 50, inside, x, recording)
                        : sad.lookupInboundV4(sa.spi(), 50, x, inside, recording);
                assertEquals(expected, got == sa, () -> sad.inboundLayout(sa.spi()) + ": " + IpLiterals.v4ToString(x));
            }
        }
        for (int j = 0; j < varied.v6RangeCount(); j++) {
            long[] inside = {fixed.v6FirstHi(0), fixed.v6FirstLo(0)};
            long fh = varied.v6FirstHi(j);
            long fl = varied.v6FirstLo(j);
            long lh = varied.v6LastHi(j);
            long ll = varied.v6LastLo(j);
            long[][] probes = {{fl == 0 ? fh - 1 : fh, fl - 1}, {fh, fl}, {lh, ll}, {ll == -1L ? lh + 1 : lh, ll + 1}};
            for (long[] x : probes) {
                boolean expected = varied.containsV6(x[0], x[1]);
                SecurityAssociation got = variedIsLocal
                        ? sad.lookupInboundV6(sa.spi(), 50, inside[0], inside[1], x[0], x[1], recording)
                        : sad.lookupInboundV6(sa.spi(), 50, x[0], x[1], inside[0], inside[1], recording);
                assertEquals(expected, got == sa, () -> sad.inboundLayout(sa.spi()) + ": " + text(x));
            }
        }
    }

    /** An expired SA is refused for its own addresses (SA_EXPIRED) and still for others (POOL_MISMATCH). */
    @Test
    void expiryIsReportedAfterThePoolCheckInEveryLayout() {
        SecurityAssociationDatabase sad = new SecurityAssociationDatabase(r::nextInt);
        List<SecurityAssociation> sas = new ArrayList<>();
        install(sad, sas, 400);
        for (SecurityAssociation sa : sas) {
            sa.expire();
        }
        int expired = 0;
        for (int k = 0; k < 20_000; k++) {
            SecurityAssociation sa = sas.get(r.nextInt(sas.size()));
            boolean v6 = sa.localOuter().hasV6() && sa.remoteOuter().hasV6() && (!sa.localOuter().hasV4() || r.nextBoolean());
            lastDrop = null;
            boolean expected = lookup(sad, sa, v6);
            assertEquals(expected ? DropReason.SA_EXPIRED : DropReason.POOL_MISMATCH, lastDrop, sad.inboundLayout(sa.spi()));
            if (expected) {
                expired++;
            }
        }
        assertTrue(expired > 4000, "SA_EXPIRED for matching addresses: " + expired);
    }

    /** Looks up a packet near the SA's pools, asserts that nothing is returned, and says what the oracle expects. */
    private boolean lookup(SecurityAssociationDatabase sad, SecurityAssociation sa, boolean v6) {
        if (!v6) {
            int src = nearV4(sa.remoteOuter());
            int dst = nearV4(sa.localOuter());
            assertEquals(null, sad.lookupInboundV4(sa.spi(), 50, src, dst, recording));
            return sa.remoteOuter().containsV4(src) && sa.localOuter().containsV4(dst);
        }
        long[] src = nearV6(sa.remoteOuter());
        long[] dst = nearV6(sa.localOuter());
        assertEquals(null, sad.lookupInboundV6(sa.spi(), 50, src[0], src[1], dst[0], dst[1], recording));
        return sa.remoteOuter().containsV6(src[0], src[1]) && sa.localOuter().containsV6(dst[0], dst[1]);
    }

    private void install(SecurityAssociationDatabase sad, List<SecurityAssociation> sas, int n) {
        Set<Integer> manual = new HashSet<>();
        for (int k = 0; k < n; k++) {
            // Half the pairs of pools are of the same kind, so that wide entries of both families occur often.
            int shape = r.nextInt(10);
            AddressPool local = randomPool(shape);
            AddressPool remote = randomPool(r.nextBoolean() ? shape : r.nextInt(10));
            int spi;
            if (r.nextInt(3) == 0) {
                // Manual keying: an SPI the table did not choose, which may probe or lack room for its cells.
                do {
                    spi = 0x100 + r.nextInt(1 << 20);
                } while (sad.inbound(spi) != null || !manual.add(spi));
            } else {
                spi = sad.allocateSpi(local, remote);
            }
            SecurityAssociation sa = SecurityAssociation.builder().spi(spi).direction(Direction.INBOUND).reqid(1)
                    .localOuter(local).remoteOuter(remote)
                    .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(TestSas.keys()).build();
            sad.install(sa);
            sas.add(sa);
        }
    }

    private void check(SecurityAssociationDatabase sad, List<SecurityAssociation> sas, int probes) {
        for (int k = 0; k < probes; k++) {
            SecurityAssociation sa = sas.get(r.nextInt(sas.size()));
            boolean v6 = r.nextBoolean();
            boolean expected;
            SecurityAssociation got;
            long[] src;
            long[] dst;
            lastDrop = null;
            if (!v6) {
                src = new long[] {nearV4(sa.remoteOuter())};
                dst = new long[] {nearV4(sa.localOuter())};
                int s4 = (int) src[0];
                int d4 = (int) dst[0];
                expected = sa.remoteOuter().containsV4(s4) && sa.localOuter().containsV4(d4);
                got = sad.lookupInboundV4(sa.spi(), 50, s4, d4, recording);
            } else {
                src = nearV6(sa.remoteOuter());
                dst = nearV6(sa.localOuter());
                expected = sa.remoteOuter().containsV6(src[0], src[1]) && sa.localOuter().containsV6(dst[0], dst[1]);
                got = sad.lookupInboundV6(sa.spi(), 50, src[0], src[1], dst[0], dst[1], recording);
            }
            String layout = sad.inboundLayout(sa.spi());
            Supplier<String> what = () -> "seed " + SEED + ", " + layout + ": remote " + sa.remoteOuter()
                    + ", local " + sa.localOuter() + ", packet " + text(src) + " -> " + text(dst);
            assertEquals(expected, got == sa, what);
            assertEquals(expected ? null : DropReason.POOL_MISMATCH, lastDrop, what);
            for (String kind : kinds(layout, v6)) {
                outcomes.computeIfAbsent(kind, x -> new int[2])[expected ? 0 : 1]++;
            }
        }
    }

    private static Map<String, Integer> layouts(SecurityAssociationDatabase sad, List<SecurityAssociation> sas) {
        Map<String, Integer> n = new TreeMap<>();
        for (SecurityAssociation sa : sas) {
            for (String kind : kinds(sad.inboundLayout(sa.spi()), false)) {
                n.merge(kind, 1, Integer::sum);
            }
            for (String kind : kinds(sad.inboundLayout(sa.spi()), true)) {
                n.merge(kind, 1, Integer::sum);
            }
        }
        return n;
    }

    /**
     * The classes a lookup of one family falls in, from {@code SpiTable.layoutOf}'s text: the format that holds
     * that family ("v4 narrow", "v4 2+2", "v4 4+1", "v4 1+4", "v4 4+4", "v6 1+1", "v6 2+2", "v6 4+1", "v6 1+4",
     * "v6 4+4", "v4 spill",
     * "v6 spill", or "v4 none"/"v6 none" when one side lacks the family), and "v4 spill beside v6 inline" or
     * the reverse for a dual-stack SA.
     */
    private static List<String> kinds(String layout, boolean v6) {
        String family = v6 ? "v6" : "v4";
        String other = v6 ? "v4" : "v6";
        if (layout.equals("narrow")) {
            return List.of(family + (v6 ? " none" : " narrow"));
        }
        if (layout.equals(COMPACT) || layout.equals(COMPACT_MIRRORED)) {
            return List.of(family + (v6 ? " none" : " compact"));
        }
        List<String> kinds = new ArrayList<>();
        String inline = layout.matches("v[46] [124]\\+[124].*") ? layout.substring(0, 6) : null;
        if (inline != null && inline.startsWith(family)) {
            kinds.add(inline);
        } else if (layout.contains(family + " spill")) {
            kinds.add(family + " spill");
            if (inline != null) {
                kinds.add(family + " spill beside " + other + " inline");
            }
        } else {
            kinds.add(family + " none");
        }
        return kinds;
    }

    /** A pool of 1-4 ranges mostly (some of 5-7): prefixes of every length, ranges, either family or both. */
    private AddressPool randomPool(int shape) {
        AddressPool.Builder b = AddressPool.builder();
        int n4 = shape < 3 ? 1 + r.nextInt(4) : shape < 6 ? 0 : shape < 8 ? 1 + r.nextInt(2) : 5 + r.nextInt(3);
        int n6 = shape < 3 ? 0 : shape < 5 ? 1 + r.nextInt(4) : shape < 6 ? 3 + r.nextInt(2) : shape < 8 ? 1 + r.nextInt(2) : r.nextInt(2);
        if (shape == 9) {
            n4 = 0;
            n6 = 5 + r.nextInt(3);
        }
        for (int j = 0; j < n4; j++) {
            if (r.nextInt(5) == 0) { // a range, usually not a prefix
                long first = r.nextLong() & 0xffffffffL;
                b.addV4Range(first, Math.min(0xffffffffL, first + r.nextInt(1 << 12)));
            } else {
                int len = r.nextInt(40) == 0 ? 0 : 1 + r.nextInt(32);
                long size = 1L << (32 - len);
                long net = (r.nextLong() & 0xffffffffL) & ~(size - 1);
                b.addV4Range(net, net + size - 1);
            }
        }
        for (int j = 0; j < n6; j++) {
            // Mostly inline lengths (<= 64), some longer: those pools go to the spill area.
            // Shape 5 keeps to lengths 33-64, so that its 3-4 prefixes rarely merge (4+4 formats).
            int len = shape == 5 ? 33 + r.nextInt(32)
                    : r.nextInt(40) == 0 ? 0 : r.nextInt(8) == 0 ? 65 + r.nextInt(64) : 1 + r.nextInt(64);
            long hi = 0x20010db800000000L | (r.nextLong() & 0xffffffffL);
            long lo = r.nextLong();
            hi = len >= 64 ? hi : len == 0 ? 0 : hi & (-1L << (64 - len));
            lo = len >= 128 ? lo : len <= 64 ? 0 : lo & (-1L << (128 - len));
            b.add(IpLiterals.format(IpLiterals.v6ToInet(hi, lo)) + "/" + len);
        }
        if (n4 == 0 && n6 == 0) {
            b.add("192.0.2.1");
        }
        return b.build();
    }

    /** An IPv4 address on or next to an edge of one of the pool's ranges (or of a foreign one), or random. */
    private int nearV4(AddressPool pool) {
        if (pool.v4RangeCount() == 0 || r.nextInt(10) == 0) {
            return r.nextInt();
        }
        int j = r.nextInt(pool.v4RangeCount());
        long edge = r.nextBoolean() ? pool.v4First(j) : pool.v4Last(j);
        return (int) (edge + r.nextInt(3) - 1);
    }

    /**
     * An IPv6 address as {hi, lo}: on or next to a range edge, on either side of the /64 boundary there (what
     * an inline check compares), or random.
     */
    private long[] nearV6(AddressPool pool) {
        if (pool.v6RangeCount() == 0 || r.nextInt(10) == 0) {
            return new long[] {0x20010db800000000L | (r.nextLong() & 0xffffffffL), r.nextLong()};
        }
        int j = r.nextInt(pool.v6RangeCount());
        boolean first = r.nextBoolean();
        long hi = first ? pool.v6FirstHi(j) : pool.v6LastHi(j);
        long lo = first ? pool.v6FirstLo(j) : pool.v6LastLo(j);
        switch (r.nextInt(4)) {
            case 0: // the edge itself
                return new long[] {hi, lo};
            case 1: // one address beyond it
                return first ? new long[] {lo == 0 ? hi - 1 : hi, lo - 1} : new long[] {lo == -1L ? hi + 1 : hi, lo + 1};
            case 2: // inside the edge's /64, any interface identifier
                return new long[] {hi, r.nextLong()};
            default: // the neighbouring /64
                return new long[] {first ? hi - 1 : hi + 1, r.nextLong()};
        }
    }

    private static String text(long[] a) {
        return a.length == 1 ? IpLiterals.v4ToString((int) a[0]) : IpLiterals.format(IpLiterals.v6ToInet(a[0], a[1]));
    }
}

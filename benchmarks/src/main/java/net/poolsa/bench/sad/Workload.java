package net.poolsa.bench.sad;

import java.util.Random;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.SaKeys;

/**
 * The address layout of one benchmark case. Addresses are numbers only: nothing is sent anywhere.
 *
 * <p>A pool of {@code n} addresses is one aligned prefix ("prefix") or {@code min(n, k)} equal prefixes with
 * gaps between them: k = 16 ("scattered", the binary search over several ranges that the paper's
 * [network, mask] list needs), k = 2 ("scattered2", the paper's multihomed host: one address or prefix in
 * each of two networks) or k = 4 ("scattered4", a gateway with four uplinks). The "v6-" shapes are the same
 * in IPv6, counting /64 networks instead of addresses (the SPI table holds IPv6 prefixes up to /64 inline):
 * a pool of 2 is two /64s; the peer's pool is one /64. The baselines and the outbound benchmark are IPv4 only.
 */
final class Workload {
    static final int SPI_BASE = 0x10000;
    static final long INBOUND_BASE = 0x20000000L;
    static final long OUTBOUND_BASE = 0x01000000L;
    static final long REMOTE_BASE = 0xC6336400L;
    /** Top 64 bits of the first local /64 of the IPv6 shapes (2001:db8::/64, and up from there). */
    static final long INBOUND_BASE_V6 = 0x20010db800000000L;
    /** Top 64 bits of the peers' /64s (2001:db8:ffff:0::/64 - 2001:db8:ffff:ff::/64). */
    static final long REMOTE_BASE_V6 = 0x20010db8ffff0000L;
    /** Baselines store one object per address: cases above this many are reported as skipped. */
    static final long MAX_BASELINE_ENTRIES = 1L << 23;

    final int addresses;
    final int maxPieces;
    final boolean v6;
    final int sas;

    Workload(int addresses, String shape, int sas) {
        this.addresses = addresses;
        this.sas = sas;
        this.v6 = shape.startsWith("v6-");
        switch (v6 ? shape.substring(3) : shape) {
            case "prefix" -> maxPieces = 1;
            case "scattered" -> maxPieces = 16;
            case "scattered2" -> maxPieces = 2;
            case "scattered4" -> maxPieces = 4;
            default -> throw new IllegalArgumentException(
                    "shape is [v6-]prefix, [v6-]scattered, [v6-]scattered2 or [v6-]scattered4, not " + shape);
        }
    }

    int pieces() {
        return Math.min(addresses, maxPieces);
    }

    long span() {
        return pieces() > 1 ? 2L * addresses : addresses;
    }

    /**
     * (first, last) pairs of pool {@code i}, starting at {@code base}: IPv4 addresses, wrapping modulo 2^32,
     * or for the IPv6 shapes the top 64 bits of /64 networks.
     */
    long[] ranges(long base, int i) {
        int k = pieces();
        long piece = addresses / k;
        long start = base + (long) i * span();
        long[] r = new long[2 * k];
        for (int j = 0; j < k; j++) {
            long first = start + j * (k > 1 ? 2 * piece : piece);
            r[2 * j] = v6 ? first : first & 0xffffffffL;
            r[2 * j + 1] = r[2 * j] + piece - 1;
        }
        return r;
    }

    /** Our pool of inbound SA {@code i}. */
    AddressPool localPool(int i) {
        return v6 ? v6Pool(ranges(INBOUND_BASE_V6, i)) : pool(ranges(INBOUND_BASE, i));
    }

    /** The peer's pool of inbound SA {@code i}: one address (IPv4) or one /64 (IPv6). */
    AddressPool remotePool(int i) {
        return v6 ? v6Pool(single(remoteV6(i))) : pool(single(remote(i)));
    }

    static AddressPool pool(long[] ranges) {
        AddressPool.Builder b = AddressPool.builder();
        for (int j = 0; j < ranges.length; j += 2) {
            b.addV4Range(ranges[j], ranges[j + 1]);
        }
        return b.build();
    }

    /** A pool of the /64 networks whose top 64 bits are in the (first, last) pairs. */
    static AddressPool v6Pool(long[] ranges) {
        AddressPool.Builder b = AddressPool.builder();
        for (int j = 0; j < ranges.length; j += 2) {
            b.add(IpLiterals.format(IpLiterals.v6ToInet(ranges[j], 0)) + "-"
                    + IpLiterals.format(IpLiterals.v6ToInet(ranges[j + 1], -1L)));
        }
        return b.build();
    }

    static long[] single(long address) {
        return new long[] {address, address};
    }

    long remote(int i) {
        return REMOTE_BASE + (i & 0xff);
    }

    long remoteV6(int i) {
        return REMOTE_BASE_V6 + (i & 0xff);
    }

    /** Whether outbound pools of all policies fit disjoint in the IPv4 space. */
    boolean outboundFits() {
        return OUTBOUND_BASE + (long) sas * span() <= 0xffffffffL;
    }

    boolean baselineFits() {
        return (long) addresses * sas <= MAX_BASELINE_ENTRIES;
    }

    static SaKeys keys(int i) {
        byte[] k = new byte[20];
        k[0] = (byte) i;
        return new SaKeys("aes-gcm-16", k, "none", null);
    }

    /** A random element of pool {@code i}: an IPv4 address, or the top 64 bits of one of its /64s. */
    long randomElement(Random r, long base, int i) {
        long[] rs = ranges(base, i);
        int j = r.nextInt(rs.length / 2);
        long piece = rs[2 * j + 1] - rs[2 * j] + 1;
        return rs[2 * j] + (long) (r.nextDouble() * piece);
    }

    /** A random IPv4 address inside pool {@code i}. */
    int randomAddress(Random r, long base, int i) {
        return (int) randomElement(r, base, i);
    }
}

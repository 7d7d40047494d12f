package net.poolsa.bench.sad;

import java.util.Random;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.SaKeys;

/**
 * The address layout of one benchmark case. Addresses are numbers only: nothing is sent anywhere.
 *
 * <p>A pool of {@code n} addresses is either one aligned prefix ("prefix") or {@code min(n, 16)} equal
 * prefixes with gaps between them ("scattered"), so that the scattered case exercises the binary search
 * over several ranges that the paper's [network, mask] list needs.
 */
final class Workload {
    static final int SPI_BASE = 0x10000;
    static final long INBOUND_BASE = 0x20000000L;
    static final long OUTBOUND_BASE = 0x01000000L;
    static final long REMOTE_BASE = 0xC6336400L;
    /** Baselines store one object per address: cases above this many are reported as skipped. */
    static final long MAX_BASELINE_ENTRIES = 1L << 23;

    final int addresses;
    final boolean scattered;
    final int sas;

    Workload(int addresses, String shape, int sas) {
        this.addresses = addresses;
        this.scattered = "scattered".equals(shape);
        this.sas = sas;
        if (!scattered && !"prefix".equals(shape)) {
            throw new IllegalArgumentException("shape is prefix or scattered, not " + shape);
        }
    }

    int pieces() {
        return scattered ? Math.min(addresses, 16) : 1;
    }

    long span() {
        return scattered && pieces() > 1 ? 2L * addresses : addresses;
    }

    /** (first, last) pairs of pool {@code i}, starting at {@code base}; wraps modulo 2^32 for inbound. */
    long[] ranges(long base, int i) {
        int k = pieces();
        long piece = addresses / k;
        long start = (base + (long) i * span()) & 0xffffffffL;
        long[] r = new long[2 * k];
        for (int j = 0; j < k; j++) {
            long first = (start + j * (k > 1 ? 2 * piece : piece)) & 0xffffffffL;
            r[2 * j] = first;
            r[2 * j + 1] = first + piece - 1;
        }
        return r;
    }

    static AddressPool pool(long[] ranges) {
        AddressPool.Builder b = AddressPool.builder();
        for (int j = 0; j < ranges.length; j += 2) {
            b.addV4Range(ranges[j], ranges[j + 1]);
        }
        return b.build();
    }

    static long[] single(long address) {
        return new long[] {address, address};
    }

    long remote(int i) {
        return REMOTE_BASE + (i & 0xff);
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

    /** A random address inside pool {@code i}. */
    int randomAddress(Random r, long base, int i) {
        long[] rs = ranges(base, i);
        int j = r.nextInt(rs.length / 2);
        long piece = rs[2 * j + 1] - rs[2 * j] + 1;
        return (int) (rs[2 * j] + (long) (r.nextDouble() * piece));
    }
}

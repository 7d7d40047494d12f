package net.poolsa.esp.sa;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A set of IPv4 and IPv6 addresses held as sorted, disjoint, merged ranges: the paper's list of
 * [network, mask] pairs (section 3.2, Fig. 9), generalised to the address ranges IKE can carry
 * (ID_IPV4_ADDR_RANGE). Membership is a binary search over primitive arrays: O(log n), no allocation,
 * and the memory of a pool depends on how many ranges it has, never on how many addresses they cover.
 *
 * <p>Equality is by the set of addresses covered, so "192.0.2.0/25, 192.0.2.128/25" equals "192.0.2.0/24".
 * Instances are immutable and safe to share between threads.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554">RFC 3554</a> (the list-of-addresses SA this replaces)
 */
public final class AddressPool {
    private static final BigInteger V4_MAX = BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE);
    private static final BigInteger V6_MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private static final BigInteger LONG_MASK = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    public static final AddressPool EMPTY = new AddressPool(new int[0], new long[0]);
    public static final AddressPool ANY_V4 = parse("0.0.0.0/0");
    public static final AddressPool ANY_V6 = parse("::/0");
    public static final AddressPool ANY = ANY_V4.union(ANY_V6);

    // IPv4 ranges as (first, last) pairs in one array, so one range costs one cache line; bounds are stored
    // with the sign bit flipped so that a signed int compare orders them unsigned.
    private final int[] v4;
    // IPv6 ranges, four longs each: firstHi, firstLo, lastHi, lastLo.
    private final long[] v6;

    private AddressPool(int[] v4, long[] v6) {
        this.v4 = v4;
        this.v6 = v6;
    }

    /**
     * Parses pool entries. Each is a prefix ("192.0.2.64/26", "2001:db8::/48"), a prefix with a dotted
     * netmask ("192.0.2.64/255.255.255.192"), a range ("192.0.2.10-192.0.2.20") or a single address.
     * Host bits set under the mask, a non-contiguous netmask or a reversed range are errors naming the value.
     */
    public static AddressPool parse(String... entries) {
        return parse(Arrays.asList(entries));
    }

    /** As {@link #parse(String...)}; a single string may also hold a comma-separated list. */
    public static AddressPool parse(Collection<String> entries) {
        Builder b = builder();
        for (String e : entries) {
            for (String part : e.split(",")) {
                if (!part.isBlank()) {
                    b.add(part.trim());
                }
            }
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** True when {@code address} (an IPv4 address in network order, as read from a header) is in the pool. */
    public boolean containsV4(int address) {
        return containsV4(v4, address);
    }

    /**
     * A copy of the IPv4 ranges as (first, last) pairs with the sign bit flipped, for tables that keep them
     * next to other per-packet state; search it with {@link #containsV4(int[], int)}.
     */
    public int[] v4RangesFlipped() {
        return v4.clone();
    }

    /** Membership in ranges laid out as {@link #v4RangesFlipped()} returns them. */
    public static boolean containsV4(int[] flippedRanges, int address) {
        int k = address ^ Integer.MIN_VALUE;
        int lo = 0;
        int hi = (flippedRanges.length >>> 1) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (flippedRanges[mid << 1] <= k) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && k <= flippedRanges[(hi << 1) + 1];
    }

    /** True when the IPv6 address given as two network-order longs is in the pool. */
    public boolean containsV6(long addrHi, long addrLo) {
        long[] r = v6;
        int lo = 0;
        int hi = (r.length >>> 2) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int base = mid << 2;
            if (compare(r[base], r[base + 1], addrHi, addrLo) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (hi < 0) {
            return false;
        }
        int base = hi << 2;
        return compare(addrHi, addrLo, r[base + 2], r[base + 3]) <= 0;
    }

    public boolean contains(InetAddress address) {
        return contains(address.getAddress());
    }

    /** Membership of a raw 4- or 16-byte address. */
    public boolean contains(byte[] address) {
        if (address.length == 4) {
            return containsV4(IpLiterals.v4(address));
        }
        if (address.length == 16) {
            return containsV6(IpLiterals.v6hi(address), IpLiterals.v6lo(address));
        }
        return false;
    }

    /** True when every address of {@code other} is in this pool. */
    public boolean covers(AddressPool other) {
        return other.equals(intersect(other));
    }

    public boolean isEmpty() {
        return v4.length == 0 && v6.length == 0;
    }

    public boolean hasV4() {
        return v4.length > 0;
    }

    public boolean hasV6() {
        return v6.length > 0;
    }

    /** How many addresses the pool covers (up to 2^32 + 2^128). */
    public BigInteger size() {
        BigInteger n = BigInteger.ZERO;
        for (BigInteger[] r : bigRanges(false)) {
            n = n.add(r[1].subtract(r[0]).add(BigInteger.ONE));
        }
        for (BigInteger[] r : bigRanges(true)) {
            n = n.add(r[1].subtract(r[0]).add(BigInteger.ONE));
        }
        return n;
    }

    public int v4RangeCount() {
        return v4.length >>> 1;
    }

    /** First address of IPv4 range {@code i}, unsigned in a long. */
    public long v4First(int i) {
        return (v4[i << 1] ^ Integer.MIN_VALUE) & 0xffffffffL;
    }

    public long v4Last(int i) {
        return (v4[(i << 1) + 1] ^ Integer.MIN_VALUE) & 0xffffffffL;
    }

    public int v6RangeCount() {
        return v6.length >>> 2;
    }

    public long v6FirstHi(int i) {
        return v6[i << 2];
    }

    public long v6FirstLo(int i) {
        return v6[(i << 2) + 1];
    }

    public long v6LastHi(int i) {
        return v6[(i << 2) + 2];
    }

    public long v6LastLo(int i) {
        return v6[(i << 2) + 3];
    }

    /** The ranges, IPv4 first, for encodings that carry ranges (IKE ID_IPV4_ADDR_RANGE). */
    public List<Range> ranges() {
        List<Range> out = new ArrayList<>();
        for (BigInteger[] r : bigRanges(false)) {
            out.add(new Range(toInet(r[0], false), toInet(r[1], false)));
        }
        for (BigInteger[] r : bigRanges(true)) {
            out.add(new Range(toInet(r[0], true), toInet(r[1], true)));
        }
        return out;
    }

    /** The smallest list of prefixes covering exactly this pool, IPv4 first, in address order. */
    public List<Prefix> prefixes() {
        List<Prefix> out = new ArrayList<>();
        for (BigInteger[] r : bigRanges(false)) {
            decompose(r[0], r[1], 32, false, out);
        }
        for (BigInteger[] r : bigRanges(true)) {
            decompose(r[0], r[1], 128, true, out);
        }
        return out;
    }

    public AddressPool union(AddressPool other) {
        Builder b = new Builder();
        b.addAll(this);
        b.addAll(other);
        return b.build();
    }

    public AddressPool intersect(AddressPool other) {
        Builder b = new Builder();
        intersectFamily(bigRanges(false), other.bigRanges(false), false, b);
        intersectFamily(bigRanges(true), other.bigRanges(true), true, b);
        return b.build();
    }

    public boolean intersects(AddressPool other) {
        return !intersect(other).isEmpty();
    }

    private static void intersectFamily(List<BigInteger[]> a, List<BigInteger[]> b, boolean v6, Builder out) {
        int i = 0;
        int j = 0;
        while (i < a.size() && j < b.size()) {
            BigInteger lo = a.get(i)[0].max(b.get(j)[0]);
            BigInteger hi = a.get(i)[1].min(b.get(j)[1]);
            if (lo.compareTo(hi) <= 0) {
                out.addRange(lo, hi, v6);
            }
            if (a.get(i)[1].compareTo(b.get(j)[1]) < 0) {
                i++;
            } else {
                j++;
            }
        }
    }

    private List<BigInteger[]> bigRanges(boolean family6) {
        List<BigInteger[]> out = new ArrayList<>();
        if (!family6) {
            for (int i = 0; i < v4RangeCount(); i++) {
                out.add(new BigInteger[] {BigInteger.valueOf(v4First(i)), BigInteger.valueOf(v4Last(i))});
            }
        } else {
            for (int i = 0; i < v6RangeCount(); i++) {
                out.add(new BigInteger[] {u128(v6FirstHi(i), v6FirstLo(i)), u128(v6LastHi(i), v6LastLo(i))});
            }
        }
        return out;
    }

    private static void decompose(BigInteger first, BigInteger last, int bits, boolean v6, List<Prefix> out) {
        BigInteger cur = first;
        while (cur.compareTo(last) <= 0) {
            // Largest block aligned at cur that does not pass last.
            int tz = cur.signum() == 0 ? bits : Math.min(cur.getLowestSetBit(), bits);
            int size = tz;
            while (size > 0 && cur.add(BigInteger.ONE.shiftLeft(size)).subtract(BigInteger.ONE).compareTo(last) > 0) {
                size--;
            }
            out.add(new Prefix(toInet(cur, v6), bits - size));
            cur = cur.add(BigInteger.ONE.shiftLeft(size));
        }
    }

    private static BigInteger u128(long hi, long lo) {
        return new BigInteger(1, longsToBytes(hi, lo));
    }

    private static byte[] longsToBytes(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    private static InetAddress toInet(BigInteger v, boolean v6) {
        if (!v6) {
            return IpLiterals.v4ToInet(v.intValue());
        }
        return IpLiterals.v6ToInet(v.shiftRight(64).longValue(), v.and(LONG_MASK).longValue());
    }

    static int compare(long aHi, long aLo, long bHi, long bLo) {
        int c = Long.compareUnsigned(aHi, bHi);
        return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AddressPool)) {
            return false;
        }
        AddressPool p = (AddressPool) o;
        return Arrays.equals(v4, p.v4) && Arrays.equals(v6, p.v6);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(v4) + Arrays.hashCode(v6);
    }

    /** The minimal prefix list, e.g. "192.0.2.64/26, 2001:db8::/32"; "(empty)" for an empty pool. */
    @Override
    public String toString() {
        if (isEmpty()) {
            return "(empty)";
        }
        StringBuilder sb = new StringBuilder();
        for (Prefix p : prefixes()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(p);
        }
        return sb.toString();
    }

    /** A [network, prefix length] pair. */
    public record Prefix(InetAddress network, int length) {
        public boolean isV4() {
            return network instanceof Inet4Address;
        }

        @Override
        public String toString() {
            return IpLiterals.format(network) + "/" + length;
        }
    }

    /** An inclusive range of addresses of one family. */
    public record Range(InetAddress first, InetAddress last) {
        /** Whether {@code a} lies in this range (an address of the other family never does). */
        public boolean contains(InetAddress a) {
            byte[] x = a.getAddress();
            return x.length == first.getAddress().length && Arrays.compareUnsigned(first.getAddress(), x) <= 0
                    && Arrays.compareUnsigned(x, last.getAddress()) <= 0;
        }

        @Override
        public String toString() {
            return IpLiterals.format(first) + "-" + IpLiterals.format(last);
        }
    }

    /** Collects entries, then normalises them into sorted, disjoint, merged ranges. */
    public static final class Builder {
        private final List<BigInteger[]> v4 = new ArrayList<>();
        private final List<BigInteger[]> v6 = new ArrayList<>();

        private Builder() {
        }

        /** Adds one entry in any of the forms {@link AddressPool#parse(String...)} takes. */
        public Builder add(String entry) {
            String e = entry.trim();
            if (e.isEmpty()) {
                throw new IllegalArgumentException("empty pool entry");
            }
            int dash = e.indexOf('-');
            int slash = e.indexOf('/');
            if (dash >= 0) {
                byte[] first = IpLiterals.parse(e.substring(0, dash));
                byte[] last = IpLiterals.parse(e.substring(dash + 1));
                if (first.length != last.length) {
                    throw new IllegalArgumentException("'" + e + "': range mixes IPv4 and IPv6");
                }
                BigInteger f = new BigInteger(1, first);
                BigInteger l = new BigInteger(1, last);
                if (f.compareTo(l) > 0) {
                    throw new IllegalArgumentException("'" + e + "': range start is after its end");
                }
                return addRange(f, l, first.length == 16);
            }
            if (slash < 0) {
                byte[] a = IpLiterals.parse(e);
                BigInteger v = new BigInteger(1, a);
                return addRange(v, v, a.length == 16);
            }
            byte[] net = IpLiterals.parse(e.substring(0, slash));
            int bits = net.length * 8;
            String maskText = e.substring(slash + 1).trim();
            int len;
            if (maskText.indexOf('.') >= 0 || maskText.indexOf(':') >= 0) {
                len = maskLength(IpLiterals.parse(maskText), net.length, e);
            } else {
                try {
                    len = Integer.parseInt(maskText);
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("'" + e + "': prefix length '" + maskText + "' is not a number");
                }
                if (len < 0 || len > bits) {
                    throw new IllegalArgumentException("'" + e + "': prefix length must be 0-" + bits);
                }
            }
            BigInteger n = new BigInteger(1, net);
            BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - len).subtract(BigInteger.ONE);
            if (n.and(hostMask).signum() != 0) {
                BigInteger fixed = n.andNot(hostMask);
                throw new IllegalArgumentException("'" + e + "': host bits set (did you mean "
                        + IpLiterals.format(toInet(fixed, bits == 128)) + "/" + len + "?)");
            }
            return addRange(n, n.or(hostMask), bits == 128);
        }

        private static int maskLength(byte[] mask, int familyBytes, String entry) {
            if (mask.length != familyBytes) {
                throw new IllegalArgumentException("'" + entry + "': netmask family differs from the network's");
            }
            BigInteger m = new BigInteger(1, mask);
            int bits = familyBytes * 8;
            int ones = m.bitCount();
            BigInteger expected = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
                    .xor(BigInteger.ONE.shiftLeft(bits - ones).subtract(BigInteger.ONE));
            if (!m.equals(expected)) {
                throw new IllegalArgumentException("'" + entry + "': netmask is not contiguous");
            }
            return ones;
        }

        public Builder addAll(AddressPool pool) {
            for (BigInteger[] r : pool.bigRanges(false)) {
                v4.add(r);
            }
            for (BigInteger[] r : pool.bigRanges(true)) {
                v6.add(r);
            }
            return this;
        }

        /** Adds the IPv4 range [first, last], both unsigned in a long. */
        public Builder addV4Range(long first, long last) {
            return addRange(BigInteger.valueOf(first), BigInteger.valueOf(last), false);
        }

        Builder addRange(BigInteger first, BigInteger last, boolean family6) {
            BigInteger max = family6 ? V6_MAX : V4_MAX;
            if (first.signum() < 0 || last.compareTo(max) > 0 || first.compareTo(last) > 0) {
                throw new IllegalArgumentException("bad range " + first + "-" + last);
            }
            (family6 ? v6 : v4).add(new BigInteger[] {first, last});
            return this;
        }

        /** The normalised pool; an empty builder gives {@link AddressPool#EMPTY}. */
        public AddressPool build() {
            List<BigInteger[]> m4 = merge(v4);
            List<BigInteger[]> m6 = merge(v6);
            int[] r4 = new int[2 * m4.size()];
            for (int i = 0; i < m4.size(); i++) {
                r4[2 * i] = m4.get(i)[0].intValue() ^ Integer.MIN_VALUE;
                r4[2 * i + 1] = m4.get(i)[1].intValue() ^ Integer.MIN_VALUE;
            }
            long[] r6 = new long[m6.size() * 4];
            for (int i = 0; i < m6.size(); i++) {
                BigInteger f = m6.get(i)[0];
                BigInteger l = m6.get(i)[1];
                r6[4 * i] = f.shiftRight(64).longValue();
                r6[4 * i + 1] = f.and(LONG_MASK).longValue();
                r6[4 * i + 2] = l.shiftRight(64).longValue();
                r6[4 * i + 3] = l.and(LONG_MASK).longValue();
            }
            return new AddressPool(r4, r6);
        }

        private static List<BigInteger[]> merge(List<BigInteger[]> in) {
            List<BigInteger[]> sorted = new ArrayList<>(in);
            sorted.sort(Comparator.comparing((BigInteger[] r) -> r[0]));
            List<BigInteger[]> out = new ArrayList<>();
            for (BigInteger[] r : sorted) {
                if (!out.isEmpty()) {
                    BigInteger[] last = out.get(out.size() - 1);
                    // Adjacent ranges merge too: 192.0.2.0/25 + 192.0.2.128/25 is one range.
                    if (r[0].compareTo(last[1].add(BigInteger.ONE)) <= 0) {
                        if (r[1].compareTo(last[1]) > 0) {
                            out.set(out.size() - 1, new BigInteger[] {last[0], r[1]});
                        }
                        continue;
                    }
                }
                out.add(r);
            }
            return out;
        }
    }
}

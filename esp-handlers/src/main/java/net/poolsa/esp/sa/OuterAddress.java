package net.poolsa.esp.sa;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * One outer (tunnel endpoint) address with its header forms precomputed, so that the per-packet path
 * reads ints and longs instead of calling {@link InetAddress#getAddress()}, which copies.
 */
public record OuterAddress(InetAddress address, boolean v4, int v4Bits, long v6Hi, long v6Lo) {
    public static OuterAddress of(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return new OuterAddress(a, true, IpLiterals.v4(b), 0, 0);
        }
        return new OuterAddress(a, false, 0, IpLiterals.v6hi(b), IpLiterals.v6lo(b));
    }

    public static OuterAddress parse(String literal) {
        byte[] b = IpLiterals.parse(literal);
        return b.length == 4 ? of(IpLiterals.v4ToInet(IpLiterals.v4(b)))
                : of(IpLiterals.v6ToInet(IpLiterals.v6hi(b), IpLiterals.v6lo(b)));
    }

    public boolean in(AddressPool pool) {
        return v4 ? pool.containsV4(v4Bits) : pool.containsV6(v6Hi, v6Lo);
    }

    @Override
    public String toString() {
        return IpLiterals.format(address);
    }
}

package net.poolsa.esp.pipeline;

import net.poolsa.esp.ip.Ipv4Fragmenter;
import net.poolsa.esp.sa.OuterAddress;

/**
 * What the outbound crypto stage needs to handle packets that grow past the path MTU.
 *
 * @param pathMtu      the largest outer packet the uplinks carry
 * @param icmpSourceV4 source of ICMP "fragmentation needed" (the gateway's inside address), or null: no ICMP
 * @param icmpSourceV6 source of ICMPv6 "packet too big", or null
 * @param icmpPerSecond rate limit of those errors
 */
public record MtuSettings(int pathMtu, OuterAddress icmpSourceV4, OuterAddress icmpSourceV6, int icmpPerSecond) {
    public MtuSettings {
        if (pathMtu < Ipv4Fragmenter.MIN_MTU || pathMtu > 65535) {
            throw new IllegalArgumentException("path MTU " + pathMtu + " is not within 68-65535");
        }
        if (icmpSourceV4 != null && !icmpSourceV4.v4() || icmpSourceV6 != null && icmpSourceV6.v4()) {
            throw new IllegalArgumentException("ICMP source addresses must be of their family");
        }
    }

    public static MtuSettings of(int pathMtu) {
        return new MtuSettings(pathMtu, null, null, 100);
    }
}

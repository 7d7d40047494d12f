package net.poolsa.appliance.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import net.poolsa.appliance.config.DataPathConfig.InterfaceConfig;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;

/**
 * What a parsed connection needs from the data path and from the other connections, checked the same way for
 * YAML connections and sa-file ones; each source turns a {@link Problem} into FILE:LINE and its own field name.
 * Every rule here stands for a configuration that would load and then never carry a packet.
 */
final class ConnectionChecks {
    /** The part of a connection a problem is about; the YAML loader and the sa-file each know where it was written. */
    enum Field {
        LOCAL_OUTER, REMOTE_OUTER, SPI_IN, BUNDLE_SPI_IN, REQID, LIFE_BYTES
    }

    record Problem(Field field, String message) {
    }

    private ConnectionChecks() {
    }

    /** The connection against the data path, or null when it can work. */
    static Problem check(ConnectionConfig c, DataPathConfig dp) {
        List<byte[]> uplinks = new ArrayList<>();
        for (InterfaceConfig up : dp.uplinks()) {
            for (String a : up.addresses()) {
                int slash = a.indexOf('/');
                uplinks.add(IpLiterals.parse(slash < 0 ? a : a.substring(0, slash)));
            }
        }
        List<byte[]> ours = new ArrayList<>();
        for (byte[] a : uplinks) {
            if (c.localOuter().contains(a)) {
                ours.add(a);
            }
        }
        if (!uplinks.isEmpty() && ours.isEmpty()) {
            return new Problem(Field.LOCAL_OUTER, "no uplink address lies in local-outer [" + c.localOuter() + "]: this "
                    + "connection could never send or receive (add the address to an uplink, or fix the pool)");
        }
        if (c.manuallyKeyed()) {
            List<byte[]> singles = singleAddresses(c.remoteOuter());
            if (singles.isEmpty()) {
                // PcapDataPathProvider sends to and probes only these (singleAddresses there).
                return new Problem(Field.REMOTE_OUTER, "remote-outer [" + c.remoteOuter() + "] holds no single address "
                        + "(/32 or /128), so the data path has no peer address to send to or probe: list the peer's uplink "
                        + "addresses as /32 (/128) entries (ranges beside them are still accepted inbound; a /32 inside a "
                        + "listed range merges into it)");
            }
            if (!ours.isEmpty() && !sameFamily(singles, ours)) {
                return new Problem(Field.REMOTE_OUTER, "no single address of remote-outer [" + c.remoteOuter() + "] has the "
                        + "address family of an uplink address in local-outer, so the data path could not send to the "
                        + "peer: list a peer address of the family the uplinks use");
            }
        }
        long hardBytes = c.lifetime().hardBytes();
        if (hardBytes != 0 && hardBytes < dp.mtu()) {
            return new Problem(Field.LIFE_BYTES, "a hard byte lifetime of " + hardBytes + " is below the data path's MTU ("
                    + dp.mtu() + "): the SA would die within its first full-size packet; use 0 (unlimited) or at least "
                    + dp.mtu());
        }
        return null;
    }

    /**
     * Inbound SPIs (an AH+ESP bundle's AH SPI included) and explicit reqids must be unique over all connections,
     * YAML and sa-file alike: the SAD finds an inbound SA by its SPI alone (RFC 4301 §4.1 lets the receiver choose
     * SPIs so that they are). Records this connection's values when they are free.
     */
    static Problem unique(ConnectionConfig c, Map<Integer, String> spiIn, Map<Integer, String> reqids) {
        if (c.manual() != null) {
            String other = spiIn.putIfAbsent(c.manual().spiIn(), c.name());
            if (other != null) {
                return new Problem(Field.SPI_IN, "inbound SPI 0x" + Integer.toHexString(c.manual().spiIn())
                        + " is already used by connection " + other + " (inbound SPIs must be unique)");
            }
            if (c.manual().bundleAh() != null) {
                int ah = c.manual().bundleAh().spiIn();
                other = spiIn.putIfAbsent(ah, c.name());
                if (other != null) {
                    return new Problem(Field.BUNDLE_SPI_IN, "inbound SPI 0x" + Integer.toHexString(ah)
                            + " is already used by connection " + other + " (inbound SPIs must be unique, AH and ESP alike)");
                }
            }
        }
        if (c.reqid() != 0) {
            String other = reqids.putIfAbsent(c.reqid(), c.name());
            if (other != null) {
                return new Problem(Field.REQID, "reqid " + c.reqid() + " is already used by connection " + other);
            }
        }
        return null;
    }

    /** The pool's members that are one address (a /32 or /128 prefix after merging), which the data path sends to. */
    static List<byte[]> singleAddresses(AddressPool pool) {
        List<byte[]> out = new ArrayList<>();
        for (AddressPool.Prefix p : pool.prefixes()) {
            if (p.length() == (p.isV4() ? 32 : 128)) {
                out.add(p.network().getAddress());
            }
        }
        return out;
    }

    private static boolean sameFamily(List<byte[]> a, List<byte[]> b) {
        for (byte[] x : a) {
            for (byte[] y : b) {
                if (x.length == y.length) {
                    return true;
                }
            }
        }
        return false;
    }
}

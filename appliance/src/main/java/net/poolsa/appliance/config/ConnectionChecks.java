package net.poolsa.appliance.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import net.poolsa.appliance.config.DataPathConfig.InterfaceConfig;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.ike.StartAction;

/**
 * What a parsed connection needs from the data path and from the other connections, checked the same way for
 * YAML connections and sa-file ones; each source turns a {@link Problem} into FILE:LINE and its own field name.
 * Every rule here stands for a configuration that would load and then never carry a packet.
 */
final class ConnectionChecks {
    /** The part of a connection a problem is about; the YAML loader and the sa-file each know where it was written. */
    enum Field {
        LOCAL_OUTER, REMOTE_OUTER, REMOTE_PROTECTED, SPI_IN, BUNDLE_SPI_IN, REQID, LIFE_BYTES, PSK_FILE, IKE_PROPOSALS
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
        if (!c.manuallyKeyed() && c.startAction() != StartAction.NONE) {
            Problem p = initiatorEndpoints(c, ours);
            if (p != null) {
                return p;
            }
        }
        if (!c.localProtected().isEmpty() && !c.remoteProtected().isEmpty()
                && !shareFamily(c.localProtected(), c.remoteProtected())) {
            // the SPD matches source and destination of one packet: one IPv4 and one IPv6 pool never match both
            return new Problem(Field.REMOTE_PROTECTED, "remote-protected [" + c.remoteProtected() + "] and local-protected ["
                    + c.localProtected() + "] have no address family in common, so no packet could match the policy: "
                    + "give both sides prefixes of the family the hosts use");
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

    /**
     * An IKE connection that negotiates by itself ({@code start} or {@code trap}) needs what the engine sends Main Mode
     * between (net.poolsa.ike.exchange.Initiations.endpoints): a single address of remote-outer (a range names no
     * peer) and, of the same address family, an uplink address inside local-outer (where IKE listens; a range's
     * first bound address is used). {@code ours} are the uplink addresses in local-outer.
     */
    private static Problem initiatorEndpoints(ConnectionConfig c, List<byte[]> ours) {
        String start = "start-action " + c.startAction().name().toLowerCase(Locale.ROOT);
        String orNone = "; or set start-action: none to only answer the peer";
        List<byte[]> remote = singleAddresses(c.remoteOuter());
        if (remote.isEmpty()) {
            return new Problem(Field.REMOTE_OUTER, start + " sends Main Mode to a single address of remote-outer, but ["
                    + c.remoteOuter() + "] holds none (a range names no peer): list the peer's IKE address as a /32 "
                    + "(/128) entry (ranges beside it are still accepted from the peer)" + orNone);
        }
        List<byte[]> local = ours;
        if (local.isEmpty()) {
            return new Problem(Field.LOCAL_OUTER, start + " sends Main Mode from an uplink address inside local-outer, "
                    + "but [" + c.localOuter() + "] holds none: add the uplink address (or its subnet) to local-outer"
                    + orNone);
        }
        if (!sameFamily(remote, local)) {
            return new Problem(Field.REMOTE_OUTER, start + ": no single address of remote-outer [" + c.remoteOuter()
                    + "] has the address family of an uplink address in local-outer [" + c.localOuter()
                    + "], so Main Mode has no socket to go from: list a peer address of that family" + orNone);
        }
        return null;
    }

    /**
     * Two IKE connections whose outer pools overlap on both sides reach the same peer addresses. Main Mode with a
     * pre-shared key is keyed by address (RFC 2409 §5.4): the engine answers such a peer with the key and the
     * ike-proposals of the first of them and carries both connections' Quick Modes over one IKE SA, so they must
     * agree on both, or the second one's negotiations fail.
     */
    static Problem samePeer(ConnectionConfig c, Collection<ConnectionConfig> earlier) {
        if (!(c.authentication() instanceof ConnectionConfig.Psk psk)) {
            return null;
        }
        for (ConnectionConfig o : earlier) {
            if (!(o.authentication() instanceof ConnectionConfig.Psk other)
                    || !c.localOuter().intersects(o.localOuter()) || !c.remoteOuter().intersects(o.remoteOuter())) {
                continue;
            }
            String shared = "the outer pools overlap those of connection " + o.name() + " (local-outer [" + o.localOuter()
                    + "], remote-outer [" + o.remoteOuter() + "]), so both reach the same peer addresses, and Main Mode "
                    + "with a pre-shared key is keyed by address (RFC 2409 §5.4): the engine answers that peer as "
                    + o.name() + " says";
            if (!psk.key().equals(other.key())) {
                return new Problem(Field.PSK_FILE, shared + "; give both the same pre-shared key (this file's content "
                        + "differs from " + other.file() + ")");
            }
            if (!c.ikeProposals().equals(o.ikeProposals())) {
                return new Problem(Field.IKE_PROPOSALS, shared + "; give both the same ike-proposals (" + o.name()
                        + " has " + o.ikeProposals() + ")");
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

    private static boolean shareFamily(AddressPool a, AddressPool b) {
        for (AddressPool.Prefix x : a.prefixes()) {
            for (AddressPool.Prefix y : b.prefixes()) {
                if (x.isV4() == y.isV4()) {
                    return true;
                }
            }
        }
        return false;
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

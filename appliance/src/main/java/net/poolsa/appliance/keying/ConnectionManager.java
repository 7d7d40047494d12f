package net.poolsa.appliance.keying;

import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.IkeConnection;

/**
 * Keeps the installed connections in step with the configuration. A reload applies the
 * {@link ConnectionDiff}: removed and changed connections are taken down (break before make, so a changed
 * connection that keeps its inbound SPI does not collide with itself), added and changed ones installed,
 * unchanged ones are not touched, so their SAs keep counters, sequence numbers and outer addresses.
 * Reqids are stable per connection name for the life of the process.
 *
 * <p>IKE-keyed connections get their reqid here too; their SAs are the IKE engine's, found in the kernel by that
 * reqid ({@link #current(String)}), and their counters survive rekeys and renegotiations like a manual connection's
 * survive reloads ({@link #totals(String)}).
 */
public final class ConnectionManager {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionManager.class);
    /** Assigned reqids start here so they do not collide with small explicit ones in the file. */
    static final int FIRST_ASSIGNED_REQID = 0x1000;

    private final ManualKeying keying;
    private final Map<String, InstalledConnection> installed = new LinkedHashMap<>();
    private final Map<String, Integer> reqids = new LinkedHashMap<>();
    private final Map<String, RetiredCounters> retired = new java.util.concurrent.ConcurrentHashMap<>();
    /** Per IKE connection, the SAs of its reqid seen in the kernel and not yet folded into {@link #retired}. */
    private final Map<String, Set<SecurityAssociation>> ikeSeen = new java.util.concurrent.ConcurrentHashMap<>();
    private Map<String, ConnectionConfig> current = Map.of();
    private int nextReqid = FIRST_ASSIGNED_REQID;

    public ConnectionManager(ManualKeying keying) {
        this.keying = keying;
    }

    /**
     * Makes the installed state match {@code connections} (manually keyed ones; IKE connections are the
     * IKE module's). Returns what changed.
     */
    public synchronized ConnectionDiff apply(Map<String, ConnectionConfig> connections, long nowNanos) {
        ConnectionDiff diff = ConnectionDiff.between(current, connections);
        for (String name : diff.removed()) {
            takeDown(name, "removed");
            reqids.remove(name);
            ikeSeen.remove(name);
        }
        for (String name : diff.changed()) {
            takeDown(name, "changed");
        }
        Set<Integer> explicit = new HashSet<>();
        for (ConnectionConfig c : connections.values()) {
            if (c.reqid() != 0) {
                explicit.add(c.reqid());
            }
        }
        for (String name : concat(diff.changed(), diff.added())) {
            ConnectionConfig c = connections.get(name);
            int reqid = reqidFor(c, explicit);
            if (c.manuallyKeyed()) {
                InstalledConnection ic = keying.install(c, reqid, nowNanos);
                installed.put(name, ic);
                LOG.info("event=connection_installed connection={} reqid={} spi_in={} spi_out={} mode={} protocol={}",
                        name, reqid, ic.inbound().spiHex(), ic.outbound().spiHex(),
                        c.mode().name().toLowerCase(), c.protocol().name().toLowerCase());
            }
        }
        for (String name : diff.unchanged()) {
            LOG.debug("event=connection_kept connection={}", name);
        }
        current = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(connections));
        return diff;
    }

    private int reqidFor(ConnectionConfig c, Set<Integer> explicit) {
        if (c.reqid() != 0) {
            reqids.put(c.name(), c.reqid());
            return c.reqid();
        }
        Integer known = reqids.get(c.name());
        if (known != null && !explicit.contains(known)) {
            return known;
        }
        while (explicit.contains(nextReqid) || reqids.containsValue(nextReqid)) {
            nextReqid++;
        }
        int r = nextReqid++;
        reqids.put(c.name(), r);
        return r;
    }

    private void takeDown(String name, String why) {
        InstalledConnection ic = installed.remove(name);
        if (ic != null) {
            retired.computeIfAbsent(name, k -> new RetiredCounters()).add(ic);
            keying.remove(ic);
            LOG.info("event=connection_removed connection={} reason={} reqid={}", name, why, ic.reqid());
        }
    }

    /** Takes every connection down (shutdown); the caller flushes the kernel afterwards. */
    public synchronized void removeAll() {
        for (String name : List.copyOf(installed.keySet())) {
            takeDown(name, "shutdown");
        }
        current = Map.of();
    }

    public synchronized Collection<InstalledConnection> installed() {
        return List.copyOf(installed.values());
    }

    public synchronized InstalledConnection installed(String name) {
        return installed.get(name);
    }

    /**
     * The SA pair a connection uses now: a manual connection's installed pair; for an IKE-keyed one the newest
     * inbound and outbound SA of its protocol the kernel holds under its reqid (null when it has none of either).
     */
    public InstalledConnection current(String name) {
        ConnectionConfig c;
        Integer reqid;
        synchronized (this) {
            InstalledConnection ic = installed.get(name);
            if (ic != null) {
                return ic;
            }
            c = current.get(name);
            reqid = reqids.get(name);
        }
        if (c == null || c.manuallyKeyed() || reqid == null) {
            return null;
        }
        SecurityAssociation in = null;
        SecurityAssociation out = null;
        for (SecurityAssociation sa : ikeSas(c, reqid)) {
            if (sa.direction() == Direction.INBOUND && (in == null || sa.createdNanos() > in.createdNanos())) {
                in = sa;
            } else if (sa.direction() == Direction.OUTBOUND && (out == null || sa.createdNanos() > out.createdNanos())) {
                out = sa;
            }
        }
        return in == null || out == null ? null : new InstalledConnection(c, reqid, in, out, null, null);
    }

    private List<SecurityAssociation> ikeSas(ConnectionConfig c, int reqid) {
        // The IKE engine numbers the extra SA pairs of a peer without ID_LIST reqid + (k << 16).
        return keying.kernel().listSas().stream().filter(sa -> (sa.reqid() & IkeConnection.MAX_REQID) == reqid
                && sa.protocol() == c.protocol()).toList();
    }

    /** The configured connections (manual and IKE) as last applied. */
    public synchronized Map<String, ConnectionConfig> connections() {
        return current;
    }

    public synchronized Integer reqid(String name) {
        return reqids.get(name);
    }

    /** The configured connection whose SAs carry {@code reqid} (the IKE engine's extra pairs included), or null. */
    public synchronized ConnectionConfig byReqid(int reqid) {
        int base = reqid & IkeConnection.MAX_REQID;
        for (Map.Entry<String, Integer> e : reqids.entrySet()) {
            if (e.getValue() == base) {
                return current.get(e.getKey());
            }
        }
        return null;
    }

    /**
     * Counters of a connection over the life of the process: its live SAs plus the ones a reload or
     * shutdown retired, so the exported counters never go backwards when a connection is re-keyed.
     */
    public ConnectionTotals totals(String name) {
        InstalledConnection ic;
        ConnectionConfig c;
        Integer reqid;
        synchronized (this) {
            ic = installed.get(name);
            c = current.get(name);
            reqid = reqids.get(name);
        }
        if (ic == null && c != null && !c.manuallyKeyed() && reqid != null) {
            return ikeTotals(name, ikeSas(c, reqid));
        }
        RetiredCounters r = retired.get(name);
        long[] t = r == null ? new long[5] : r.values();
        if (ic != null) {
            t[0] += ic.inbound().packets();
            t[1] += ic.inbound().bytes();
            t[2] += ic.outbound().packets();
            t[3] += ic.outbound().bytes();
            t[4] += ic.inbound().outerSwitches() + ic.outbound().outerSwitches();
        }
        return new ConnectionTotals(t[0], t[1], t[2], t[3], t[4]);
    }

    /**
     * An IKE connection's totals: SAs no longer in the kernel (rekeyed, deleted, expired) are folded into the retired
     * counters with their final values, the live ones added; the SA objects keep their counters after removal, so
     * nothing counted between two calls is lost.
     */
    private ConnectionTotals ikeTotals(String name, List<SecurityAssociation> live) {
        Set<SecurityAssociation> seen = ikeSeen.computeIfAbsent(name,
                k -> java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
        RetiredCounters r = retired.computeIfAbsent(name, k -> new RetiredCounters());
        long[] t;
        synchronized (seen) {
            Set<SecurityAssociation> now = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            now.addAll(live);
            for (java.util.Iterator<SecurityAssociation> it = seen.iterator(); it.hasNext(); ) {
                SecurityAssociation sa = it.next();
                if (!now.contains(sa)) {
                    r.add(sa);
                    it.remove();
                }
            }
            seen.addAll(live);
            t = r.values();
            for (SecurityAssociation sa : live) {
                long[] v = RetiredCounters.of(sa);
                for (int i = 0; i < t.length; i++) {
                    t[i] += v[i];
                }
            }
        }
        return new ConnectionTotals(t[0], t[1], t[2], t[3], t[4]);
    }

    /** Per-connection counter totals; see {@link #totals(String)}. */
    public record ConnectionTotals(long packetsIn, long bytesIn, long packetsOut, long bytesOut, long outerSwitches) {
    }

    private static final class RetiredCounters {
        private final long[] v = new long[5];

        /** packets in, bytes in, packets out, bytes out, outer switches of one SA. */
        static long[] of(SecurityAssociation sa) {
            boolean in = sa.direction() == Direction.INBOUND;
            return new long[] {in ? sa.packets() : 0, in ? sa.bytes() : 0, in ? 0 : sa.packets(), in ? 0 : sa.bytes(),
                sa.outerSwitches()};
        }

        synchronized void add(SecurityAssociation sa) {
            long[] x = of(sa);
            for (int i = 0; i < v.length; i++) {
                v[i] += x[i];
            }
        }

        synchronized void add(InstalledConnection ic) {
            v[0] += ic.inbound().packets();
            v[1] += ic.inbound().bytes();
            v[2] += ic.outbound().packets();
            v[3] += ic.outbound().bytes();
            v[4] += ic.inbound().outerSwitches() + ic.outbound().outerSwitches();
        }

        synchronized long[] values() {
            return v.clone();
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}

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

/**
 * Keeps the installed connections in step with the configuration. A reload applies the
 * {@link ConnectionDiff}: removed and changed connections are taken down (break before make, so a changed
 * connection that keeps its inbound SPI does not collide with itself), added and changed ones installed,
 * unchanged ones are not touched, so their SAs keep counters, sequence numbers and outer addresses.
 * Reqids are stable per connection name for the life of the process.
 */
public final class ConnectionManager {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionManager.class);
    /** Assigned reqids start here so they do not collide with small explicit ones in the file. */
    static final int FIRST_ASSIGNED_REQID = 0x1000;

    private final ManualKeying keying;
    private final Map<String, InstalledConnection> installed = new LinkedHashMap<>();
    private final Map<String, Integer> reqids = new LinkedHashMap<>();
    private final Map<String, RetiredCounters> retired = new java.util.concurrent.ConcurrentHashMap<>();
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

    /** The configured connections (manual and IKE) as last applied. */
    public synchronized Map<String, ConnectionConfig> connections() {
        return current;
    }

    public synchronized Integer reqid(String name) {
        return reqids.get(name);
    }

    /**
     * Counters of a connection over the life of the process: its live SAs plus the ones a reload or
     * shutdown retired, so the exported counters never go backwards when a connection is re-keyed.
     */
    public ConnectionTotals totals(String name) {
        InstalledConnection ic;
        synchronized (this) {
            ic = installed.get(name);
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

    /** Per-connection counter totals; see {@link #totals(String)}. */
    public record ConnectionTotals(long packetsIn, long bytesIn, long packetsOut, long bytesOut, long outerSwitches) {
    }

    private static final class RetiredCounters {
        private final long[] v = new long[5];

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

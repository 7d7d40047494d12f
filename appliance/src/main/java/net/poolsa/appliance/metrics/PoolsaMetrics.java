package net.poolsa.appliance.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.esp.event.RateLimitedLog;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.SaTransformContext;

/**
 * All of poolsa's meters, in one Prometheus registry. Names follow Prometheus conventions (base units,
 * counters end in {@code _total}); tags are low-cardinality: connection names and pool prefixes come from
 * the configuration, never from packets. The exported series are listed in {@code deploy/METRICS.md}.
 */
public final class PoolsaMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConnectionManager connections;
    private final DropCounters drops;
    private final DataPathMeters dataPath;
    private final IkeMeters ike;
    private final Counter reloadsOk;
    private final Counter reloadsFailed;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, ConnectionMeters> perConnection = new HashMap<>();

    public PoolsaMetrics(ConnectionManager connections, IpsecKernel kernel, String version) {
        this.connections = connections;
        // Micrometer's process.cpu.time counts in "ns", which promtool's lint refuses (abbreviated unit,
        // not a base unit); process_cpu_usage carries the same information.
        registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.deny(
                id -> id.getName().equals("process.cpu.time")));
        // "_count" is reserved for histograms and summaries in the exposition format.
        registry.config().meterFilter(new io.micrometer.core.instrument.config.MeterFilter() {
            @Override
            public io.micrometer.core.instrument.Meter.Id map(io.micrometer.core.instrument.Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
            }
        });
        this.drops = new DropCounters(registry, RateLimitedLog.perTenSeconds(DropReason.values().length));
        this.dataPath = new DataPathMeters(registry);
        this.ike = new IkeMeters(registry);
        this.reloadsOk = Counter.builder("poolsa.config.reloads").tag("result", "success")
                .description("Configuration reloads (SIGHUP)").register(registry);
        this.reloadsFailed = Counter.builder("poolsa.config.reloads").tag("result", "failure")
                .description("Configuration reloads (SIGHUP)").register(registry);
        Gauge.builder("poolsa.sas", kernel, k -> k.sad().inboundCount()).tag("direction", "in")
                .description("Installed SAs").register(registry);
        Gauge.builder("poolsa.sas", kernel, k -> k.sad().outboundCount()).tag("direction", "out")
                .description("Installed SAs").register(registry);
        Gauge.builder("poolsa.build.info", () -> 1).tag("version", version)
                .description("Version of the running poolsa").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public DropCounters drops() {
        return drops;
    }

    public DataPathMeters dataPath() {
        return dataPath;
    }

    public IkeMeters ike() {
        return ike;
    }

    public void reloaded(boolean success) {
        (success ? reloadsOk : reloadsFailed).increment();
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * Registers the meters of configured connections and removes those of connections no longer
     * configured; a changed connection gets fresh meters (its pools, hence its path tags, may differ).
     * Call after every {@link ConnectionManager#apply}.
     */
    public synchronized void syncConnections() {
        Map<String, ConnectionConfig> configured = connections.connections();
        for (Map.Entry<String, ConnectionMeters> e : List.copyOf(perConnection.entrySet())) {
            ConnectionConfig now = configured.get(e.getKey());
            if (now == null || !now.equals(e.getValue().config)) {
                e.getValue().meters.forEach(registry::remove);
                perConnection.remove(e.getKey());
            }
        }
        for (ConnectionConfig c : configured.values()) {
            perConnection.computeIfAbsent(c.name(), n -> register(c));
        }
    }

    private record ConnectionMeters(ConnectionConfig config, List<Meter> meters) {
    }

    private ConnectionMeters register(ConnectionConfig c) {
        String name = c.name();
        ConnectionManager m = connections;
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("poolsa.tunnel.up", m, x -> up(x.installed(name)))
                .tag("connection", name).description("1 while the connection has a usable inbound and outbound SA")
                .register(registry));
        meters.add(FunctionCounter.builder("poolsa.tunnel.outer.switches", m, x -> x.totals(name).outerSwitches())
                .tag("connection", name)
                .description("Outer-address changes carried by the same SA, without rekey (tunnel continuity)")
                .register(registry));
        meters.add(FunctionCounter.builder("poolsa.packets", m, x -> x.totals(name).packetsIn())
                .tag("connection", name).tag("direction", "in").baseUnit("packets")
                .description("Packets through the connection's SAs").register(registry));
        meters.add(FunctionCounter.builder("poolsa.packets", m, x -> x.totals(name).packetsOut())
                .tag("connection", name).tag("direction", "out").baseUnit("packets")
                .description("Packets through the connection's SAs").register(registry));
        meters.add(FunctionCounter.builder("poolsa.bytes", m, x -> x.totals(name).bytesIn())
                .tag("connection", name).tag("direction", "in").baseUnit("bytes")
                .description("Bytes through the connection's SAs").register(registry));
        meters.add(FunctionCounter.builder("poolsa.bytes", m, x -> x.totals(name).bytesOut())
                .tag("connection", name).tag("direction", "out").baseUnit("bytes")
                .description("Bytes through the connection's SAs").register(registry));
        meters.add(Gauge.builder("poolsa.tunnel.inbound.idle", m, x -> idleSeconds(x.installed(name)))
                .tag("connection", name).baseUnit("seconds")
                .description("Time since the last inbound packet of the connection (NaN before the first)")
                .register(registry));
        for (String dir : new String[] {"in", "out"}) {
            meters.add(Gauge.builder("poolsa.sa.expiry", m, x -> expirySeconds(x.installed(name), dir))
                    .tag("connection", name).tag("direction", dir).baseUnit("seconds")
                    .description("Time left until the SA's hard lifetime (NaN when unlimited or not installed)")
                    .register(registry));
        }
        meters.add(Gauge.builder("poolsa.sa.sequence.remaining", m, x -> sequenceRemaining(x.installed(name)))
                .tag("connection", name)
                .description("Sequence numbers the outbound SA may still send; a manually keyed SA cannot rekey, at 0 it"
                        + " sends nothing more (NaN when not installed)")
                .register(registry));
        addPathGauges(meters, name, "remote", c.remoteOuter());
        addPathGauges(meters, name, "local", c.localOuter());
        return new ConnectionMeters(c, meters);
    }

    /** One 0/1 gauge per configured outer prefix: which path the outbound SA uses now. */
    private void addPathGauges(List<Meter> meters, String name, String side, AddressPool pool) {
        for (AddressPool.Prefix p : pool.prefixes()) {
            AddressPool prefixPool = AddressPool.parse(p.toString());
            boolean remote = side.equals("remote");
            meters.add(Gauge.builder("poolsa.tunnel.path.active", connections, x -> {
                InstalledConnection ic = x.installed(name);
                if (ic == null) {
                    return 0;
                }
                OuterAddress a = remote ? ic.outbound().currentRemote() : ic.outbound().currentLocal();
                return a != null && a.in(prefixPool) ? 1 : 0;
            }).tag("connection", name).tag("side", side).tag("path", p.toString())
                    .description("1 for the outer prefix the outbound SA currently uses").register(registry));
        }
    }

    private static double up(InstalledConnection ic) {
        return ic != null && ic.inbound().usable() && ic.outbound().usable() ? 1 : 0;
    }

    private static double idleSeconds(InstalledConnection ic) {
        if (ic == null || ic.inbound().lastInboundNanos() == 0) {
            return Double.NaN;
        }
        return (System.nanoTime() - ic.inbound().lastInboundNanos()) / 1e9;
    }

    private static double sequenceRemaining(InstalledConnection ic) {
        if (ic == null) {
            return Double.NaN;
        }
        if (!(ic.outbound().transformContext() instanceof SaTransformContext t)) {
            return ic.outbound().extendedSequenceNumbers() ? 0x1p64 : 0x1p32 - 1; // nothing sent yet: the whole space
        }
        OutboundSequence s = t.outbound();
        if (s.exhausted()) {
            return 0;
        }
        long left = s.last() - (s.peek() - 1); // unsigned
        return left >= 0 ? left : 0x1p64 + left;
    }

    private static double expirySeconds(InstalledConnection ic, String dir) {
        if (ic == null) {
            return Double.NaN;
        }
        SecurityAssociation sa = dir.equals("in") ? ic.inbound() : ic.outbound();
        long hard = sa.lifetime().hardSeconds();
        if (hard == 0) {
            return Double.NaN;
        }
        return Math.max(0, hard - (System.nanoTime() - sa.createdNanos()) / 1e9);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}

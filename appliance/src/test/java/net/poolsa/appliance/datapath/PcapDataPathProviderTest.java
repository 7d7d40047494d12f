package net.poolsa.appliance.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.lifecycle.DataPathContext;
import net.poolsa.appliance.metrics.DataPathMeters;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.PathState;
import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.event.SwitchHold;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.pipeline.DataPlaneConfig;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;

/** What the appliance's configuration becomes for the data plane (nothing is started: no host changes). */
class PcapDataPathProviderTest {
    @TempDir
    Path dir;

    private DataPlaneConfig planeFor(String yaml) throws Exception {
        ConfigFixture.write(dir);
        PoolsaConfig c = ConfigLoader.load(ConfigFixture.writeYaml(dir, yaml));
        DataPathContext ctx = new DataPathContext(c.dataPath(), new UserspaceIpsecKernel(), DropListener.NONE,
                new DataPathMeters(new SimpleMeterRegistry()), c.connections().values());
        return PcapDataPathProvider.dataPlaneConfig(ctx);
    }

    @Test
    void aMissingCaptureOrUplinkInterfaceIsNamedWithItsFieldBeforeAnythingStarts() throws Exception {
        ConfigFixture.write(dir);
        PoolsaConfig c = ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML));
        // lan0 and wan1 are missing, wan0 is there; the sink (poolsa-sink) is created by the data path: not checked
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PcapDataPathProvider.requireInterfaces(c.dataPath(), "wan0"::equals));
        assertTrue(e.getMessage().contains("data-path.capture[0].interface lan0, data-path.uplinks[1].interface wan1;"),
                e.getMessage());
        assertFalse(e.getMessage().contains("wan0"), e.getMessage());
        assertFalse(e.getMessage().contains("poolsa-sink"), e.getMessage());
        PcapDataPathProvider.requireInterfaces(c.dataPath(), Set.of("lan0", "wan0", "wan1")::contains);
    }

    @Test
    void startRefusesAMissingInterfaceOfThisHostByName() throws Exception {
        ConfigFixture.write(dir);
        String yaml = ConfigFixture.YAML.replace("interface: lan0", "interface: lo")
                .replace("interface: wan0", "interface: psa-absent0").replace("interface: wan1", "interface: psa-absent1");
        PoolsaConfig c = ConfigLoader.load(ConfigFixture.writeYaml(dir, yaml));
        DataPathContext ctx = new DataPathContext(c.dataPath(), new UserspaceIpsecKernel(), DropListener.NONE,
                new DataPathMeters(new SimpleMeterRegistry()), c.connections().values());
        // refused before the data plane touches the host (no sink, no capture), so it runs without root too
        Exception e = assertThrows(IllegalArgumentException.class, () -> new PcapDataPathProvider().start(ctx));
        assertTrue(e.getMessage().contains("data-path.uplinks[0].interface psa-absent0, data-path.uplinks[1].interface psa-absent1"),
                e.getMessage());
    }

    @Test
    void defaultsAreACapturedSinkInImmediateMode() throws Exception {
        DataPlaneConfig p = planeFor(ConfigFixture.YAML);
        assertEquals(DataPlaneConfig.Sink.CAPTURE, p.sink());
        assertTrue(p.immediateCapture());
        assertEquals("poolsa-sink", p.sinkInterface());
        // Every connection's remote protected pool is diverted (site-c is an IKE connection).
        assertEquals(List.of("192.0.2.128/25", "2001:db8:c::/48"), p.protectedRemotePrefixes());
        assertTrue(p.manageHost());
    }

    @Test
    void tunSinkAndBlockCaptureAreChosenInTheConfiguration() throws Exception {
        String yaml = ConfigFixture.YAML.replace("    type: ifb\n", "    type: tun\n  immediate-capture: false\n");
        DataPlaneConfig p = planeFor(yaml);
        assertEquals(DataPlaneConfig.Sink.TUN, p.sink());
        assertFalse(p.immediateCapture());
    }

    @Test
    void failoverTimersComeFromTheDataPathSection() throws Exception {
        assertEquals(PathTimers.DEFAULTS, planeFor(ConfigFixture.YAML).paths());
        DataPlaneConfig p = planeFor(ConfigFixture.YAML.replace("    type: ifb\n", "    type: ifb\n  failover: {probe-interval: 20ms, detect-multiplier: 5}\n"));
        assertEquals(Duration.ofMillis(100), p.paths().detectionTime());
    }

    @Test
    void eventLoopsComeFromTheDataPathSectionElseFromTheCores() throws Exception {
        assertEquals(DataPlaneConfig.defaultEventLoops(), planeFor(ConfigFixture.YAML).eventLoops());
        assertEquals(3, planeFor(ConfigFixture.YAML.replace("    type: ifb\n", "    type: ifb\n  event-loops: 3\n")).eventLoops());
    }

    private static final OuterAddress A1 = OuterAddress.parse("198.51.100.1");
    private static final OuterAddress B1 = OuterAddress.parse("198.51.100.17");
    private static final OuterAddress B2 = OuterAddress.parse("203.0.113.17");

    private DataPathListener listenerFor(DataPathMeters meters) throws Exception {
        PoolsaConfig c = ConfigLoader.load(ConfigFixture.write(dir));
        return PcapDataPathProvider.listener(new DataPathContext(c.dataPath(), new UserspaceIpsecKernel(), DropListener.NONE, meters,
                c.connections().values()));
    }

    /** An outbound SA between the pools of A1 and B1/B2, on A1 > B2. */
    private static SecurityAssociation onA1B2() {
        return SecurityAssociation.builder().spi(0x1001).reqid(1).direction(Direction.OUTBOUND)
                .localOuter(AddressPool.parse("198.51.100.0/28")).remoteOuter(AddressPool.parse("198.51.100.17/32", "203.0.113.17/32"))
                .selector(TrafficSelector.between(AddressPool.parse("192.0.2.0/25"), AddressPool.parse("192.0.2.128/25")))
                .keys(new SaKeys("null", new byte[0], "hmac-sha2-256-128", new byte[32])).currentLocal(A1).currentRemote(B2).build();
    }

    /** The data path's path events become the switch counters by cause, the detection histogram and the paths-by-state gauges. */
    @Test
    void pathEventsReachTheMeters() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataPathMeters meters = new DataPathMeters(registry);
        DataPathListener l = listenerFor(meters);
        SecurityAssociation sa = onA1B2();
        l.pathStateChanged(A1, B1, null, PathState.UNVERIFIED);
        l.pathStateChanged(A1, B2, null, PathState.UNVERIFIED);
        l.pathStateChanged(A1, B1, PathState.UNVERIFIED, PathState.UP);
        l.pathStateChanged(A1, B1, PathState.UP, PathState.DOWN);
        l.outerPathChanged(sa, A1, B1, PathSwitchCause.PROBE_TIMEOUT, 130_000_000L);
        l.outerPathChanged(sa, A1, B2, PathSwitchCause.SWITCH_BACK, -1);
        l.outerPathChanged(sa, A1, B1, PathSwitchCause.PLACEMENT, -1);
        l.outerPathHeld(sa, SwitchHold.HYSTERESIS);
        l.pathProbesSent(3);
        assertEquals(1, registry.get("poolsa.path.switches").tag("cause", "probe_timeout").counter().count());
        assertEquals(1, registry.get("poolsa.path.switches").tag("cause", "switch_back").counter().count());
        assertEquals(0, registry.get("poolsa.path.switches").tag("cause", "local_event").counter().count());
        assertEquals(1, registry.get("poolsa.path.switches").tag("cause", "placement").counter().count());
        assertTrue(registry.find("poolsa.path.detection").tag("cause", "placement").timer() == null, "placement detects no failure");
        assertEquals(1, registry.get("poolsa.path.detection").tag("cause", "probe_timeout").timer().count());
        assertEquals(130, registry.get("poolsa.path.detection").tag("cause", "probe_timeout").timer().totalTime(TimeUnit.MILLISECONDS), 0.01);
        assertEquals(1, registry.get("poolsa.path.switches.held").tag("reason", "hysteresis").counter().count());
        assertEquals(1, meters.paths(PathState.DOWN));
        assertEquals(1, meters.paths(PathState.UNVERIFIED));
        assertEquals(0, meters.paths(PathState.UP));
        assertEquals(3, registry.get("poolsa.path.probes").counter().count());
    }

    /** Issue 14: a stalled path monitor is counted every time and logged once per 10 s with its lateness. */
    @Test
    void monitorStallsReachTheCounterAndARateLimitedLogLine() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataPathMeters meters = new DataPathMeters(registry);
        DataPathListener l = listenerFor(meters);
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(PcapDataPathProvider.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
                new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            l.pathMonitorStalled(3_078_000_000L);
            l.pathMonitorStalled(150_000_000L);
            l.pathMonitorStalled(200_000_000L);
        } finally {
            logger.detachAppender(log);
        }
        assertEquals(3, registry.get("poolsa.path.monitor.stalls").counter().count());
        List<String> lines = log.list.stream().map(e -> e.getFormattedMessage())
                .filter(m -> m.startsWith("event=path_monitor_stall")).toList();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("event=path_monitor_stall late_ms=3078.0 suppressed=0 "), lines.get(0));
    }

    /**
     * The first switch after the start loads no class in the listener (its log line and meters): docs/benchmarks.md §5
     * saw the first metrics and log call after a switch stall its thread for ~230 ms under load, class loading and
     * cold code on the path from the kernel's message to the first packet on the new path. The listener warms that path
     * when it is made, without counting anything. Counted in loaded classes, not timed.
     */
    @Test
    void theFirstSwitchLoadsNoClassAndTheWarmUpCountsNothing() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DataPathMeters meters = new DataPathMeters(registry);
        DataPathListener l = listenerFor(meters);
        SecurityAssociation sa = onA1B2();
        l.pathStateChanged(A1, B1, null, PathState.UNVERIFIED); // as at start
        l.pathStateChanged(A1, B2, null, PathState.UNVERIFIED);
        l.pathStateChanged(A1, B1, PathState.UNVERIFIED, PathState.UP);
        l.pathStateChanged(A1, B2, PathState.UNVERIFIED, PathState.UP);
        ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
        long before = classes.getTotalLoadedClassCount();
        l.outerPathChanged(sa, A1, B1, PathSwitchCause.LOCAL_EVENT, 1_250_000L);
        l.pathStateChanged(A1, B1, PathState.UP, PathState.DOWN);
        long loaded = classes.getTotalLoadedClassCount() - before;
        assertEquals(0, loaded, "classes loaded by the first switch's log line and meters");
        assertEquals(1, registry.get("poolsa.path.switches").tag("cause", "local_event").counter().count());
        for (PathSwitchCause cause : PathSwitchCause.values()) {
            if (cause != PathSwitchCause.LOCAL_EVENT) {
                assertEquals(0, registry.get("poolsa.path.switches").tag("cause", cause.label()).counter().count(), cause.label());
            }
        }
        assertEquals(1, registry.get("poolsa.path.detection").tag("cause", "local_event").timer().count());
        assertEquals(1.25, registry.get("poolsa.path.detection").tag("cause", "local_event").timer().totalTime(TimeUnit.MILLISECONDS), 1e-9);
        assertEquals(1, meters.paths(PathState.DOWN));
        assertEquals(1, meters.paths(PathState.UP));
    }

    /** detection_ms in the switch log line: milliseconds with one decimal, rounded half up, as %.1f printed it. */
    @Test
    void detectionMillisAreFormattedWithOneDecimal() {
        assertEquals("1.3", PcapDataPathProvider.millis(1_250_000L));
        assertEquals("0.0", PcapDataPathProvider.millis(0L));
        assertEquals("0.1", PcapDataPathProvider.millis(50_000L));
        assertEquals("120.2", PcapDataPathProvider.millis(120_230_000L));
        assertEquals("3078.0", PcapDataPathProvider.millis(3_077_999_999L));
        assertEquals("-", PcapDataPathProvider.millis(-1L));
    }

    @Test
    void icmpErrorsComeFromTheFirstInsideAddressOfEachFamily() throws Exception {
        DataPlaneConfig p = planeFor(ConfigFixture.YAML.replace("addresses: [192.0.2.1/25]",
                "addresses: [192.0.2.1/25, 2001:db8:a::1/64, 192.0.2.2/25]"));
        assertEquals(OuterAddress.parse("192.0.2.1"), p.mtu().icmpSourceV4());
        assertEquals(OuterAddress.parse("2001:db8:a::1"), p.mtu().icmpSourceV6());
        DataPlaneConfig v4only = planeFor(ConfigFixture.YAML);
        assertEquals(OuterAddress.parse("192.0.2.1"), v4only.mtu().icmpSourceV4());
        assertEquals(null, v4only.mtu().icmpSourceV6());
    }
}

package net.poolsa.appliance.metrics;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.util.TimeUtils;
import net.poolsa.esp.emit.UplinkEmitter;
import net.poolsa.esp.event.PathState;
import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.event.SwitchHold;

/**
 * The meters the data path records into directly (the data plane itself stays free of Micrometer: the
 * wiring passes these methods as plain callbacks). Recording is allocation-free. Every tag value of the path
 * meters is present from the start (the fixed sets of causes, reasons and states), so rates and alerts see zeros
 * rather than missing series.
 */
public final class DataPathMeters {
    /** Histogram buckets for one SAD lookup: it takes tens of nanoseconds, a slow one microseconds. */
    static final Duration[] SAD_LOOKUP_BUCKETS = {
        Duration.ofNanos(25), Duration.ofNanos(50), Duration.ofNanos(100), Duration.ofNanos(250),
        Duration.ofNanos(500), Duration.ofNanos(1_000), Duration.ofNanos(2_500), Duration.ofNanos(5_000),
        Duration.ofNanos(10_000), Duration.ofNanos(50_000), Duration.ofNanos(250_000), Duration.ofNanos(1_000_000)
    };
    /** Histogram buckets for a path failure's detection: a local event takes microseconds, a probe timeout 120 ms by default. */
    static final Duration[] DETECTION_BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(150), Duration.ofMillis(200), Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofSeconds(3), Duration.ofSeconds(10)
    };

    private final Timer sadLookup;
    private final Timer spdLookup;
    private final Map<PathSwitchCause, Counter> switches = new EnumMap<>(PathSwitchCause.class);
    private final Map<PathSwitchCause, Timer> detection = new EnumMap<>(PathSwitchCause.class);
    private final Map<SwitchHold, Counter> held = new EnumMap<>(SwitchHold.class);
    private final Map<PathState, AtomicInteger> paths = new EnumMap<>(PathState.class);
    private final Counter probes;
    private volatile List<UplinkEmitter> emitters = List.of();
    private volatile int eventLoops;
    private volatile Supplier<long[]> handedOff = () -> new long[0];
    private final Counter stalls;

    private final MeterRegistry registry;

    public DataPathMeters(MeterRegistry registry) {
        this.registry = registry;
        this.sadLookup = Timer.builder("poolsa.sad.lookup")
                .description("Time to find the inbound SA of a packet by SPI and pool check")
                .serviceLevelObjectives(SAD_LOOKUP_BUCKETS)
                .register(registry);
        this.spdLookup = Timer.builder("poolsa.spd.lookup")
                .description("Time to find the outbound policy of a cleartext packet")
                .serviceLevelObjectives(SAD_LOOKUP_BUCKETS)
                .register(registry);
        for (PathSwitchCause c : PathSwitchCause.values()) {
            switches.put(c, Counter.builder("poolsa.path.switches").tag("cause", c.label())
                    .description("Outbound SAs moved to another pair of outer addresses (same SPI, no IKE), by cause")
                    .register(registry));
            if (c != PathSwitchCause.SWITCH_BACK && c != PathSwitchCause.PLACEMENT) { // nothing failed: nothing detected
                detection.put(c, Timer.builder("poolsa.path.detection").tag("cause", c.label())
                        .description("How long the old path had been without evidence when its SA was moved "
                                + "(local_event: from the kernel's message to the move)")
                        .serviceLevelObjectives(DETECTION_BUCKETS).register(registry));
            }
        }
        for (SwitchHold h : SwitchHold.values()) {
            held.put(h, Counter.builder("poolsa.path.switches.held").tag("reason", h.label())
                    .description("Switches to a better path not made (yet): hysteresis or the per-SA switch limit")
                    .register(registry));
        }
        for (PathState s : PathState.values()) {
            AtomicInteger n = new AtomicInteger();
            paths.put(s, n);
            Gauge.builder("poolsa.path.pairs", n, AtomicInteger::get).tag("state", s.label())
                    .description("Monitored paths (pairs of local and peer outer addresses) by state").register(registry);
        }
        this.probes = Counter.builder("poolsa.path.probes")
                .description("Path probes sent (ICMP/ICMPv6 echo requests, one per path, never one per SA)").register(registry);
        this.stalls = Counter.builder("poolsa.path.monitor.stalls")
                .description("Path monitor ticks that ran so late (the event loop stalled) that every detection window "
                        + "restarted instead of paths being declared down").register(registry);
    }

    /** One inbound SAD lookup took {@code nanos}. */
    public void sadLookup(long nanos) {
        sadLookup.record(nanos, TimeUnit.NANOSECONDS);
    }

    public Timer sadLookupTimer() {
        return sadLookup;
    }

    /** One outbound SPD lookup took {@code nanos}. */
    public void spdLookup(long nanos) {
        spdLookup.record(nanos, TimeUnit.NANOSECONDS);
    }

    public Timer spdLookupTimer() {
        return spdLookup;
    }

    /** An SA moved; {@code detectionNanos} is negative when it does not apply. */
    public void pathSwitched(PathSwitchCause cause, long detectionNanos) {
        switches.get(cause).increment();
        Timer t = detection.get(cause);
        if (t != null && detectionNanos >= 0) {
            t.record(detectionNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Runs the first-use code of {@link #pathSwitched}'s recording once without recording anything: a Timer's first
     * record loads its unit conversion, which the first switch after the start would otherwise pay for.
     */
    public void warmUp() {
        TimeUtils.convert(1, TimeUnit.NANOSECONDS, TimeUnit.SECONDS);
    }

    public void switchHeld(SwitchHold why) {
        held.get(why).increment();
    }

    /** A path changed state; null stands for "not monitored" (before it was added, after it was removed). */
    public void pathState(PathState previous, PathState current) {
        if (previous != null) {
            paths.get(previous).decrementAndGet();
        }
        if (current != null) {
            paths.get(current).incrementAndGet();
        }
    }

    public void probesSent(int count) {
        probes.increment(count);
    }

    public void monitorStalled() {
        stalls.increment();
    }

    /** Monitored paths in {@code state} now (tests, status). */
    public int paths(PathState state) {
        return paths.get(state).get();
    }

    /**
     * The emit path's counters: IPsec packets sent through the uplinks' transmit rings and through the raw sockets
     * (the fallback, or the mode chosen), and the same for decapsulated packets towards the cleartext side, summed
     * over the data plane's event loops (one emitter each). Plain counters
     * of the loops, read without a lock: a scrape may lag by a batch.
     */
    public void emitter(List<UplinkEmitter> emitters) {
        // Micrometer holds a function counter's object weakly: the meters read the list through this object, which the
        // appliance keeps, and a data path started anew hands in its own emitters.
        this.emitters = List.copyOf(emitters);
        FunctionCounter.builder("poolsa.emit.packets", this, m -> m.emitters.stream().mapToLong(UplinkEmitter::ringPackets).sum())
                .tag("path", "ring")
                .baseUnit("packets").description("IPsec packets sent to the uplinks, by emit path").register(registry);
        FunctionCounter.builder("poolsa.emit.packets", this, m -> m.emitters.stream().mapToLong(UplinkEmitter::rawIpsecPackets).sum())
                .tag("path", "raw")
                .baseUnit("packets").description("IPsec packets sent to the uplinks, by emit path").register(registry);
        FunctionCounter.builder("poolsa.emit.decapsulated.packets", this,
                        m -> m.emitters.stream().mapToLong(UplinkEmitter::decapsulatedRingPackets).sum())
                .tag("path", "ring")
                .baseUnit("packets").description("Decapsulated packets sent to the cleartext side, by emit path").register(registry);
        FunctionCounter.builder("poolsa.emit.decapsulated.packets", this,
                        m -> m.emitters.stream().mapToLong(UplinkEmitter::decapsulatedRawPackets).sum())
                .tag("path", "raw")
                .baseUnit("packets").description("Decapsulated packets sent to the cleartext side, by emit path").register(registry);
    }

    /**
     * The data plane's event loops, and the cleartext packets the loops handed to the loop that owns their outbound SA
     * (summed over the loops; {@code handedOff} is read at each scrape, zero with one loop).
     */
    public void eventLoops(int loops, Supplier<long[]> handedOff) {
        this.eventLoops = loops;
        this.handedOff = handedOff;
        Gauge.builder("poolsa.datapath.event.loops", this, m -> m.eventLoops)
                .description("Event loops the data path runs on (data-path.event-loops)").register(registry);
        FunctionCounter.builder("poolsa.datapath.handoff.packets", this, m -> Arrays.stream(m.handedOff.get()).sum())
                .baseUnit("packets").description("Cleartext packets handed to the event loop that owns their outbound SA")
                .register(registry);
    }
}

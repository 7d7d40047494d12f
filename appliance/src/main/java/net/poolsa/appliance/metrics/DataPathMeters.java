package net.poolsa.appliance.metrics;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The meters the data path records into directly (the data plane itself stays free of Micrometer: the
 * wiring passes these methods as plain callbacks). Recording is allocation-free.
 */
public final class DataPathMeters {
    /** Histogram buckets for one SAD lookup: it takes tens of nanoseconds, a slow one microseconds. */
    static final Duration[] SAD_LOOKUP_BUCKETS = {
        Duration.ofNanos(25), Duration.ofNanos(50), Duration.ofNanos(100), Duration.ofNanos(250),
        Duration.ofNanos(500), Duration.ofNanos(1_000), Duration.ofNanos(2_500), Duration.ofNanos(5_000),
        Duration.ofNanos(10_000), Duration.ofNanos(50_000), Duration.ofNanos(250_000), Duration.ofNanos(1_000_000)
    };

    private final Timer sadLookup;

    public DataPathMeters(MeterRegistry registry) {
        this.sadLookup = Timer.builder("poolsa.sad.lookup")
                .description("Time to find the inbound SA of a packet by SPI and pool check")
                .serviceLevelObjectives(SAD_LOOKUP_BUCKETS)
                .register(registry);
    }

    /** One inbound SAD lookup took {@code nanos}. */
    public void sadLookup(long nanos) {
        sadLookup.record(nanos, TimeUnit.NANOSECONDS);
    }

    public Timer sadLookupTimer() {
        return sadLookup;
    }
}

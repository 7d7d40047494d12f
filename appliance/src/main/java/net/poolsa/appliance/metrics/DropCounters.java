package net.poolsa.appliance.metrics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import net.poolsa.esp.event.RateLimitedLog;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Binds the data plane's drop events to {@code poolsa_drops_total{reason}}. Every reason is registered at
 * start, so a cause that never happened reads 0 instead of being absent (alerts on rate() need that).
 * Each drop also may write one rate-limited log line per reason.
 */
public final class DropCounters implements DropListener {
    private static final Logger LOG = LoggerFactory.getLogger("net.poolsa.drops");
    private static final DropReason[] REASONS = DropReason.values();

    private final Counter[] counters = new Counter[REASONS.length];
    private final RateLimitedLog rateLimit;

    public DropCounters(MeterRegistry registry, RateLimitedLog rateLimit) {
        this.rateLimit = rateLimit;
        for (DropReason r : REASONS) {
            counters[r.ordinal()] = Counter.builder("poolsa.drops")
                    .description("Packets dropped by the data plane, by cause")
                    .tag("reason", r.label())
                    .register(registry);
        }
    }

    @Override
    public void dropped(DropReason reason, SecurityAssociation sa) {
        counters[reason.ordinal()].increment();
        long suppressed = rateLimit.permit(reason.ordinal());
        if (suppressed != RateLimitedLog.SUPPRESSED) {
            // SPI and direction only: never key material, never packet bytes.
            LOG.warn("event=packet_dropped reason={} spi={} suppressed={}", reason.label(),
                    sa == null ? "none" : sa.spiHex(), suppressed);
        }
    }

    /** Drops counted by the host's firewall rules: one increment and at most one log line for all of them. */
    @Override
    public void droppedByHost(DropReason reason, long count) {
        if (count <= 0) {
            return;
        }
        counters[reason.ordinal()].increment(count);
        long suppressed = rateLimit.permit(reason.ordinal());
        if (suppressed != RateLimitedLog.SUPPRESSED) {
            LOG.warn("event=packets_dropped reason={} packets={} by=host_firewall", reason.label(), count);
        }
    }

    public double count(DropReason reason) {
        return counters[reason.ordinal()].count();
    }
}

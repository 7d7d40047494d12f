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
 * Each drop also may write one rate-limited log line per reason. The line names the drop it was written for
 * ({@code spi=}, the reason's running total {@code reason_total=}) and, apart from it, what was not logged since
 * the reason's previous line: how many ({@code suppressed=}) and the SPIs of the first and last of those
 * ({@code suppressed_first_spi=}, {@code suppressed_last_spi=}), so a count is never shown as if it were one SPI's.
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
        Counter c = counters[reason.ordinal()];
        c.increment();
        long key = sa == null ? RateLimitedLog.NO_KEY : RateLimitedLog.spiKey(sa.spi());
        RateLimitedLog.Suppressed suppressed = rateLimit.admit(reason.ordinal(), key);
        if (suppressed != null) {
            // SPIs and counts only: never key material, never packet bytes.
            LOG.warn("event=packet_dropped reason={} spi={} reason_total={}{}", reason.label(),
                    RateLimitedLog.Suppressed.spi(key), (long) c.count(), suppressed.describeSpis());
        }
    }

    /**
     * Drops counted by the host's firewall rules (read from their counters): one increment for all of them, and
     * at most one line per window and reason, which gives the packets of this report and the reason's total.
     */
    @Override
    public void droppedByHost(DropReason reason, long count) {
        if (count <= 0) {
            return;
        }
        Counter c = counters[reason.ordinal()];
        c.increment(count);
        if (rateLimit.admit(reason.ordinal(), RateLimitedLog.NO_KEY) != null) {
            LOG.warn("event=packets_dropped reason={} packets={} by=host_firewall reason_total={}", reason.label(), count,
                    (long) c.count());
        }
    }

    public double count(DropReason reason) {
        return counters[reason.ordinal()].count();
    }
}

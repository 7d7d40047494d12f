package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.poolsa.esp.event.RateLimitedLog;
import net.poolsa.esp.event.DropReason;

/** A flood of drops is counted exactly but logged once per window and cause, with the suppressed count. */
class DropCountersTest {
    final Logger logger = (Logger) LoggerFactory.getLogger("net.poolsa.drops");
    final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    final AtomicLong now = new AtomicLong();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DropCounters drops;

    @BeforeEach
    void setUp() {
        appender.start();
        logger.addAppender(appender);
        drops = new DropCounters(registry, new RateLimitedLog(DropReason.values().length, 1, 10_000_000_000L, now::get));
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(appender);
    }

    @Test
    void countsEveryDropLogsFew() {
        for (int i = 0; i < 10_000; i++) {
            drops.dropped(DropReason.REPLAYED, null);
        }
        drops.dropped(DropReason.BAD_ICV, null);
        assertEquals(10_000, drops.count(DropReason.REPLAYED));
        assertEquals(1, drops.count(DropReason.BAD_ICV));
        assertEquals(2, appender.list.size());
        now.addAndGet(10_000_000_000L);
        drops.dropped(DropReason.REPLAYED, null);
        assertEquals(3, appender.list.size());
        String line = appender.list.get(2).getFormattedMessage();
        assertEquals("event=packet_dropped reason=replayed spi=none suppressed=9999", line);
        assertTrue(registry.find("poolsa.drops").tag("reason", "too_old").counter() != null, "all reasons registered");
    }
}

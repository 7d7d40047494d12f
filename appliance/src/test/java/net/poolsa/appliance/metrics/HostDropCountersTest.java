package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.RateLimitedLog;

/** Drops the host's nftables rules counted arrive in bulk: counted in full, logged at most once per window. */
class HostDropCountersTest {
    final Logger logger = (Logger) LoggerFactory.getLogger("net.poolsa.drops");
    final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    final AtomicLong now = new AtomicLong();
    DropCounters drops;

    @BeforeEach
    void setUp() {
        appender.start();
        logger.addAppender(appender);
        drops = new DropCounters(new SimpleMeterRegistry(), new RateLimitedLog(DropReason.values().length, 1, 10_000_000_000L,
                now::get));
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(appender);
    }

    @Test
    void bulkHostDropsAreCountedInFullAndLoggedWithTheirTotal() {
        drops.droppedByHost(DropReason.INBOUND_CLEARTEXT, 5);
        drops.droppedByHost(DropReason.INBOUND_CLEARTEXT, 0);
        drops.droppedByHost(DropReason.INBOUND_CLEARTEXT, 1000);
        now.addAndGet(10_000_000_000L);
        drops.droppedByHost(DropReason.INBOUND_CLEARTEXT, 3);
        drops.droppedByHost(DropReason.INBOUND_DISCARD, 2);
        assertEquals(1008, drops.count(DropReason.INBOUND_CLEARTEXT));
        assertEquals(2, drops.count(DropReason.INBOUND_DISCARD));
        assertEquals(List.of(
                "event=packets_dropped reason=inbound_cleartext packets=5 by=host_firewall reason_total=5",
                "event=packets_dropped reason=inbound_cleartext packets=3 by=host_firewall reason_total=1008",
                "event=packets_dropped reason=inbound_discard packets=2 by=host_firewall reason_total=2"),
                appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
    }
}

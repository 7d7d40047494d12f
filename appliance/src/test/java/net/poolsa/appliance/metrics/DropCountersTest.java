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
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;

/** A flood of drops is counted exactly but logged once per window and cause, with what was suppressed. */
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
        assertEquals("event=packet_dropped reason=replayed spi=none reason_total=10001 suppressed=9999"
                + " suppressed_first_spi=none suppressed_last_spi=none", line);
        assertTrue(registry.find("poolsa.drops").tag("reason", "too_old").counter() != null, "all reasons registered");
    }

    /**
     * The line names its own drop's SPI; the suppressed count is shown with the SPIs of the first and last drop it
     * covers, never as if it belonged to the SPI the line names.
     */
    @Test
    void theLineSaysWhichSpisItsSuppressedCountCovers() {
        SecurityAssociation a = sa(0x1001);
        SecurityAssociation b = sa(0x2002);
        SecurityAssociation c = sa(0x3003);
        drops.dropped(DropReason.BAD_ICV, a);
        assertEquals("event=packet_dropped reason=bad_icv spi=0x00001001 reason_total=1", last());
        for (int i = 0; i < 400; i++) {
            drops.dropped(DropReason.BAD_ICV, i % 2 == 0 ? b : a);
        }
        drops.dropped(DropReason.BAD_ICV, null);
        drops.dropped(DropReason.BAD_ICV, c);
        assertEquals(1, appender.list.size(), "402 drops in the window, none logged");
        now.addAndGet(10_000_000_000L);
        drops.dropped(DropReason.BAD_ICV, a);
        assertEquals("event=packet_dropped reason=bad_icv spi=0x00001001 reason_total=404 suppressed=402"
                + " suppressed_first_spi=0x00002002 suppressed_last_spi=0x00003003", last());
        assertEquals(404, drops.count(DropReason.BAD_ICV));
    }

    private String last() {
        return appender.list.get(appender.list.size() - 1).getFormattedMessage();
    }

    private static SecurityAssociation sa(int spi) {
        AddressPool p = AddressPool.parse("198.51.100.0/28");
        return SecurityAssociation.builder().spi(spi).direction(Direction.INBOUND).localOuter(p).remoteOuter(p)
                .selector(TrafficSelector.between(p, p)).keys(new SaKeys("null", new byte[0], "hmac-sha2-256-128", new byte[32]))
                .build();
    }
}

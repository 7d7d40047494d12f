package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.replay.SequenceNumbers;
import net.poolsa.esp.transform.SaTransformContext;

/** {@code poolsa_sa_sequence_remaining}: what a manually keyed SA may still send, 0 once it is used up. */
class SequenceRemainingGaugeTest {
    @TempDir
    Path dir;

    @Test
    void countsDownToZero() throws Exception {
        try (MetricsFixture f = new MetricsFixture(dir)) {
            String series = "poolsa_sa_sequence_remaining{connection=\"site-c\",} ";
            assertTrue(f.metrics.scrape().contains(series + "4.294967295E9"), f.metrics::scrape);
            OutboundSequence s = SaTransformContext.of(f.manager.installed("site-c").outbound()).outbound();
            s.next();
            s.next();
            s.next();
            assertTrue(f.metrics.scrape().contains(series + "4.294967292E9"), f.metrics::scrape);
            s.skipTo(SequenceNumbers.MAX_32 - 99);
            assertTrue(f.metrics.scrape().contains(series + "100.0"), f.metrics::scrape);
            s.skipTo(SequenceNumbers.MAX_32 + 1);
            assertTrue(f.metrics.scrape().contains(series + "0.0"), f.metrics::scrape);
        }
    }
}

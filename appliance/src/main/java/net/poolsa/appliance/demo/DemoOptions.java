package net.poolsa.appliance.demo;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Parameters of {@code poolsa demo}.
 *
 * @param output      directory for captures, the metrics timeline and the summary
 * @param duration    how long traffic runs
 * @param failAfter   when the primary path is cut (an nftables drop rule or link down), from the start
 * @param restoreAfter when it comes back, from the start; null to leave it down
 * @param capture     whether to write pcap files of both paths
 * @param keep        leave the namespaces in place after the run, for inspection
 */
public record DemoOptions(Path output, Duration duration, Duration failAfter, Duration restoreAfter,
                          boolean capture, boolean keep) {
}

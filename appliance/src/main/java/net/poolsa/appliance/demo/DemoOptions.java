package net.poolsa.appliance.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Parameters of {@code poolsa demo}.
 *
 * @param output       directory for the summary, the picture, results.json and each run's logs and captures
 * @param duration     how long the paced transfer of each run lasts (several files of two seconds each)
 * @param failAfter    when the link fails, from the association's start
 * @param restoreAfter when it comes back, from the association's start; null to leave it down
 * @param capture      keep the pcap files of the captures (for Wireshark); they are read and deleted otherwise
 * @param keep         leave each run's namespaces in place after it, for inspection
 * @param scenarios    "host" (the paper's Fig. 10) and/or "router"
 * @param runs         variant keys: "plain", "poolsa", "per-address", "mobike"
 * @param directions   "download" and/or "upload"; null: both in the host case, download in the router case
 * @param rate         bytes per second of the paced transfer
 * @param message      bytes per SCTP message
 * @param keying       "ike" or "manual": how the poolsa runs key their SAs
 */
public record DemoOptions(Path output, Duration duration, Duration failAfter, Duration restoreAfter, boolean capture,
                          boolean keep, List<String> scenarios, List<String> runs, List<String> directions, long rate,
                          int message, String keying) {
}

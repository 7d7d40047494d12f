package net.poolsa.appliance.demo;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * The facts of one run, read from the harness's output at both ends and from the captures. Times are milliseconds
 * since the epoch.
 *
 * @param scenario           {@link Scenario#key()}
 * @param direction          "download" (the server sends, as in the paper) or "upload"
 * @param tunnel             what carried the traffic ({@link Tunnel#description()})
 * @param outcome            whether the run took place
 * @param reason             why not (empty when it did)
 * @param evidence           the log lines that show why (empty when it did)
 * @param startMillis        the association came up; the transfer starts
 * @param failureMillis      the link went down (the moment the command was handed to {@code ip})
 * @param nominalEndMillis   when the paced transfer would have ended without a failure
 * @param gap                the data gap at the receiver
 * @param deliveredInWindow  bytes the receiver delivered between start and nominal end
 * @param deliveredTotal     bytes the receiver delivered in all
 * @param offeredBytes       bytes the transfer was to carry (files x file size)
 * @param retransmittedChunks the sender's usrsctp counter sctps_sendretransdata (DATA chunks sent again; a chunk is one
 *                           message here)
 * @param sentChunks         the sender's sctps_senddata
 * @param spisBefore         per capture point, ESP SPIs seen in the 2 s before the failure
 * @param spisAfter          per capture point, ESP SPIs seen in the 2 s after data resumed (after the failure if it
 *                           never did)
 * @param ikeBefore          IKE messages on the wire before the failure (all capture points)
 * @param ikeAfter           IKE messages on the wire after the failure, by exchange ("Quick Mode", "INFORMATIONAL")
 * @param secondaryAfter     packets and bytes (ESP, or SCTP DATA without IPsec) on the second capture point after the
 *                           failure: {@code [packets, bytes]}
 * @param events             the SCTP path and association events of both ends, as "+T s END: text" from the failure
 * @param bins               bytes the receiver delivered per millisecond
 * @param report             what the tunnel's endpoints reported
 * @param dir                where the logs, configurations and captures of this run are
 */
record RunResult(String scenario, Variant variant, String direction, String tunnel, Outcome outcome, String reason,
                 String evidence, long startMillis, long failureMillis, long nominalEndMillis, DataGap gap,
                 long deliveredInWindow, long deliveredTotal, long offeredBytes, long retransmittedChunks, long sentChunks,
                 Map<String, List<String>> spisBefore, Map<String, List<String>> spisAfter, int ikeBefore,
                 Map<String, Integer> ikeAfter, long[] secondaryAfter, List<String> events,
                 NavigableMap<Long, Long> bins, TunnelReport report, Path dir) {

    enum Outcome { RAN, UNAVAILABLE, FAILED }

    static RunResult notRun(String scenario, Variant variant, String direction, String tunnel, Outcome outcome,
                            String reason, String evidence, Path dir) {
        return new RunResult(scenario, variant, direction, tunnel, outcome, reason, evidence, 0, 0, 0, null, 0, 0, 0, -1,
                -1, Map.of(), Map.of(), 0, Map.of(), new long[2], List.of(), new java.util.TreeMap<>(), TunnelReport.NONE,
                dir);
    }

    boolean ran() {
        return outcome == Outcome.RAN;
    }

    int ikeAfterTotal() {
        return ikeAfter.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Every SPI seen before the failure, on any capture point, sorted. */
    List<String> allSpisBefore() {
        return spisBefore.values().stream().flatMap(List::stream).distinct().sorted().toList();
    }

    List<String> allSpisAfter() {
        return spisAfter.values().stream().flatMap(List::stream).distinct().sorted().toList();
    }
}

package net.poolsa.appliance.demo;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.poolsa.appliance.control.Json;

/**
 * {@code results.json}: the facts of every run in machine-readable form (what the summary prints, without the
 * per-millisecond bins), for scripts and for the end-to-end test, which reads the facts rather than the text.
 */
final class ResultsFile {
    private ResultsFile() {
    }

    static String write(List<RunResult> results, Map<String, Object> settings) {
        List<Object> runs = new ArrayList<>();
        for (RunResult r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("scenario", r.scenario());
            m.put("variant", r.variant().key);
            m.put("direction", r.direction());
            m.put("tunnel", r.tunnel());
            m.put("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT));
            m.put("reason", r.reason());
            if (r.ran()) {
                m.put("start_ms", r.startMillis());
                m.put("failure_ms", r.failureMillis());
                m.put("nominal_end_ms", r.nominalEndMillis());
                m.put("gap_ms", r.gap().millis());
                m.put("resumed", r.gap().resumed());
                m.put("gap_start_ms", r.gap().startMillis());
                m.put("gap_end_ms", r.gap().endMillis());
                m.put("delivered_in_window_bytes", r.deliveredInWindow());
                m.put("delivered_total_bytes", r.deliveredTotal());
                m.put("offered_bytes", r.offeredBytes());
                m.put("delivered_after_failure_bytes", r.bins().tailMap(r.failureMillis(), false).values().stream()
                        .mapToLong(Long::longValue).sum());
                m.put("retransmitted_chunks", r.retransmittedChunks());
                m.put("sent_chunks", r.sentChunks());
                m.put("spis_before", new LinkedHashMap<String, Object>(r.spisBefore()));
                m.put("spis_after", new LinkedHashMap<String, Object>(r.spisAfter()));
                m.put("ike_before", r.ikeBefore());
                m.put("ike_after", new LinkedHashMap<String, Object>(r.ikeAfter()));
                m.put("ike_after_total", r.ikeAfterTotal());
                m.put("secondary_after_packets", r.secondaryAfter()[0]);
                m.put("secondary_after_bytes", r.secondaryAfter()[1]);
                m.put("events", r.events());
                List<Object> continuity = new ArrayList<>();
                for (TunnelReport.Continuity c : r.report().continuity()) {
                    Map<String, Object> cm = new LinkedHashMap<>();
                    cm.put("role", c.role());
                    cm.put("outer_switches", BigDecimal.valueOf(c.outerSwitches()));
                    cm.put("quick_modes_after_failure", BigDecimal.valueOf(c.quickModes()));
                    cm.put("last_switch_ms", c.lastSwitchMillis());
                    cm.put("sampled_until_ms", c.sampledUntilMillis());
                    cm.put("current_paths", c.currentPaths());
                    cm.put("samples", c.samples());
                    continuity.add(cm);
                }
                m.put("continuity", continuity);
                m.put("notes", r.report().notes());
            } else {
                m.put("evidence", r.evidence());
            }
            m.put("dir", r.dir().toString());
            runs.add(m);
        }
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("settings", settings);
        top.put("runs", runs);
        return Json.write(top) + "\n";
    }
}

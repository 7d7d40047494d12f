package net.poolsa.appliance.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Turns the harness's logs and the captures of one run into its {@link RunResult}. */
final class RunAnalysis {
    /** The window before the failure, and after the data resumed, in which SPIs are read from the wire. */
    static final long SPI_WINDOW_MILLIS = 2000;

    private RunAnalysis() {
    }

    /**
     * @param captures       per capture point label, in {@link Scenario#captures()} order (failing link first)
     * @param runEndMillis   when the run stopped looking (the bound of a gap that never ends)
     */
    static RunResult analyze(String scenario, Variant variant, boolean upload, String tunnel, SctpLog client,
                             SctpLog server, Map<String, WireLog> captures, long failureMillis, long nominalEndMillis,
                             long offeredBytes, long runEndMillis, TunnelReport report, Path dir) {
        SctpLog receiver = upload ? server : client;
        SctpLog sender = upload ? client : server;
        long start = client.connectedMicros() == null ? failureMillis : client.connectedMicros() / 1000;
        DataGap gap = DataGap.of(receiver.binsMillis(), failureMillis, runEndMillis);
        long inWindow = receiver.binsMillis().subMap(start, true, nominalEndMillis, true).values().stream()
                .mapToLong(Long::longValue).sum();
        long total = receiver.binsMillis().values().stream().mapToLong(Long::longValue).sum();
        long failMicros = failureMillis * 1000;
        long resumeMicros = (gap.resumed() ? gap.endMillis() : failureMillis) * 1000;
        Map<String, List<String>> before = new LinkedHashMap<>();
        Map<String, List<String>> after = new LinkedHashMap<>();
        int ikeBefore = 0;
        Map<String, Integer> ikeAfter = new TreeMap<>();
        long[] secondary = new long[2];
        List<String> labels = new ArrayList<>(captures.keySet());
        for (Map.Entry<String, WireLog> c : captures.entrySet()) {
            TreeSet<String> b = new TreeSet<>();
            TreeSet<String> a = new TreeSet<>();
            for (WireLog.Packet p : c.getValue().packets()) {
                long t = p.micros();
                if (p.kind() == WireLog.Kind.ESP) {
                    if (t < failMicros && t >= failMicros - SPI_WINDOW_MILLIS * 1000) {
                        b.add(p.spiHex());
                    }
                    if (t >= resumeMicros && t < resumeMicros + SPI_WINDOW_MILLIS * 1000) {
                        a.add(p.spiHex());
                    }
                } else if (p.kind() == WireLog.Kind.IKE) {
                    if (t < failMicros) {
                        ikeBefore++;
                    } else {
                        ikeAfter.merge(WireLog.exchangeName(p.ikeVersion(), p.exchangeType()), 1, Integer::sum);
                    }
                }
                boolean carriesData = p.kind() == WireLog.Kind.ESP || p.kind() == WireLog.Kind.SCTP && p.dataBytes() > 0;
                if (labels.size() > 1 && c.getKey().equals(labels.get(1)) && t >= failMicros && carriesData) {
                    secondary[0]++;
                    secondary[1] += p.kind() == WireLog.Kind.SCTP ? p.dataBytes() : p.length();
                }
            }
            before.put(c.getKey(), List.copyOf(b));
            after.put(c.getKey(), List.copyOf(a));
        }
        List<String> events = new ArrayList<>();
        List<Object[]> all = new ArrayList<>();
        for (SctpLog.Event e : client.events()) {
            all.add(new Object[] {e.micros(), "client", e.text()});
        }
        for (SctpLog.Event e : server.events()) {
            all.add(new Object[] {e.micros(), "server", e.text()});
        }
        all.sort(Comparator.comparingLong(o -> (Long) o[0]));
        for (Object[] o : all) {
            String text = (String) o[2];
            if (text.startsWith("paddr") || text.startsWith("assoc") || text.startsWith("send_failed")) {
                events.add(String.format(Locale.ROOT, "%+.3f s %s: %s", ((Long) o[0] - failMicros) / 1e6, o[1], text));
            }
        }
        return new RunResult(scenario, variant, upload ? "upload" : "download", tunnel, RunResult.Outcome.RAN, "", "",
                start, failureMillis, nominalEndMillis, gap, inWindow, total, offeredBytes,
                sender.stat("sctps_sendretransdata"), sender.stat("sctps_senddata"), before, after, ikeBefore, ikeAfter,
                secondary, events, receiver.binsMillis(), report, dir);
    }
}

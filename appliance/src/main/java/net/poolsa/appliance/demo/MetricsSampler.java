package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Samples a poolsa endpoint's {@code /metrics} inside its namespace (the listener is on that namespace's loopback,
 * out of this JVM's reach), the way Prometheus would scrape it, and reads the tunnel-continuity story from the samples:
 * outer-address switches without rekey, Quick Modes after the failure, when the last switch happened, and which outer
 * addresses the SAs use at the end.
 */
final class MetricsSampler {
    static final String URL = "http://127.0.0.1:9742/metrics";
    /** Sampling period: fine enough to place a switch within a failover of a second. */
    static final double INTERVAL_SECONDS = 0.2;
    private static final String SCRIPT = """
            import sys, time, urllib.request
            url, interval = sys.argv[1], float(sys.argv[2])
            keep = ('poolsa_tunnel_', 'poolsa_path_', 'poolsa_ike_exchanges_total', 'poolsa_sas')
            while True:
                t = time.time()
                try:
                    body = urllib.request.urlopen(url, timeout=2).read().decode()
                    lines = [l for l in body.splitlines() if l.startswith(keep)]
                    print('sample %d' % int(t * 1000))
                    print('\\n'.join(lines), flush=True)
                except Exception as e:
                    print('error %d %s' % (int(t * 1000), e), flush=True)
                time.sleep(max(0.0, interval - (time.time() - t)))
            """;
    private static final Pattern SERIES = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"([^\"]*)\"");

    /** One scrape: series (name plus labels, as printed) to value. */
    record Sample(long millis, Map<String, Double> values) {
        double sum(String name, Map<String, String> labels) {
            double s = 0;
            for (Map.Entry<String, Double> e : values.entrySet()) {
                if (matches(e.getKey(), name, labels) && !e.getValue().isNaN()) {
                    s += e.getValue();
                }
            }
            return s;
        }

        boolean has(String name, Map<String, String> labels) {
            return values.keySet().stream().anyMatch(k -> matches(k, name, labels));
        }
    }

    private MetricsSampler() {
    }

    /** Starts sampling in {@code role}'s namespace into {@code log}; stopped by {@link Lab#close()} or by the caller. */
    static Process start(Lab lab, String role, Path log) throws IOException {
        return lab.spawn(role, List.of("/usr/bin/python3", "-u", "-c", SCRIPT, URL, Double.toString(INTERVAL_SECONDS)), log);
    }

    static List<Sample> read(Path log) throws IOException {
        List<Sample> out = new ArrayList<>();
        if (!Files.exists(log)) {
            return out;
        }
        Map<String, Double> current = null;
        long t = 0;
        for (String line : Files.readAllLines(log)) {
            if (line.startsWith("sample ")) {
                if (current != null) {
                    out.add(new Sample(t, current));
                }
                t = Long.parseLong(line.substring(7).trim());
                current = new LinkedHashMap<>();
            } else if (current != null) {
                Matcher m = SERIES.matcher(line);
                if (m.find()) {
                    current.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), parse(m.group(3)));
                }
            }
        }
        if (current != null) {
            out.add(new Sample(t, current));
        }
        return out;
    }

    /**
     * The continuity of one endpoint over a run: switches from the first sample at or after {@code fromMillis} (the
     * transfer's start) to the last one, Quick Modes from the last sample before {@code failureMillis}.
     */
    static TunnelReport.Continuity continuity(String role, List<Sample> samples, long fromMillis, long failureMillis) {
        List<Sample> window = samples.stream().filter(s -> s.millis() >= fromMillis).toList();
        if (window.isEmpty()) {
            return new TunnelReport.Continuity(role, 0, -1, -1, -1, List.of(), 0);
        }
        String switches = "poolsa_tunnel_outer_switches_total";
        Sample first = window.get(0);
        Sample last = window.get(window.size() - 1);
        double switchesStart = first.sum(switches, Map.of());
        double switchesEnd = last.sum(switches, Map.of());
        long lastSwitch = -1;
        if (switchesEnd > switchesStart) {
            for (Sample s : window) {
                if (s.sum(switches, Map.of()) == switchesEnd) {
                    lastSwitch = s.millis();
                    break;
                }
            }
        }
        Map<String, String> quick = Map.of("exchange", "quick_mode");
        double quickModes = -1;
        if (last.has("poolsa_ike_exchanges_total", quick)) {
            Sample before = first;
            for (Sample s : window) {
                if (s.millis() < failureMillis) {
                    before = s;
                }
            }
            quickModes = last.sum("poolsa_ike_exchanges_total", quick) - before.sum("poolsa_ike_exchanges_total", quick);
        }
        List<String> paths = new ArrayList<>();
        for (Map.Entry<String, Double> e : last.values().entrySet()) {
            if (e.getKey().startsWith("poolsa_tunnel_path_active{") && e.getValue() == 1.0) {
                Map<String, String> l = labels(e.getKey());
                paths.add(l.getOrDefault("side", "?") + "=" + l.getOrDefault("path", "?"));
            }
        }
        return new TunnelReport.Continuity(role, switchesEnd - switchesStart, quickModes, lastSwitch, last.millis(),
                List.copyOf(paths), window.size());
    }

    private static boolean matches(String series, String name, Map<String, String> labels) {
        if (!series.equals(name) && !series.startsWith(name + "{")) {
            return false;
        }
        Map<String, String> have = labels(series);
        return labels.entrySet().stream().allMatch(e -> e.getValue().equals(have.get(e.getKey())));
    }

    private static Map<String, String> labels(String series) {
        Map<String, String> out = new LinkedHashMap<>();
        int brace = series.indexOf('{');
        if (brace < 0) {
            return out;
        }
        Matcher m = LABEL.matcher(series.substring(brace));
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    private static double parse(String v) {
        return switch (v) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
    }
}

package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The Grafana dashboard and the Prometheus alert rules in deploy/ query only series (and label names)
 * that poolsa's registry exposes, and every dashboard query is valid PromQL according to promtool
 * (Debian package {@code prometheus}).
 */
class DeployQueriesTest {
    private static final Path DASHBOARD = Path.of("../deploy/grafana/poolsa-dashboard.json");
    private static final Path ALERTS = Path.of("../deploy/prometheus/poolsa-alerts.yml");
    /** Series Prometheus itself adds to every target. */
    private static final Set<String> SCRAPE_SERIES = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");
    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)\\}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");

    @TempDir
    Path dir;
    /** Exposed series name to its label names. */
    final Map<String, Set<String>> exposed = new HashMap<>();

    @BeforeEach
    void scrape() throws Exception {
        try (MetricsFixture f = new MetricsFixture(dir)) {
            for (String line : f.metrics.scrape().split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int brace = line.indexOf('{');
                int space = line.indexOf(' ');
                String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
                Set<String> labels = exposed.computeIfAbsent(name, k -> new HashSet<>());
                if (brace >= 0 && brace < space) {
                    Matcher m = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(line.substring(brace, line.lastIndexOf('}')));
                    while (m.find()) {
                        labels.add(m.group(1));
                    }
                }
            }
        }
        for (String s : SCRAPE_SERIES) {
            exposed.put(s, Set.of("job", "instance"));
        }
    }

    /** Metric names in a PromQL expression: identifiers that are not functions, keywords or label lists. */
    static Set<String> metricNames(String expr) {
        String e = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*\\}", " ")
                .replaceAll("\\[[^\\]]*\\]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?<![0-9.$])\\b([a-zA-Z_:][a-zA-Z0-9_:]*)\\b\\s*(\\()?").matcher(e);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase())) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    void extractorFindsMetricNamesOnly() {
        assertEquals(Set.of("poolsa_bytes_total"),
                metricNames("sum by (connection, direction) (rate(poolsa_bytes_total{connection=~\"$connection\"}[$__rate_interval])) * 8"));
        assertEquals(Set.of("a_total", "b"), metricNames("a_total > 1e-07 and on (instance) b == 1"));
    }

    private List<String> dashboardExpressions() throws Exception {
        List<String> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(DASHBOARD, StandardCharsets.UTF_8)) {
            collect(new Yaml().load(r), out);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void collect(Object node, List<String> out) {
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getKey().equals("expr") && e.getValue() instanceof String s) {
                    out.add(s);
                } else if (e.getKey().equals("definition") && e.getValue() instanceof String s) {
                    Matcher lv = Pattern.compile("label_values\\((\\w+),\\s*(\\w+)\\)").matcher(s);
                    assertTrue(lv.matches(), s);
                    out.add(lv.group(1) + "{" + lv.group(2) + "=~\".*\"}");
                } else {
                    collect(e.getValue(), out);
                }
            }
        } else if (node instanceof List<?> l) {
            for (Object o : l) {
                collect(o, out);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private List<String> alertExpressions() throws Exception {
        List<String> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(ALERTS, StandardCharsets.UTF_8)) {
            Map<String, Object> doc = new Yaml().load(r);
            for (Map<String, Object> g : (List<Map<String, Object>>) doc.get("groups")) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) g.get("rules")) {
                    out.add((String) rule.get("expr"));
                }
            }
        }
        return out;
    }

    private void assertOnlyExposedSeries(List<String> exprs, String what) {
        assertFalse(exprs.isEmpty());
        Set<String> used = new TreeSet<>();
        for (String expr : exprs) {
            Set<String> names = metricNames(expr);
            assertFalse(names.isEmpty(), "no metric found in " + expr);
            for (String name : names) {
                assertTrue(exposed.containsKey(name), () -> what + " uses " + name + ", which poolsa does not expose: " + expr);
                used.add(name);
            }
            Matcher sel = SELECTOR.matcher(expr);
            while (sel.find()) {
                Set<String> labels = exposed.get(sel.group(1));
                Matcher lm = MATCHER.matcher(sel.group(2));
                while (lm.find()) {
                    String label = lm.group(1);
                    assertTrue(labels != null && (labels.contains(label) || label.equals("job") || label.equals("instance")),
                            () -> what + " matches label " + label + " that " + sel.group(1) + " does not carry: " + expr);
                }
            }
        }
        System.out.println(what + " uses " + used);
    }

    @Test
    void dashboardUsesOnlyExposedSeries() throws Exception {
        List<String> exprs = dashboardExpressions();
        assertOnlyExposedSeries(exprs, "dashboard");
        String all = String.join("\n", exprs);
        for (String required : new String[] {"poolsa_sad_lookup_seconds_bucket", "poolsa_tunnel_path_active",
            "poolsa_tunnel_outer_switches_total", "poolsa_bytes_total", "poolsa_drops_total", "poolsa_path_switches_total",
            "poolsa_path_detection_seconds_bucket", "poolsa_path_pairs", "poolsa_path_switches_held_total", "poolsa_path_probes_total", "poolsa_ike_dpd_total", "poolsa_ike_dpd_peers_dead_total",
            "poolsa_spd_lookup_seconds_sum"}) {
            assertTrue(all.contains(required), required);
        }
    }

    @Test
    void alertRulesUseOnlyExposedSeries() throws Exception {
        List<String> exprs = alertExpressions();
        assertOnlyExposedSeries(exprs, "alert rules");
        String all = String.join("\n", exprs);
        for (String required : new String[] {"poolsa_path_switches_held_total", "poolsa_path_pairs", "poolsa_ike_dpd_total"}) {
            assertTrue(all.contains(required), required);
        }
    }

    /** promtool parses each dashboard query (Grafana's variables replaced by plain values) as a recording rule. */
    @Tag("root")
    @Test
    void dashboardQueriesAreValidPromql() throws Exception {
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int i = 0;
        for (String expr : dashboardExpressions()) {
            String plain = expr.replace("$__rate_interval", "1m").replace("$connection", ".*");
            rules.append("      - record: dashboard:query").append(i++).append('\n')
                    .append("        expr: '").append(plain.replace("'", "''")).append("'\n");
        }
        Path file = dir.resolve("dashboard-rules.yml");
        Files.writeString(file, rules);
        Process p = new ProcessBuilder("promtool", "check", "rules", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("SUCCESS: " + i + " rules found"), out);
    }
}

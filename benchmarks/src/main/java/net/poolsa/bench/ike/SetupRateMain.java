package net.poolsa.bench.ike;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import net.poolsa.ike.IkeEngine;

/**
 * IKEv1 tunnel setups per second, poolsa against strongSwan in the same run (docs/benchmarks.md §6): for each DH
 * group and authentication mode, a pair of poolsa engines ({@link PoolsaPair}) and a pair of charons
 * ({@link CharonPair}) with {@code --n} tunnel connections each; every round sets all n tunnels up (Main Mode +
 * Quick Mode with PFS, complete when both sides installed the child SAs) and tears them down again, either
 * {@code sequential} (one at a time: the next starts when the previous is complete) or {@code concurrent} (all n
 * started back to back, then awaited). Per round it reports setups/s (n over the time from the first start to the
 * last completion), setup latency p50/p99, and the CPU time both peers used per setup; the products alternate
 * within a round, and the summary takes medians over the rounds (latency percentiles over all setups pooled).
 * Authentication ({@link AuthMode}): {@code psk}, {@code cert} (ECDSA P-256 certificates of one CA made for the run,
 * {@link BenchPki}) or {@code cert-rsa} (RSA 2048). {@code --crypto-threads}: each poolsa engine's crypto pool
 * (default one thread per core, 0: on its event loop).
 * Needs root (namespaces, UDP port 500) and strongSwan 5.9; every namespace and daemon it starts is removed.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar net.poolsa.bench.ike.SetupRateMain [--n 100] [--rounds 5]
 *      [--warmup 3] [--groups 14,19] [--auth psk,cert] [--modes sequential,concurrent] [--products poolsa,strongswan]
 *      [--charon-dh-exponent short|full] [--crypto-threads CORES] [--keep true]
 * </pre>
 */
public final class SetupRateMain {
    /** The longest one round may take before the run is declared failed. */
    static final long ROUND_TIMEOUT_MILLIS = 180_000;

    private SetupRateMain() {
    }

    /** One round's figures. */
    record Round(String product, String mode, double setupsPerSecond, long[] latenciesNanos, double cpuMillisPerSetup,
                 double engineCpuMillisPerSetup) {
    }

    /** The medians over the rounds of one product and mode. */
    record Summary(String product, String mode, double setupsPerSecond, double p50Millis, double p99Millis,
                   double cpuMillisPerSetup, double engineCpuMillisPerSetup, int rounds) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        int n = Integer.parseInt(o.getOrDefault("n", "100"));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "5"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "3"));
        List<DhGroup> groups = new ArrayList<>();
        for (String g : o.getOrDefault("groups", "14,19").split(",")) {
            groups.add(DhGroup.ofNumber(Integer.parseInt(g.trim())));
        }
        List<AuthMode> auths = new ArrayList<>();
        for (String a : o.getOrDefault("auth", "psk,cert").split(",")) {
            auths.add(AuthMode.parse(a.trim()));
        }
        List<String> modes = List.of(o.getOrDefault("modes", "sequential,concurrent").split(","));
        List<String> products = List.of(o.getOrDefault("products", "poolsa,strongswan").split(","));
        boolean fullExponents = switch (o.getOrDefault("charon-dh-exponent", "short")) {
            case "short" -> false;
            case "full" -> true;
            default -> throw new IllegalArgumentException("--charon-dh-exponent short or full");
        };
        int cryptoThreads = Integer.parseInt(o.getOrDefault("crypto-threads",
                Integer.toString(IkeEngine.defaultCryptoThreads())));
        Path work = Files.createTempDirectory("poolsa-setup-bench-");
        System.out.printf(Locale.ROOT, "# n=%d rounds=%d warmup=%d charon MODP exponents=%s cpus=%d poolsa crypto "
                        + "threads=%d load=%s work=%s%n", n, rounds, warmup, fullExponents ? "full" : "short",
                Runtime.getRuntime().availableProcessors(), cryptoThreads, loadAverage(), work);
        List<String> table = new ArrayList<>();
        try {
            for (DhGroup g : groups) {
                for (AuthMode a : auths) {
                    table.addAll(report(g, a, runCase(n, rounds, warmup, g, a, modes, products, work, fullExponents,
                            cryptoThreads)));
                }
            }
        } finally {
            if (!o.getOrDefault("keep", "false").equals("true")) {
                deleteTree(work); // charon's configuration (with the benchmark's throwaway key) and logs
            }
        }
        System.out.printf(Locale.ROOT, "# load at the end: %s%n", loadAverage());
        System.out.println();
        System.out.println("| DH group | auth | mode | poolsa setups/s | strongSwan setups/s | ratio | poolsa p50 / p99 ms "
                + "| strongSwan p50 / p99 ms | poolsa CPU ms/setup (engine threads) | strongSwan CPU ms/setup |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        table.forEach(System.out::println);
    }

    /** Prints the SUMMARY lines of one case; returns its table rows. */
    private static List<String> report(DhGroup g, AuthMode a, List<Summary> s) {
        for (Summary x : s) {
            System.out.printf(Locale.ROOT, "SUMMARY group=%d auth=%s mode=%s product=%s setups_per_s=%.1f "
                            + "p50_ms=%.2f p99_ms=%.2f cpu_ms_per_setup=%.2f engine_cpu_ms_per_setup=%.2f rounds=%d%n",
                    g.number, a.label(), x.mode(), x.product(), x.setupsPerSecond(),
                    x.p50Millis(), x.p99Millis(), x.cpuMillisPerSetup(), x.engineCpuMillisPerSetup(), x.rounds());
        }
        return rows(g, a, s);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Both products for one group and auth mode: warm-up rounds, then {@code rounds} measured, products alternating. */
    static List<Summary> runCase(int n, int rounds, int warmup, DhGroup group, AuthMode auth, List<String> modes,
                                 List<String> products, Path work, boolean fullExponents) throws Exception {
        return runCase(n, rounds, warmup, group, auth, modes, products, work, fullExponents,
                IkeEngine.defaultCryptoThreads());
    }

    /** As above, each poolsa engine with {@code cryptoThreads} crypto threads (0: its DH and signatures on its loop). */
    static List<Summary> runCase(int n, int rounds, int warmup, DhGroup group, AuthMode auth, List<String> modes,
                                 List<String> products, Path work, boolean fullExponents, int cryptoThreads)
            throws Exception {
        List<SetupPair> pairs = new ArrayList<>();
        BenchPki pki = auth.certificates() ? BenchPki.create(Files.createTempDirectory(work, "pki-"),
                auth == AuthMode.CERT_RSA) : null;
        try {
            for (String p : products) {
                pairs.add(switch (p.trim()) {
                    case "poolsa" -> PoolsaPair.start(n, group, auth, pki, cryptoThreads);
                    case "strongswan" -> CharonPair.start(n, group, auth, pki, work, fullExponents);
                    default -> throw new IllegalArgumentException("product " + p + ": poolsa or strongswan");
                });
            }
            Map<String, List<Round>> byKey = new LinkedHashMap<>();
            for (int r = -warmup; r < rounds; r++) {
                for (String mode : modes) {
                    for (int i = 0; i < pairs.size(); i++) {
                        // alternate which product goes first, so that neither always runs right after the other
                        SetupPair pair = pairs.get(Math.floorMod(i + r, pairs.size()));
                        Round x = round(pair, n, mode.trim());
                        if (r >= 0) {
                            byKey.computeIfAbsent(pair.product() + " " + x.mode(), k -> new ArrayList<>()).add(x);
                        }
                        System.out.printf(Locale.ROOT, "%s group=%d auth=%s mode=%s product=%s round=%d "
                                        + "setups_per_s=%.1f p50_ms=%.2f p99_ms=%.2f cpu_ms_per_setup=%.2f "
                                + "engine_cpu_ms_per_setup=%.2f%n",
                                r < 0 ? "WARMUP" : "ROUND", group.number, auth.label(), x.mode(),
                                x.product(), r, x.setupsPerSecond(), millis(percentile(x.latenciesNanos(), 50)),
                                millis(percentile(x.latenciesNanos(), 99)), x.cpuMillisPerSetup(),
                                x.engineCpuMillisPerSetup());
                    }
                }
            }
            List<Summary> out = new ArrayList<>();
            for (List<Round> rs : byKey.values()) {
                long[] all = rs.stream().flatMapToLong(x -> Arrays.stream(x.latenciesNanos())).toArray();
                out.add(new Summary(rs.get(0).product(), rs.get(0).mode(),
                        median(rs.stream().mapToDouble(Round::setupsPerSecond).toArray()),
                        millis(percentile(all, 50)), millis(percentile(all, 99)),
                        median(rs.stream().mapToDouble(Round::cpuMillisPerSetup).toArray()),
                        median(rs.stream().mapToDouble(Round::engineCpuMillisPerSetup).toArray()), rs.size()));
            }
            return out;
        } finally {
            for (SetupPair p : pairs) {
                p.close();
            }
        }
    }

    /** n tunnel setups, sequential or concurrent, then all torn down (the teardown is not measured). */
    static Round round(SetupPair pair, int n, String mode) throws Exception {
        boolean concurrent = switch (mode) {
            case "sequential" -> false;
            case "concurrent" -> true;
            default -> throw new IllegalArgumentException("mode " + mode + ": sequential or concurrent");
        };
        Completions c = pair.newRound(n);
        long[] start = new long[n];
        long cpu0 = pair.cpuNanos();
        long engine0 = pair.engineCpuNanos();
        long t0 = System.nanoTime();
        for (int k = 0; k < n; k++) {
            start[k] = System.nanoTime();
            pair.initiate(k);
            if (!concurrent) {
                c.await(k + 1, ROUND_TIMEOUT_MILLIS);
            }
        }
        c.await(n, ROUND_TIMEOUT_MILLIS);
        long cpu1 = pair.cpuNanos();
        long engine1 = pair.engineCpuNanos();
        long last = 0;
        long[] latencies = new long[n];
        for (int k = 0; k < n; k++) {
            long done = c.done(k);
            last = Math.max(last, done);
            latencies[k] = done - start[k];
        }
        pair.terminateAll(n);
        return new Round(pair.product(), mode, n * 1e9 / (last - t0), latencies, (cpu1 - cpu0) / 1e6 / n,
                engine0 < 0 ? Double.NaN : (engine1 - engine0) / 1e6 / n);
    }

    static List<String> rows(DhGroup g, AuthMode a, List<Summary> s) {
        List<String> out = new ArrayList<>();
        for (Summary p : s) {
            if (!p.product().equals("poolsa")) {
                continue;
            }
            Summary w = s.stream().filter(x -> x.product().equals("strongswan") && x.mode().equals(p.mode()))
                    .findFirst().orElse(null);
            out.add(String.format(Locale.ROOT, "| %d | %s | %s | %.1f | %s | %s | %.1f / %.1f | %s | %.2f (%.2f) | %s |",
                    g.number, a.label(), p.mode(), p.setupsPerSecond(),
                    w == null ? "-" : String.format(Locale.ROOT, "%.1f", w.setupsPerSecond()),
                    w == null ? "-" : String.format(Locale.ROOT, "%.2f", p.setupsPerSecond() / w.setupsPerSecond()),
                    p.p50Millis(), p.p99Millis(),
                    w == null ? "-" : String.format(Locale.ROOT, "%.1f / %.1f", w.p50Millis(), w.p99Millis()),
                    p.cpuMillisPerSetup(), p.engineCpuMillisPerSetup(),
                    w == null ? "-" : String.format(Locale.ROOT, "%.2f", w.cpuMillisPerSetup())));
        }
        return out;
    }

    /** Nearest-rank percentile. */
    static long percentile(long[] values, double pct) {
        long[] v = values.clone();
        Arrays.sort(v);
        int rank = (int) Math.ceil(pct / 100.0 * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + "," + f[1] + "," + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: --NAME VALUE ...; got " + args[i]);
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }
}

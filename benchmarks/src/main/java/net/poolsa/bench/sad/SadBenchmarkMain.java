package net.poolsa.bench.sad;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jol.info.GraphLayout;

/**
 * Runs the pool-SAD matrix of issue 2 with JMH and prints one line per case that a script can read:
 * <pre>
 * SUMMARY op=inbound rep=pool shape=prefix addresses=4096 sas=1000000 median_ns=21.7 p90_ns=24.0 bytes_per_sa=344
 * SKIPPED op=inbound rep=list shape=prefix addresses=65536 sas=1000000 reason=...
 * </pre>
 * Options (all optional): {@code --ops inbound,outbound --reps pool,list,per-address --addresses 1,16,256,4096,65536
 * --shapes prefix,scattered,scattered2,scattered4,v6-prefix,v6-scattered2,v6-scattered4 --sas 1,1000,100000,1000000
 * --quick --jvm-args "-XX:+UseTransparentHugePages"} (shapes: {@link Workload}).
 * Memory is the marginal cost of one SA, measured with JOL over the whole structure (SPI table or index
 * included): (size with n SAs - size when empty) / n, n = {@value #MEMORY_SAS} (baselines: fewer, so that at most
 * about 2M addresses are walked). Fixed costs (the SPI generator, empty tables) are left out; the hash table's
 * spare capacity is in.
 */
public final class SadBenchmarkMain {
    static final int MEMORY_SAS = 1000;

    public static void main(String[] args) throws Exception {
        // JOL needs this to walk into lambda (hidden class) fields such as the SAD's SPI source.
        System.setProperty("jol.magicFieldOffset", "true");
        Map<String, String> opt = new LinkedHashMap<>();
        opt.put("ops", "inbound,outbound");
        opt.put("reps", "pool,list,per-address");
        opt.put("addresses", "1,16,256,4096,65536");
        opt.put("shapes", "prefix,scattered,scattered2,scattered4,v6-prefix,v6-scattered2,v6-scattered4");
        opt.put("sas", "1,1000,100000,1000000");
        boolean quick = false;
        String[] jvmArgs = new String[0];
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--quick")) {
                quick = true;
            } else if (args[i].equals("--jvm-args") && i + 1 < args.length) {
                jvmArgs = args[++i].trim().split("\\s+");
            } else if (args[i].startsWith("--") && i + 1 < args.length) {
                opt.put(args[i].substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        List<String> lines = new ArrayList<>();
        for (String op : list(opt.get("ops"))) {
            for (String shape : list(opt.get("shapes"))) {
                for (String a : list(opt.get("addresses"))) {
                    for (String n : list(opt.get("sas"))) {
                        for (String rep : list(opt.get("reps"))) {
                            String line = runCase(op, rep, shape, Integer.parseInt(a), Integer.parseInt(n), quick, jvmArgs);
                            System.out.println(line);
                            lines.add(line);
                        }
                    }
                }
            }
        }
        System.out.println();
        System.out.println("=== summary ===");
        lines.forEach(System.out::println);
    }

    private static List<String> list(String csv) {
        return Arrays.asList(csv.split(","));
    }

    static String runCase(String op, String rep, String shape, int addresses, int sas, boolean quick, String[] jvmArgs)
            throws Exception {
        String id = "op=" + op + " rep=" + rep + " shape=" + shape + " addresses=" + addresses + " sas=" + sas;
        Workload w = new Workload(addresses, shape, sas);
        if (w.v6 && op.equals("outbound")) {
            return "SKIPPED " + id + " reason=outbound_benchmark_is_ipv4_only";
        }
        if (w.v6 && !rep.equals("pool")) {
            return "SKIPPED " + id + " reason=baselines_hold_ipv4_addresses_only";
        }
        if (!rep.equals("pool") && !w.baselineFits()) {
            return "SKIPPED " + id + " reason=baseline_needs_" + ((long) addresses * sas) + "_entries_over_cap_" + Workload.MAX_BASELINE_ENTRIES;
        }
        if (op.equals("outbound") && !w.outboundFits()) {
            return "SKIPPED " + id + " reason=disjoint_pools_exceed_ipv4_space";
        }
        if (op.equals("outbound") && rep.equals("list") && (long) sas * addresses > (1L << 18)) {
            // A linear scan over >1M list nodes takes milliseconds per packet; JMH would run for minutes per case.
            return "SKIPPED " + id + " reason=linear_scan_over_" + ((long) sas * addresses) + "_nodes";
        }
        long bytesPerSa = memoryPerSa(op, rep, addresses, shape);
        Class<?> bench = op.equals("inbound") ? InboundLookupBenchmark.class : OutboundClassifyBenchmark.class;
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(bench.getName())
                .param("representation", rep)
                .param("addresses", Integer.toString(addresses))
                .param("shape", shape)
                .param("sas", Integer.toString(sas))
                .shouldFailOnError(true);
        if (jvmArgs.length > 0 && !jvmArgs[0].isEmpty()) {
            b.jvmArgsAppend(jvmArgs);
        }
        if (quick) {
            b.warmupIterations(1).warmupTime(TimeValue.milliseconds(500)).measurementIterations(2)
                    .measurementTime(TimeValue.milliseconds(500));
        }
        RunResult r = new Runner(b.build()).runSingle();
        double median = r.getPrimaryResult().getStatistics().getPercentile(50);
        double p90 = r.getPrimaryResult().getStatistics().getPercentile(90);
        return String.format("SUMMARY %s median_ns=%.1f p90_ns=%.1f bytes_per_sa=%d", id, median, p90, bytesPerSa);
    }

    static long memoryPerSa(String op, String rep, int addresses, String shape) {
        // Baselines hold one object per address: measure them over at most ~2M addresses (JOL walks every object).
        int n = rep.equals("pool") ? MEMORY_SAS : Math.max(1, Math.min(MEMORY_SAS, (1 << 21) / addresses));
        long full = size(op, rep, new Workload(addresses, shape, n));
        long empty = size(op, rep, new Workload(addresses, shape, 0));
        return (full - empty) / n;
    }

    private static long size(String op, String rep, Workload w) {
        Object structure = op.equals("inbound") ? InboundLookupBenchmark.build(w, rep) : OutboundClassifyBenchmark.build(w, rep);
        return GraphLayout.parseInstance(structure).totalSize();
    }
}

package net.poolsa.appliance.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import net.poolsa.appliance.demo.Demo;
import net.poolsa.appliance.demo.DemoOptions;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the paper's experiment (Fig. 10) in network namespaces: a dual-homed SCTP client downloads "
                + "(then uploads) files over one association while its primary link fails, side by side with no IPsec, "
                + "poolsa with pool SAs, per-address IPsec (SAs pinned to one address) and strongSwan IKEv2 MOBIKE; "
                + "then the router case (a gateway uplink fails). Prints a summary table and a verdict, writes a picture "
                + "(SVG), results.json and each run's logs. Needs root, usrsctp (libusrsctp-dev), gcc, tcpdump, nftables, "
                + "python3; strongSwan for the MOBIKE run.",
            "Exit code 0 when every poolsa run kept its SPIs with no IKE message after the failure and carried data on "
                + "the other link; 1 otherwise; 6 when a tool is missing."},
        footer = {"", "Examples:", "  poolsa demo",
            "  poolsa demo --scenario host --direction download --runs plain,poolsa --duration 8s --fail-after 3s",
            "  poolsa demo --capture --output /tmp/poolsa-demo      # keep the pcaps for Wireshark"})
final class DemoCommand implements Callable<Integer> {
    private static final Set<String> SCENARIOS = Set.of("host", "router");
    private static final Set<String> RUNS = Set.of("plain", "poolsa", "per-address", "mobike");
    private static final Set<String> DIRECTIONS = Set.of("download", "upload");

    @Option(names = "--output", paramLabel = "DIR", defaultValue = "poolsa-demo",
            description = "Directory for the summary, picture, results.json and logs (default: ${DEFAULT-VALUE}).")
    Path output;
    @Option(names = "--duration", paramLabel = "TIME", defaultValue = "10s", converter = DurationConverter.class,
            description = "Length of each run's paced transfer, in files of 2 s each (default: ${DEFAULT-VALUE}).")
    Duration duration;
    @Option(names = "--fail-after", paramLabel = "TIME", defaultValue = "4s", converter = DurationConverter.class,
            description = "When the link fails, from the association's start (default: ${DEFAULT-VALUE}).")
    Duration failAfter;
    @Option(names = "--restore-after", paramLabel = "TIME", converter = DurationConverter.class,
            description = "When the link comes back, from the association's start (default: never).")
    Duration restoreAfter;
    @Option(names = "--scenario", paramLabel = "LIST", split = ",", defaultValue = "host,router",
            description = "host (the paper's Fig. 10: IPsec on the client) and/or router (default: ${DEFAULT-VALUE}).")
    List<String> scenarios;
    @Option(names = "--runs", paramLabel = "LIST", split = ",", defaultValue = "plain,poolsa,per-address,mobike",
            description = "Which runs, in this order (default: ${DEFAULT-VALUE}; mobike runs in the host case only).")
    List<String> runs;
    @Option(names = "--direction", paramLabel = "LIST", split = ",",
            description = "download and/or upload (default: both in the host case, download in the router case).")
    List<String> directions;
    @Option(names = "--rate", paramLabel = "BYTES/S", defaultValue = "1000000",
            description = "Pace of the transfer in bytes per second (default: ${DEFAULT-VALUE}).")
    long rate;
    @Option(names = "--message", paramLabel = "BYTES", defaultValue = "1000",
            description = "SCTP message size, one DATA chunk each (default: ${DEFAULT-VALUE}).")
    int message;
    @Option(names = "--keying", paramLabel = "ike|manual", defaultValue = "ike",
            description = "How the poolsa runs key their SAs (default: ${DEFAULT-VALUE}).")
    String keying;
    @Option(names = "--capture", description = "Keep the pcap files of each run (for Wireshark).")
    boolean capture;
    @Option(names = "--keep", description = "Leave each run's namespaces in place after it.")
    boolean keep;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String problem = problem();
        if (problem != null) {
            spec.commandLine().getErr().println("poolsa: " + problem);
            return ExitCodes.USAGE;
        }
        List<Demo> demos = Demo.available();
        if (demos.isEmpty()) {
            spec.commandLine().getErr().println("poolsa: the demo is not part of this build (no net.poolsa.appliance.demo.Demo "
                    + "implementation on the class path)");
            return ExitCodes.UNAVAILABLE;
        }
        return demos.get(0).run(new DemoOptions(output, duration, failAfter, restoreAfter, capture, keep, lower(scenarios),
                lower(runs), directions == null ? null : lower(directions), rate, message,
                keying.toLowerCase(Locale.ROOT)));
    }

    private String problem() {
        if (failAfter.isNegative() || failAfter.isZero() || failAfter.compareTo(duration) >= 0) {
            return "--fail-after must be above 0 and shorter than --duration";
        }
        if (restoreAfter != null && (restoreAfter.compareTo(failAfter) <= 0 || restoreAfter.compareTo(duration) >= 0)) {
            return "--restore-after must lie between --fail-after and --duration";
        }
        String bad = unknown(scenarios, SCENARIOS, "--scenario");
        bad = bad != null ? bad : unknown(runs, RUNS, "--runs");
        bad = bad != null ? bad : directions == null ? null : unknown(directions, DIRECTIONS, "--direction");
        if (bad != null) {
            return bad;
        }
        if (rate < 1000 || rate > 100_000_000) {
            return "--rate must lie between 1000 and 100000000 bytes/s";
        }
        if (message < 16 || message > 1200) {
            return "--message must lie between 16 and 1200 bytes (one DATA chunk within the path MTU of 1280)";
        }
        if (!keying.equalsIgnoreCase("ike") && !keying.equalsIgnoreCase("manual")) {
            return "--keying must be ike or manual";
        }
        return null;
    }

    private static String unknown(List<String> values, Set<String> allowed, String option) {
        for (String v : values) {
            if (!allowed.contains(v.toLowerCase(Locale.ROOT))) {
                return option + ": unknown value '" + v + "' (one of " + String.join(", ", allowed.stream().sorted().toList())
                        + ")";
            }
        }
        return values.isEmpty() ? option + ": give at least one value" : null;
    }

    private static List<String> lower(List<String> values) {
        return values.stream().map(v -> v.toLowerCase(Locale.ROOT)).distinct().toList();
    }
}

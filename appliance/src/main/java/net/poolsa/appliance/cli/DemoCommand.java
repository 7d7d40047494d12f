package net.poolsa.appliance.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import net.poolsa.appliance.demo.Demo;
import net.poolsa.appliance.demo.DemoOptions;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the pool-SA failover experiment in network namespaces: two dual-homed poolsa gateways with one "
                + "manually keyed pool SA pair; a dual-homed host pings through it from both its addresses while the "
                + "uplink in use is cut (and, with --restore-after, restored). Reports from captures and poolsa status "
                + "whether traffic moved to the other uplink inside the same SAs (same SPIs, install times and key "
                + "fingerprints) and the longest time without ping replies after the cut. Needs root.",
        footer = {"", "Example:", "  poolsa demo --duration 30s --fail-after 10s --restore-after 20s --output /tmp/poolsa-demo"})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--output", paramLabel = "DIR", defaultValue = "poolsa-demo",
            description = "Directory for results (default: ${DEFAULT-VALUE}).")
    Path output;
    @Option(names = "--duration", paramLabel = "TIME", defaultValue = "30s", converter = DurationConverter.class,
            description = "How long traffic runs (default: ${DEFAULT-VALUE}).")
    Duration duration;
    @Option(names = "--fail-after", paramLabel = "TIME", defaultValue = "10s", converter = DurationConverter.class,
            description = "When the primary path is cut (default: ${DEFAULT-VALUE}).")
    Duration failAfter;
    @Option(names = "--restore-after", paramLabel = "TIME", converter = DurationConverter.class,
            description = "When the primary path comes back (default: never).")
    Duration restoreAfter;
    @Option(names = "--capture", description = "Write pcap files of both paths.")
    boolean capture;
    @Option(names = "--keep", description = "Leave the namespaces in place after the run.")
    boolean keep;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (failAfter.compareTo(duration) >= 0) {
            spec.commandLine().getErr().println("poolsa: --fail-after must be shorter than --duration");
            return ExitCodes.USAGE;
        }
        if (restoreAfter != null && (restoreAfter.compareTo(failAfter) <= 0 || restoreAfter.compareTo(duration) >= 0)) {
            spec.commandLine().getErr().println("poolsa: --restore-after must lie between --fail-after and --duration");
            return ExitCodes.USAGE;
        }
        List<Demo> demos = Demo.available();
        if (demos.isEmpty()) {
            spec.commandLine().getErr().println("poolsa: the demo is not part of this build (no net.poolsa.appliance.demo.Demo "
                    + "implementation on the class path)");
            return ExitCodes.UNAVAILABLE;
        }
        return demos.get(0).run(new DemoOptions(output, duration, failAfter, restoreAfter, capture, keep));
    }
}

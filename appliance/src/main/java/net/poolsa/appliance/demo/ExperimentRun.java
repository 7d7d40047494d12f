package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import net.poolsa.esp.divert.HostCommands;

/**
 * One run: a fresh set of namespaces, the tunnel of one {@link Variant}, captures on both client-side links, the SCTP
 * transfer between the harness's two ends, the link failure at {@code failAfter} from the association's start, and the
 * analysis. Everything started here is stopped and every namespace deleted when the run ends, whatever happened.
 */
final class ExperimentRun {
    /** How long the tunnel may take to carry its first ping after its endpoints reported they started. */
    static final long PATH_TIMEOUT_SECONDS = 180;
    /** Extra time the transfer may take to catch up after the failure before the harness gives up. */
    static final long GRACE_MILLIS = 10_000;
    /** One file per this much paced transfer time: the client downloads several files, as in the paper. */
    static final long FILE_MILLIS = 2000;
    /**
     * A warm-up transfer through the path before the measured one: a poolsa endpoint is a JVM, and on a cold one the
     * first seconds of ESP run interpreted (seen: a few per cent of the paced rate before the JIT caught up), which
     * would measure the compiler, not the failover. Every run gets it, with or without IPsec.
     */
    static final long WARMUP_MILLIS = 4000;

    private final Scenario scenario;
    private final Variant variant;
    private final boolean upload;
    private final Settings settings;
    private final SctpHarness harness;
    private final Path dir;
    private final int index;
    private final Consumer<String> say;

    ExperimentRun(Scenario scenario, Variant variant, boolean upload, Settings settings, SctpHarness harness, Path dir,
                  int index, Consumer<String> say) {
        this.scenario = scenario;
        this.variant = variant;
        this.upload = upload;
        this.settings = settings;
        this.harness = harness;
        this.dir = dir;
        this.index = index;
        this.say = say;
    }

    RunResult execute() throws Exception {
        Files.createDirectories(dir);
        Tunnel tunnel = tunnel();
        String direction = upload ? "upload" : "download";
        try (Lab lab = new Lab(Lab.tag(index), settings.keepNamespaces())) {
            scenario.build(lab);
            if (variant != Variant.PLAIN) {
                scenario.tunnelOnly(lab);
            }
            try {
                tunnel.start(lab, dir);
            } catch (Tunnel.Unavailable u) {
                return RunResult.notRun(scenario.key(), variant, direction, tunnel.description(),
                        RunResult.Outcome.UNAVAILABLE, u.getMessage(), u.evidence(), dir);
            }
            String from = tunnel.probeSource(scenario);
            if (!awaitPath(lab, from)) {
                return RunResult.notRun(scenario.key(), variant, direction, tunnel.description(), RunResult.Outcome.FAILED,
                        "no ping from " + from + " to " + scenario.serverAddress() + " within " + PATH_TIMEOUT_SECONDS
                                + " s of the start", "", dir);
            }
            if (settings.keepNamespaces()) {
                say.accept("namespaces kept: " + lab.namespaceNames());
            }
            return transfer(lab, tunnel, direction);
        }
    }

    private Tunnel tunnel() {
        return switch (variant) {
            case PLAIN -> new Tunnel() {
                @Override
                public String description() {
                    return "plain routing";
                }

                @Override
                public void start(Lab lab, Path d) {
                }
            };
            case POOLSA -> new PoolsaTunnel(scenario, false, settings.keying());
            case PER_ADDRESS -> new PoolsaTunnel(scenario, true, settings.keying());
            case MOBIKE -> new MobikeTunnel(scenario);
        };
    }

    /** One short paced transfer in the run's direction over the same path, its logs kept as {@code warmup-*.log}. */
    private void warmUp(Lab lab, Tunnel tunnel) throws Exception {
        double deadline = (WARMUP_MILLIS + GRACE_MILLIS) / 1000.0;
        Process[] ends = startEnds(lab, tunnel, "warmup-", 1, settings.rate() * WARMUP_MILLIS / 1000, deadline);
        ends[1].waitFor((long) (deadline * 1000) + 5000, TimeUnit.MILLISECONDS);
        ends[0].waitFor(5, TimeUnit.SECONDS);
        Lab.stop(ends[1], 2000);
        Lab.stop(ends[0], 2000);
    }

    /** Starts the harness's server, waits until it listens, then its client: {@code [server, client]}. */
    private Process[] startEnds(Lab lab, Tunnel tunnel, String prefix, long files, long fileBytes, double deadline)
            throws Exception {
        Path serverLog = dir.resolve(prefix + "sctp-server.log");
        Process server = lab.spawn(scenario.serverRole(), harness.server(settings.timers(), deadline + 5), serverLog);
        awaitText(serverLog, "listening", 20);
        Process client = lab.spawn(scenario.clientRole(), harness.client(settings.timers(), scenario.serverAddress(),
                tunnel.clientBind(scenario), upload, files, fileBytes, settings.rate(), settings.message(), deadline),
                dir.resolve(prefix + "sctp-client.log"));
        return new Process[] {server, client};
    }

    private RunResult transfer(Lab lab, Tunnel tunnel, String direction) throws Exception {
        warmUp(lab, tunnel);
        Map<String, Path> pcaps = new LinkedHashMap<>();
        for (Scenario.CapturePoint c : scenario.captures()) {
            Path pcap = dir.resolve(c.role() + "-" + c.device() + ".pcap");
            Path log = dir.resolve(c.role() + "-" + c.device() + "-tcpdump.log");
            lab.spawn(c.role(), List.of("tcpdump", "--immediate-mode", "-i", c.device(), "-n", "-U", "-s", "256", "-w", pcap.toString()), log);
            awaitText(log, "listening on", 20);
            pcaps.put(c.label(), pcap);
        }
        Lab.Batch failure = lab.batch(scenario.failureRole(), dir.resolve("failure.log"));

        long fileBytes = settings.rate() * FILE_MILLIS / 1000;
        long files = Math.max(1, Math.round((double) settings.durationMillis() / FILE_MILLIS));
        long nominalMillis = files * FILE_MILLIS;
        double deadline = (nominalMillis + GRACE_MILLIS) / 1000.0;
        Path serverLog = dir.resolve("sctp-server.log");
        Path clientLog = dir.resolve("sctp-client.log");
        Process[] ends = startEnds(lab, tunnel, "", files, fileBytes, deadline);
        Process server = ends[0];
        Process client = ends[1];
        awaitText(clientLog, "event .* connected", 30);
        long connected = SctpLog.read(clientLog).connectedMicros() / 1000;
        say.accept(String.format("  %s: SCTP association up; %d files of %d bytes at %d bytes/s; %s after %.1f s",
                direction, files, fileBytes, settings.rate(), scenario.failureText(), settings.failAfterMillis() / 1000.0));

        sleepUntil(connected + settings.failAfterMillis());
        long failed = Math.round(failure.command("link set " + scenario.failureDevice() + " down"));
        tunnel.afterFailure(lab);
        if (settings.restoreAfterMillis() > 0) {
            sleepUntil(connected + settings.restoreAfterMillis());
            failure.command("link set " + scenario.failureDevice() + " up");
        }
        failure.close();
        long waitMillis = nominalMillis + GRACE_MILLIS + 10_000;
        client.waitFor(Math.max(1, connected + waitMillis - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        server.waitFor(5, TimeUnit.SECONDS);
        long runEnd = System.currentTimeMillis();
        Lab.stop(client, 2000);
        Lab.stop(server, 2000);
        TunnelReport report = tunnel.finish(lab, connected, failed);
        // tcpdump writes its last packets when it is stopped: stop them now, before reading the files.
        lab.close();
        Map<String, WireLog> wire = new LinkedHashMap<>();
        for (Map.Entry<String, Path> p : pcaps.entrySet()) {
            wire.put(p.getKey(), WireLog.read(p.getValue()));
        }
        RunResult r = RunAnalysis.analyze(scenario.key(), variant, upload, tunnel.description(), SctpLog.read(clientLog),
                SctpLog.read(serverLog), wire, failed, connected + nominalMillis, files * fileBytes,
                Math.min(runEnd, connected + nominalMillis + GRACE_MILLIS), report, dir);
        if (!settings.keepPcaps()) {
            for (Path p : pcaps.values()) {
                Files.deleteIfExists(p);
            }
        }
        return r;
    }

    private boolean awaitPath(Lab lab, String from) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATH_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            HostCommands.Result r = lab.tryExec(scenario.clientRole(), "ping", "-n", "-c", "1", "-W", "1", "-I", from,
                    scenario.serverAddress());
            if (r.ok()) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** Waits until {@code log} has a line matching {@code regex}; throws with the log after {@code seconds}. */
    static void awaitText(Path log, String regex, long seconds) throws IOException, InterruptedException {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> p.matcher(l).find())) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no '" + regex + "' in " + log + " within " + seconds + " s:\n"
                + PoolsaTunnel.tail(log, 20));
    }

    private static void sleepUntil(long millis) throws InterruptedException {
        long ms = millis - System.currentTimeMillis();
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

    /**
     * What every run of one invocation shares.
     *
     * @param restoreAfterMillis when the failed link comes back, from the association's start; 0 for never
     */
    record Settings(long durationMillis, long failAfterMillis, long restoreAfterMillis, long rate, int message,
                    SctpHarness.Timers timers, PoolsaTunnel.Keying keying, boolean keepNamespaces, boolean keepPcaps) {
    }
}

package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import net.poolsa.esp.divert.HostCommands;

/**
 * {@code poolsa demo}: the paper's experiment (§3.2, Fig. 10 and 11) end to end in network namespaces. A dual-homed
 * SCTP client (a real SCTP stack, usrsctp, through the harness {@code experiment/sctp/sctp_flow.c}) downloads several
 * files from a server over one association, and uploads in a second run; its primary link fails while data flows. The
 * same transfer and failure run side by side with no IPsec (the reference gap), poolsa with pool SAs, poolsa with SAs
 * pinned to one address (standard semantics: a new SA pair is needed), and strongSwan with IKEv2 MOBIKE; the router
 * case (two dual-homed gateways, an uplink fails) follows. For each run the summary shows the ESP SPIs before and after
 * (from captures), the IKE messages after the failure (from captures), the SCTP data gap at the receiver, the bytes
 * delivered and the data retransmitted (usrsctp's counters), then a verdict line; poolsa's {@code /metrics} give the
 * tunnel-continuity lines. Files: {@code summary.txt}, {@code results.json}, {@code chart-SCENARIO-DIRECTION.svg}, and
 * per run its logs, configurations and (with {@code --capture}) pcaps under {@code runs/}.
 */
public final class PaperExperiment implements Demo {
    /** Commands the experiment runs, with the Debian package of each. */
    static final Map<String, String> TOOLS = Map.of("ip", "iproute2", "nft", "nftables", "tcpdump", "tcpdump",
            "ping", "iputils-ping", "gcc", "gcc", "/usr/bin/python3", "python3");

    @Override
    public int run(DemoOptions o) throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("poolsa demo: needs root (network namespaces, raw sockets)");
            return 4;
        }
        List<String> missing = missingTools();
        if (!missing.isEmpty()) {
            System.err.println("poolsa demo: missing " + String.join(", ", missing)
                    + "; install them (scripts/install-deps.sh installs everything the demo needs)");
            return 6;
        }
        Path out = o.output().toAbsolutePath();
        Files.createDirectories(out);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwx------"));
        SctpHarness harness;
        try {
            harness = SctpHarness.build(out.resolve("bin"));
        } catch (IOException e) {
            System.err.println("poolsa demo: " + e.getMessage());
            return 6;
        }
        ExperimentRun.Settings settings = settings(o);
        say("SCTP timers at both ends: " + settings.timers().describe());
        List<RunResult> results = runAll(o, out, settings, harness);
        return report(o, out, settings, results);
    }

    static ExperimentRun.Settings settings(DemoOptions o) {
        return new ExperimentRun.Settings(o.duration().toMillis(), o.failAfter().toMillis(),
                o.restoreAfter() == null ? 0 : o.restoreAfter().toMillis(), o.rate(), o.message(),
                SctpHarness.Timers.defaults(), o.keying().equals("manual") ? PoolsaTunnel.Keying.MANUAL
                : PoolsaTunnel.Keying.IKE, o.keep(), o.capture());
    }

    /** Every run the options ask for, in order; a run that could not take place is a result that says why. */
    static List<RunResult> runAll(DemoOptions o, Path out, ExperimentRun.Settings settings, SctpHarness harness) {
        List<RunResult> results = new ArrayList<>();
        int index = 0;
        for (String key : o.scenarios()) {
            Scenario scenario = key.equals("router") ? new RouterCase() : new HostCase();
            say(scenario.title());
            for (String direction : directions(o, scenario)) {
                for (String v : o.runs()) {
                    Variant variant = Variant.of(v);
                    if (variant == Variant.MOBIKE && !(scenario instanceof HostCase)) {
                        continue;
                    }
                    Path dir = out.resolve("runs").resolve(scenario.key() + "-" + direction + "-" + variant.key);
                    say(String.format(Locale.ROOT, "run %d: %s, %s", ++index, variant.label, direction));
                    RunResult r;
                    try {
                        r = new ExperimentRun(scenario, variant, direction.equals("upload"), settings, harness, dir, index,
                                PaperExperiment::say).execute();
                    } catch (Exception e) {
                        r = RunResult.notRun(scenario.key(), variant, direction, variant.label, RunResult.Outcome.FAILED,
                                e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(""),
                                String.valueOf(e.getMessage()), dir);
                    }
                    results.add(r);
                    say("  " + (r.ran() ? "data gap " + Summary.gap(r) + ", IKE messages after the failure "
                            + Summary.ike(r) + ", SPIs " + Summary.spis(r) : r.outcome() + ": " + r.reason()));
                }
            }
        }
        return results;
    }

    private static List<String> directions(DemoOptions o, Scenario s) {
        if (o.directions() != null) {
            return o.directions();
        }
        return s instanceof HostCase ? List.of("download", "upload") : List.of("download");
    }

    static int report(DemoOptions o, Path out, ExperimentRun.Settings settings, List<RunResult> results) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "poolsa demo: the paper's experiment, %d runs; transfer %.0f s paced at "
                        + "%d bytes/s in %d-byte SCTP messages, link down %.1f s after the association came up",
                results.size(), settings.durationMillis() / 1000.0, settings.rate(), settings.message(),
                settings.failAfterMillis() / 1000.0));
        lines.add("SCTP (usrsctp) timers at both ends: " + settings.timers().describe());
        boolean factsHold = true;
        List<String> verdicts = new ArrayList<>();
        for (Summary.Group g : Summary.groups(results)) {
            Scenario s = g.scenario().equals("router") ? new RouterCase() : new HostCase();
            lines.add("");
            lines.add(s.title() + "; " + g.direction() + "; " + s.failureText());
            for (RunResult r : g.runs()) {
                lines.add("  " + r.variant().label + ": " + r.tunnel());
            }
            lines.addAll(Summary.table(g));
            String verdict = Summary.verdict(g);
            lines.add(verdict);
            verdicts.add(verdict);
            List<String> continuity = Summary.continuity(g);
            if (!continuity.isEmpty()) {
                lines.add("tunnel continuity (poolsa /metrics) and endpoint notes:");
                lines.addAll(continuity);
            }
            for (RunResult r : g.runs()) {
                if (r.outcome() == RunResult.Outcome.UNAVAILABLE && !r.evidence().isBlank()) {
                    lines.add(r.variant().label + " could not run; its log:");
                    r.evidence().lines().forEach(l -> lines.add("  | " + l));
                }
            }
            factsHold &= g.run(Variant.POOLSA).map(p -> Summary.factsBroken(p).isEmpty()).orElse(true);
            String name = "chart-" + g.scenario() + "-" + g.direction() + ".svg";
            Files.writeString(out.resolve(name), SvgChart.render(g, s.title() + " - " + g.direction()));
            lines.add("picture: " + out.resolve(name));
        }
        lines.add("");
        lines.add("results: " + out.resolve("results.json") + "; logs and configurations of each run under "
                + out.resolve("runs") + (o.capture() ? " (with pcaps)" : ""));
        lines.addAll(verdicts);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("duration_ms", settings.durationMillis());
        s.put("fail_after_ms", settings.failAfterMillis());
        s.put("rate_bytes_per_second", settings.rate());
        s.put("message_bytes", settings.message());
        s.put("keying", settings.keying().name().toLowerCase(Locale.ROOT));
        s.put("timers", settings.timers().describe());
        Files.writeString(out.resolve("results.json"), ResultsFile.write(results, s));
        Files.write(out.resolve("summary.txt"), lines);
        System.out.println();
        lines.forEach(System.out::println);
        return factsHold ? 0 : 1;
    }

    private static List<String> missingTools() {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, String> t : TOOLS.entrySet()) {
            String cmd = t.getKey();
            boolean found = cmd.startsWith("/") ? Files.isExecutable(Path.of(cmd))
                    : HostCommands.local().run(List.of("sh", "-c", "command -v " + cmd)).ok();
            if (!found) {
                missing.add(cmd + " (package " + t.getValue() + ")");
            }
        }
        if (!Files.exists(Path.of("/usr/include/usrsctp.h"))) {
            missing.add("usrsctp.h (package libusrsctp-dev)");
        }
        return missing;
    }

    static void say(String s) {
        System.out.println("poolsa demo: " + s);
    }
}

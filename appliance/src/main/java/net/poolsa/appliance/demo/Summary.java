package net.poolsa.appliance.demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The summary a person reads in ten seconds: per scenario and direction a table of the runs side by side, then one
 * verdict line; below it, what poolsa's {@code /metrics} said about the tunnel's continuity. Everything here is read
 * from the runs' results; nothing is assumed.
 */
final class Summary {
    /**
     * poolsa's gap "equals" the no-IPsec gap when it is at most this much longer, plus {@link #EQUAL_FRACTION} of the
     * no-IPsec gap: timers and scheduling on a shared machine move a gap by tens of milliseconds between runs.
     */
    static final long EQUAL_SLACK_MILLIS = 50;
    static final double EQUAL_FRACTION = 0.1;

    private Summary() {
    }

    /** The runs of one scenario and direction, in {@link Variant} order. */
    record Group(String scenario, String direction, List<RunResult> runs) {
        Optional<RunResult> run(Variant v) {
            return runs.stream().filter(r -> r.variant() == v).findFirst();
        }
    }

    static List<Group> groups(List<RunResult> results) {
        Map<String, List<RunResult>> by = new LinkedHashMap<>();
        for (RunResult r : results) {
            by.computeIfAbsent(r.scenario() + "/" + r.direction(), k -> new ArrayList<>()).add(r);
        }
        List<Group> out = new ArrayList<>();
        for (List<RunResult> g : by.values()) {
            List<RunResult> sorted = new ArrayList<>(g);
            sorted.sort((a, b) -> a.variant().compareTo(b.variant()));
            out.add(new Group(g.get(0).scenario(), g.get(0).direction(), sorted));
        }
        return out;
    }

    /** The table of one group. */
    static List<String> table(Group g) {
        List<String> lines = new ArrayList<>();
        String format = "%-20s %-36s %-27s %-10s %-10s %-17s %s";
        lines.add(String.format(Locale.ROOT, format, "run", "ESP SPIs before -> after", "IKE messages after failure",
                "data gap", "resumed", "delivered (MB)", "retransmitted"));
        for (RunResult r : g.runs()) {
            if (!r.ran()) {
                lines.add(String.format(Locale.ROOT, "%-20s %s: %s", r.variant().label,
                        r.outcome() == RunResult.Outcome.UNAVAILABLE ? "not run" : "FAILED", r.reason()));
                continue;
            }
            lines.add(String.format(Locale.ROOT, format, r.variant().label, spis(r), ike(r), gap(r), resumed(r),
                    String.format(Locale.ROOT, "%.2f of %.2f", r.deliveredInWindow() / 1e6, r.offeredBytes() / 1e6),
                    r.retransmittedChunks() < 0 ? "?" : r.retransmittedChunks() + " chunks"));
        }
        return lines;
    }

    static String spis(RunResult r) {
        List<String> before = r.allSpisBefore();
        List<String> after = r.allSpisAfter();
        if (before.isEmpty() && after.isEmpty()) {
            return "- (no ESP)";
        }
        String b = before.isEmpty() ? "none" : String.join(" ", before.stream().map(Summary::shortSpi).toList());
        String a = after.isEmpty() ? "none" : after.equals(before) ? "same"
                : String.join(" ", after.stream().map(Summary::shortSpi).toList());
        return b + " -> " + a;
    }

    private static String shortSpi(String hex) {
        return hex.startsWith("0x") ? hex.substring(2) : hex;
    }

    static String ike(RunResult r) {
        int n = r.ikeAfterTotal();
        if (n == 0) {
            return "0";
        }
        List<String> parts = new ArrayList<>();
        r.ikeAfter().forEach((k, v) -> parts.add(abbreviate(k) + " " + v));
        return n + " (" + String.join(", ", parts) + ")";
    }

    private static String abbreviate(String exchange) {
        return switch (exchange) {
            case "Main Mode" -> "MM";
            case "Quick Mode" -> "QM";
            case "Informational" -> "Info";
            case "INFORMATIONAL" -> "INFO";
            case "CREATE_CHILD_SA" -> "CCSA";
            default -> exchange;
        };
    }

    static String gap(RunResult r) {
        return r.gap().resumed() ? seconds(r.gap().millis()) : ">" + seconds(r.gap().millis());
    }

    static String resumed(RunResult r) {
        return r.gap().resumed() ? String.format(Locale.ROOT, "%+.3f s", (r.gap().endMillis() - r.failureMillis()) / 1000.0)
                : "never";
    }

    static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f s", millis / 1000.0);
    }

    /** The facts poolsa stands on, for its pool-SA run of a group; empty when they hold. */
    static List<String> factsBroken(RunResult r) {
        List<String> broken = new ArrayList<>();
        if (!r.ran()) {
            broken.add("the poolsa run did not take place: " + r.reason());
            return broken;
        }
        List<String> before = r.allSpisBefore();
        if (before.isEmpty()) {
            broken.add("no ESP before the failure");
        } else if (!r.allSpisAfter().equals(before)) {
            broken.add("SPIs changed: " + before + " -> " + r.allSpisAfter());
        }
        if (r.ikeAfterTotal() != 0) {
            broken.add(r.ikeAfterTotal() + " IKE messages after the failure");
        }
        if (!r.gap().resumed()) {
            broken.add("no data after the failure");
        }
        if (r.secondaryAfter()[0] == 0) {
            broken.add("nothing on the second link after the failure");
        }
        return broken;
    }

    private static long slack(long plainMillis) {
        return EQUAL_SLACK_MILLIS + Math.round(plainMillis * EQUAL_FRACTION);
    }

    /**
     * poolsa's gap against no IPsec's: equal within the slack, else shorter or LONGER (the target is "not longer").
     * A gap shorter than the reference's by more than the slack is said so, not called equal.
     */
    static String againstPlain(long poolsaMillis, long plainMillis) {
        long slack = slack(plainMillis);
        String within = " (within " + EQUAL_SLACK_MILLIS + " ms + " + Math.round(EQUAL_FRACTION * 100) + " %)";
        if (poolsaMillis > plainMillis + slack) {
            return "gap " + seconds(poolsaMillis) + " is LONGER than no IPsec's " + seconds(plainMillis) + within;
        }
        if (poolsaMillis < plainMillis - slack) {
            return "gap " + seconds(poolsaMillis) + " is shorter than no IPsec's " + seconds(plainMillis);
        }
        return "gap " + seconds(poolsaMillis) + " equals no IPsec's " + seconds(plainMillis) + within;
    }

    /** The one verdict line of a group. */
    static String verdict(Group g) {
        String head = "VERDICT " + g.scenario() + " case, " + g.direction() + ": ";
        Optional<RunResult> pool = g.run(Variant.POOLSA).filter(RunResult::ran);
        if (pool.isEmpty()) {
            return head + "no poolsa run to judge";
        }
        RunResult p = pool.get();
        List<String> broken = factsBroken(p);
        if (!broken.isEmpty()) {
            return head + "NOT MET: poolsa " + String.join("; ", broken);
        }
        List<String> claims = new ArrayList<>();
        boolean met = true;
        long pg = p.gap().millis();
        Optional<RunResult> plain = g.run(Variant.PLAIN).filter(r -> r.ran() && r.gap().resumed());
        if (plain.isPresent()) {
            long ng = plain.get().gap().millis();
            met &= pg <= ng + slack(ng);
            claims.add(againstPlain(pg, ng));
        } else {
            claims.add("gap " + seconds(pg) + " (no no-IPsec reference)");
        }
        for (Variant v : List.of(Variant.PER_ADDRESS, Variant.MOBIKE)) {
            Optional<RunResult> o = g.run(v);
            if (o.isEmpty()) {
                continue;
            }
            if (!o.get().ran()) {
                claims.add(v.label + " not run");
                continue;
            }
            long og = o.get().gap().millis();
            boolean shorter = pg < og;
            met &= shorter;
            claims.add((shorter ? "shorter than " : "NOT shorter than ") + v.label + "'s " + (o.get().gap().resumed() ? "" : ">")
                    + seconds(og));
        }
        return head + (met ? "MET" : "NOT MET") + ": poolsa kept SPIs " + String.join(" ", p.allSpisBefore().stream()
                .map(Summary::shortSpi).toList()) + " with 0 IKE messages; " + String.join(", ", claims);
    }

    /** What poolsa's /metrics said during its runs, one line per endpoint. */
    static List<String> continuity(Group g) {
        List<String> lines = new ArrayList<>();
        for (RunResult r : g.runs()) {
            for (TunnelReport.Continuity c : r.report().continuity()) {
                String last = c.lastSwitchMillis() < 0 ? "no switch"
                        : String.format(Locale.ROOT, "last switch %+.1f s from the failure (%.1f s before the last sample)",
                        (c.lastSwitchMillis() - r.failureMillis()) / 1000.0,
                        (c.sampledUntilMillis() - c.lastSwitchMillis()) / 1000.0);
                lines.add(String.format(Locale.ROOT, "  %s, %s: %.0f outer-address switch(es) without rekey, %s, %s; "
                                + "outer addresses now %s (%d samples)", r.variant().label, c.role(), c.outerSwitches(),
                        c.quickModes() < 0 ? "Quick Modes: not exported" : String.format(Locale.ROOT,
                                "%.0f Quick Mode(s) after the failure", c.quickModes()),
                        last, c.currentPaths().isEmpty() ? "none" : String.join(" ", c.currentPaths()), c.samples()));
            }
            for (String n : r.report().notes()) {
                lines.add("  " + r.variant().label + ": " + n);
            }
        }
        return lines;
    }
}

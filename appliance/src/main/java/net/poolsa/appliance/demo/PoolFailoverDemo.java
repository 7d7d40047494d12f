package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The paper's experiment with manually keyed pool SAs (until IKE negotiates them), in network namespaces:
 *
 * <pre>
 *            192.0.2.10/26 ─ ha0 ─┐                ┌─ l1 198.51.100.1 ══ 198.51.100.2 ─┐
 *   hostA                         gwA (poolsa)  ───┤                                   ├── gwB (poolsa) ── hostB 192.0.2.130
 *            192.0.2.74/26 ─ ha1 ─┘                └─ l2 203.0.113.1  ══ 203.0.113.2  ─┘
 * </pre>
 *
 * One SA pair protects 192.0.2.0/25 (both addresses of the dual-homed hostA, the paper's client) to
 * 192.0.2.128/25 (hostB), and its outer endpoints are pools of both gateways' two uplink addresses. hostA pings
 * hostB from each of its addresses; at {@code --fail-after} the uplink in use is cut. Captures of both links show
 * whether traffic went on over the second link with the same SPIs; {@code poolsa status --json} of both gateways
 * before the cut and after the run shows whether the SAs are the same ones (SPIs, install times and key
 * fingerprints unchanged: no new SA, no new keys); the ping logs give the longest time without replies after the
 * cut. Everything created here is removed at the end (unless {@code --keep}).
 */
public final class PoolFailoverDemo implements Demo {
    static final String SPI_AB = "0x0000a001";
    static final String SPI_BA = "0x0000b001";
    /** The connection's name in both gateways' configurations. */
    static final String CONNECTION = "demo";
    /** ping -i of the probes through the tunnel. */
    static final double PING_INTERVAL_SECONDS = 0.1;

    private final String tag = "pd" + Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @Override
    public int run(DemoOptions o) throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("poolsa demo: needs root (network namespaces, raw sockets)");
            return 4;
        }
        Path out = o.output().toAbsolutePath();
        Files.createDirectories(out);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwx------"));
        try {
            return experiment(o, out);
        } finally {
            for (Process p : processes) {
                stop(p);
            }
            if (!o.keep()) {
                for (String ns : namespaces) {
                    run(List.of("ip", "netns", "del", ns), false);
                }
            } else {
                System.out.println("namespaces kept: " + namespaces + " (remove with: ip netns del NAME)");
            }
        }
    }

    private String ns(String role) {
        return tag + "-" + role;
    }

    private int experiment(DemoOptions o, Path out) throws Exception {
        say("building the topology in namespaces " + ns("hA") + ", " + ns("gA") + ", " + ns("gB") + ", " + ns("hB"));
        for (String role : List.of("hA", "gA", "gB", "hB")) {
            run(List.of("ip", "netns", "add", ns(role)), true);
            namespaces.add(ns(role));
            in(role, "ip", "link", "set", "lo", "up");
        }
        veth("hA", "ha0", "gA", "ga0");
        veth("hA", "ha1", "gA", "ga1");
        veth("gA", "l1a", "gB", "l1b");
        veth("gA", "l2a", "gB", "l2b");
        veth("gB", "gb0", "hB", "hb0");
        addr("hA", "ha0", "192.0.2.10/26");
        addr("hA", "ha1", "192.0.2.74/26");
        in("hA", "ip", "route", "add", "192.0.2.128/25", "via", "192.0.2.1", "dev", "ha0", "metric", "100");
        in("hA", "ip", "route", "add", "192.0.2.128/25", "via", "192.0.2.65", "dev", "ha1", "metric", "200");
        addr("gA", "ga0", "192.0.2.1/26");
        addr("gA", "ga1", "192.0.2.65/26");
        addr("gA", "l1a", "198.51.100.1/29");
        addr("gA", "l2a", "203.0.113.1/29");
        addr("gB", "l1b", "198.51.100.2/29");
        addr("gB", "l2b", "203.0.113.2/29");
        addr("gB", "gb0", "192.0.2.129/26");
        addr("hB", "hb0", "192.0.2.130/26");
        in("hB", "ip", "route", "add", "default", "via", "192.0.2.129");

        // AES-128-CBC (16-byte key, RFC 3602) with HMAC-SHA-256-128 (32-byte key, RFC 4868) per direction, fresh per run:
        // manual keys never use AES-GCM, whose nonces a restart would repeat (RFC 4106 §10).
        java.security.SecureRandom rnd = new java.security.SecureRandom();
        String[] keysAb = {hex(rnd, 16), hex(rnd, 32)};
        String[] keysBa = {hex(rnd, 16), hex(rnd, 32)};
        Path cfgA = gatewayConfig(out, "gwA", List.of("ga0:192.0.2.1/26", "ga1:192.0.2.65/26"),
                List.of("l1a:198.51.100.1/29", "l2a:203.0.113.1/29"), "[198.51.100.1/32, 203.0.113.1/32]",
                "[198.51.100.2/32, 203.0.113.2/32]", "[192.0.2.0/25]", "[192.0.2.128/25]", SPI_BA, SPI_AB, keysBa, keysAb);
        Path cfgB = gatewayConfig(out, "gwB", List.of("gb0:192.0.2.129/26"),
                List.of("l1b:198.51.100.2/29", "l2b:203.0.113.2/29"), "[198.51.100.2/32, 203.0.113.2/32]",
                "[198.51.100.1/32, 203.0.113.1/32]", "[192.0.2.128/25]", "[192.0.2.0/25]", SPI_AB, SPI_BA, keysAb, keysBa);

        say("starting poolsa on gwA and gwB (manual keys, one pool SA pair: " + SPI_AB + " A->B, " + SPI_BA + " B->A)");
        // Each gateway its own control socket and state directory: network namespaces do not separate files, and
        // each serves one instance.
        processes.add(start(out.resolve("gwA.log"), inNs("gA", poolsa("run", "-c", cfgA.toString(),
                "--control-socket", out.resolve("gwA.ctl").toString(), "--state-dir", out.resolve("gwA-state").toString()))));
        processes.add(start(out.resolve("gwB.log"), inNs("gB", poolsa("run", "-c", cfgB.toString(),
                "--control-socket", out.resolve("gwB.ctl").toString(), "--state-dir", out.resolve("gwB-state").toString()))));
        if (!waitForTunnel(Duration.ofSeconds(30))) {
            say("the tunnel did not come up; see " + out.resolve("gwA.log") + " and gwB.log");
            return 1;
        }
        Process cap1 = start(out.resolve("tcpdump-l1.log"), inNs("gA", List.of("tcpdump", "-i", "l1a", "-n", "-U", "-w",
                out.resolve("link1.pcap").toString())));
        Process cap2 = start(out.resolve("tcpdump-l2.log"), inNs("gA", List.of("tcpdump", "-i", "l2a", "-n", "-U", "-w",
                out.resolve("link2.pcap").toString())));
        processes.add(cap1);
        processes.add(cap2);
        Thread.sleep(1000); // tcpdump needs a moment before it sees packets
        String jsonBeforeA = capture(inNs("gA", poolsa("status", "--json", "-c", cfgA.toString())));
        String jsonBeforeB = capture(inNs("gB", poolsa("status", "--json", "-c", cfgB.toString())));
        Files.writeString(out.resolve("status-gwA-before.json"), jsonBeforeA);
        Files.writeString(out.resolve("status-gwB-before.json"), jsonBeforeB);

        long seconds = Math.max(1, o.duration().toSeconds());
        double t0 = System.currentTimeMillis() / 1000.0;
        say("hostA pings hostB from 192.0.2.10 and from 192.0.2.74 for " + seconds + " s; the uplink in use (l1) is cut after "
                + o.failAfter().toSeconds() + " s" + (o.restoreAfter() == null ? "" : " and restored after " + o.restoreAfter().toSeconds() + " s"));
        String interval = Double.toString(PING_INTERVAL_SECONDS);
        Process ping1 = start(out.resolve("ping-192.0.2.10.log"), inNs("hA", List.of("ping", "-n", "-D", "-O", "-i", interval,
                "-w", Long.toString(seconds), "-I", "ha0", "192.0.2.130")));
        Process ping2 = start(out.resolve("ping-192.0.2.74.log"), inNs("hA", List.of("ping", "-n", "-D", "-O", "-i", interval,
                "-w", Long.toString(seconds), "-I", "ha1", "192.0.2.130")));
        processes.add(ping1);
        processes.add(ping2);
        sleepUntil(t0, o.failAfter());
        double tFail = System.currentTimeMillis() / 1000.0;
        in("gA", "ip", "link", "set", "l1a", "down");
        say(String.format(Locale.ROOT, "t=%.1fs: link l1 (198.51.100.1 -- 198.51.100.2) is down", tFail - t0));
        double tRestore = Double.NaN;
        if (o.restoreAfter() != null) {
            sleepUntil(t0, o.restoreAfter());
            tRestore = System.currentTimeMillis() / 1000.0;
            in("gA", "ip", "link", "set", "l1a", "up");
            say(String.format(Locale.ROOT, "t=%.1fs: link l1 is up again", tRestore - t0));
        }
        ping1.waitFor(seconds + 10, TimeUnit.SECONDS);
        ping2.waitFor(seconds + 10, TimeUnit.SECONDS);
        Thread.sleep(500);
        stop(cap1);
        stop(cap2);
        String statusA = capture(inNs("gA", poolsa("status", "-c", cfgA.toString())));
        String statusB = capture(inNs("gB", poolsa("status", "-c", cfgB.toString())));
        Files.writeString(out.resolve("status-gwA.txt"), statusA);
        Files.writeString(out.resolve("status-gwB.txt"), statusB);
        String jsonAfterA = capture(inNs("gA", poolsa("status", "--json", "-c", cfgA.toString())));
        String jsonAfterB = capture(inNs("gB", poolsa("status", "--json", "-c", cfgB.toString())));
        Files.writeString(out.resolve("status-gwA-after.json"), jsonAfterA);
        Files.writeString(out.resolve("status-gwB-after.json"), jsonAfterB);

        return report(o, out, new Times(t0, tFail, tRestore), statusA, statusB,
                List.of(jsonBeforeA, jsonAfterA), List.of(jsonBeforeB, jsonAfterB));
    }

    /** When the run started, the cut and the restore (NaN if none), in epoch seconds. */
    record Times(double start, double cut, double restore) {
    }

    private int report(DemoOptions o, Path out, Times t, String statusA, String statusB, List<String> jsonA, List<String> jsonB)
            throws IOException {
        double t0 = t.start();
        double tFail = t.cut();
        EspCaptureSummary l1 = EspCaptureSummary.read(out.resolve("link1.pcap"));
        EspCaptureSummary l2 = EspCaptureSummary.read(out.resolve("link2.pcap"));
        List<String> lines = new ArrayList<>();
        List<String> sameSas = new ArrayList<>();
        boolean sasUnchanged = true;
        String algorithms = "?";
        for (String[] g : new String[][] {{"gwA", jsonA.get(0), jsonA.get(1)}, {"gwB", jsonB.get(0), jsonB.get(1)}}) {
            try {
                StatusSnapshot before = StatusSnapshot.parse(g[1], CONNECTION);
                StatusSnapshot after = StatusSnapshot.parse(g[2], CONNECTION);
                algorithms = after.algorithms();
                List<String> changes = before.changesTo(after);
                boolean grew = after.inbound().packets() > before.inbound().packets()
                        && after.outbound().packets() > before.outbound().packets();
                sasUnchanged &= changes.isEmpty() && grew;
                sameSas.add(g[0] + " SAs before the cut: in " + before.inbound() + "; out " + before.outbound());
                sameSas.add(g[0] + " SAs after the run:  in " + after.inbound() + "; out " + after.outbound());
                sameSas.add(g[0] + ": " + (changes.isEmpty() ? "same SPIs, install times and key fingerprints" : "CHANGED: "
                        + String.join("; ", changes)) + (grew ? "; both SAs counted packets between the two snapshots"
                        : "; an SA counted NO packets between the two snapshots"));
            } catch (IllegalArgumentException e) {
                sasUnchanged = false;
                sameSas.add(g[0] + ": cannot compare its SAs before and after: " + e.getMessage());
            }
        }
        lines.add("poolsa demo: one pool SA pair across a failed uplink (manual keys, " + algorithms + ", tunnel mode)");
        lines.add(describe("link l1 198.51.100.1 <-> 198.51.100.2", l1, t0));
        lines.add(describe("link l2 203.0.113.1  <-> 203.0.113.2 ", l2, t0));
        Set<String> allSpis = new TreeSet<>();
        l1.bySpi.keySet().forEach(s -> allSpis.add(spi(s)));
        l2.bySpi.keySet().forEach(s -> allSpis.add(spi(s)));
        boolean onlyOurSpis = allSpis.equals(new TreeSet<>(List.of(SPI_AB, SPI_BA)));
        boolean l1Before = l1.bySpi.size() == 2 && l1.bySpi.values().stream().allMatch(x -> x.firstSeconds < tFail);
        boolean l2After = l2.bySpi.size() == 2 && l2.bySpi.values().stream().allMatch(x -> x.lastSeconds > tFail);
        lines.add("SPIs seen on the wire: " + allSpis + (onlyOurSpis ? " (the one SA pair, on both links)" : " (UNEXPECTED)"));
        lines.addAll(sameSas);
        boolean repliesAfter = true;
        for (String src : List.of("192.0.2.10", "192.0.2.74")) {
            PingLog p = PingLog.read(out.resolve("ping-" + src + ".log"), PING_INTERVAL_SECONDS);
            lines.add(pingLine(src, p, t));
            // Replies to requests sent after the cut (one already in flight at the cut proves nothing).
            repliesAfter &= p.answeredSentAfter(tFail).answered() > 0;
        }
        lines.add("gwA status after the run:");
        statusA.lines().forEach(l -> lines.add("  " + l));
        lines.add("gwB status after the run:");
        statusB.lines().forEach(l -> lines.add("  " + l));
        boolean pass = onlyOurSpis && l1Before && l2After && repliesAfter && sasUnchanged;
        lines.add(pass ? "RESULT: PASS: traffic moved to the second uplink inside the same SAs (same SPIs, same keys, no rekey)"
                : "RESULT: FAIL: see the captures and logs in " + out);
        Files.write(out.resolve("summary.txt"), lines, StandardCharsets.UTF_8);
        lines.forEach(System.out::println);
        if (!o.capture()) {
            Files.deleteIfExists(out.resolve("link1.pcap"));
            Files.deleteIfExists(out.resolve("link2.pcap"));
        }
        return pass ? 0 : 1;
    }

    /** One ping's summary: totals, then after the cut the answered share and the longest time without replies. */
    static String pingLine(String src, PingLog p, Times t) {
        PingLog.Share after = p.answeredSentAfter(t.cut());
        PingLog.Gap gap = p.longestGapAfter(t.cut());
        String where = String.format(Locale.ROOT, "t=%.2f s to t=%.2f s, the cut at t=%.2f s", gap.from() - t.start(),
                gap.to() - t.start(), t.cut() - t.start());
        return String.format(Locale.ROOT, "ping from %s: %d sent, %d received; of those sent after the cut %d of %d answered"
                        + " (%.0f %%); longest time without replies after the cut: %s%.2f s (%s)", src, p.transmitted(),
                p.received(), after.answered(), after.total(), 100 * after.fraction(),
                gap.closed() ? "" : "NO REPLY SINCE, at least ", gap.seconds(), where);
    }

    private static String describe(String name, EspCaptureSummary s, double t0) {
        StringBuilder b = new StringBuilder(name).append(":");
        if (s.bySpi.isEmpty()) {
            b.append(" no ESP");
        }
        s.bySpi.forEach((spi, seen) -> b.append(String.format(Locale.ROOT, " ESP spi %s %d packets from t=%.1fs to t=%.1fs;",
                spi(spi), seen.packets, seen.firstSeconds - t0, seen.lastSeconds - t0)));
        return b.append(" other packets (path probes): ").append(s.otherPackets).toString();
    }

    private static String spi(int spi) {
        return String.format("0x%08x", spi);
    }

    private Path gatewayConfig(Path out, String name, List<String> capture, List<String> uplinks, String localOuter,
                               String remoteOuter, String localProtected, String remoteProtected, String spiIn,
                               String spiOut, String[] keysIn, String[] keysOut) throws IOException {
        Path dir = out.resolve(name);
        Path secrets = dir.resolve("secrets");
        Files.createDirectories(secrets);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rwx------"));
        for (String[] k : new String[][] {{"enc-in", keysIn[0]}, {"enc-out", keysOut[0]}, {"int-in", keysIn[1]},
                {"int-out", keysOut[1]}}) {
            Path f = secrets.resolve("demo." + k[0]);
            Files.writeString(f, k[1] + "\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        }
        StringBuilder y = new StringBuilder();
        y.append("metrics:\n  listen: \"127.0.0.1:9742\"\n");
        y.append("data-path:\n  mtu: 1500\n  capture:\n");
        for (String c : capture) {
            String[] f = c.split(":");
            y.append("    - interface: ").append(f[0]).append("\n      addresses: [").append(f[1]).append("]\n");
        }
        y.append("  uplinks:\n");
        for (String u : uplinks) {
            String[] f = u.split(":");
            y.append("    - interface: ").append(f[0]).append("\n      addresses: [").append(f[1]).append("]\n");
        }
        y.append("  sink:\n    interface: psink\n    type: ifb\n");
        y.append("connections:\n  demo:\n    mode: tunnel\n    protocol: esp\n");
        y.append("    local-outer: ").append(localOuter).append("\n    remote-outer: ").append(remoteOuter).append("\n");
        y.append("    local-protected: ").append(localProtected).append("\n    remote-protected: ").append(remoteProtected).append("\n");
        y.append("    manual:\n      spi-in: ").append(spiIn).append("\n      spi-out: ").append(spiOut).append("\n");
        y.append("      encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n");
        y.append("      encryption-key-in: secrets/demo.enc-in\n      encryption-key-out: secrets/demo.enc-out\n");
        y.append("      integrity-key-in: secrets/demo.int-in\n      integrity-key-out: secrets/demo.int-out\n");
        Path cfg = dir.resolve("poolsa.yaml");
        Files.writeString(cfg, y.toString());
        return cfg;
    }

    private boolean waitForTunnel(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (run(inNs("hA", List.of("ping", "-n", "-c", "1", "-W", "1", "-I", "ha0", "192.0.2.130")), false)) {
                return true;
            }
            for (Process p : processes) {
                if (!p.isAlive()) {
                    say("a gateway exited with code " + p.exitValue());
                    return false;
                }
            }
        }
        return false;
    }

    private static List<String> poolsa(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("net.poolsa.appliance.cli.PoolsaCommand");
        cmd.addAll(List.of(args));
        return cmd;
    }

    private List<String> inNs(String role, List<String> cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        full.addAll(cmd);
        return full;
    }

    private void in(String role, String... cmd) throws Exception {
        run(inNs(role, List.of(cmd)), true);
    }

    private void addr(String role, String dev, String cidr) throws Exception {
        in(role, "ip", "addr", "add", cidr, "dev", dev);
    }

    private void veth(String roleA, String devA, String roleB, String devB) throws Exception {
        run(List.of("ip", "link", "add", devA, "netns", ns(roleA), "type", "veth", "peer", "name", devB, "netns", ns(roleB)), true);
        in(roleA, "ip", "link", "set", devA, "up");
        in(roleB, "ip", "link", "set", devB, "up");
    }

    private static boolean run(List<String> cmd, boolean mustSucceed) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!ok && mustSucceed) {
            throw new IOException(String.join(" ", cmd) + " failed: " + output.strip());
        }
        return ok;
    }

    private static String capture(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return output;
    }

    private static Process start(Path log, List<String> cmd) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** SIGTERM (graceful: poolsa removes its diversion and zeroes keys), then SIGKILL after 10 s. */
    private static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    private static void sleepUntil(double t0, Duration offset) throws InterruptedException {
        long ms = (long) ((t0 + offset.toMillis() / 1000.0) * 1000) - System.currentTimeMillis();
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

    private static String hex(java.security.SecureRandom r, int bytes) {
        byte[] b = new byte[bytes];
        r.nextBytes(b);
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x));
        }
        return s.toString();
    }

    private static void say(String s) {
        System.out.println("poolsa demo: " + s);
    }

}

package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import net.poolsa.appliance.demo.Scenario.Endpoint;

/**
 * poolsa at both IPsec endpoints ({@code poolsa run} with a YAML file written here), either with pool SAs (the
 * paper's: one SA pair whose outer pools hold every address of both ends) or pinned to one outer address per end, as
 * standard IPsec (RFC 4301 §4.1: an SA's outer destination is one address). A pinned tunnel cannot follow the failed
 * link: right after the failure each endpoint whose outer address changes gets a configuration pinned to the new
 * address and a reload (SIGHUP), the best a regular implementation can do (it learns of the change at once, as from a
 * network manager's hook), and the tunnel needs a new SA pair: negotiated by IKE, or new manual keys and SPIs.
 *
 * <p>Keying is configuration only: {@link Keying#MANUAL} writes {@code manual:} blocks (fresh random keys, AES-128-CBC
 * with HMAC-SHA-256-128), {@link Keying#IKE} writes IKEv1 PSK connections whose protected and outer pools go in one
 * Quick Mode (RFC 3554 ID_LIST, docs/ikev1-pools.md), the initiator starting at once.
 */
final class PoolsaTunnel implements Tunnel {
    /** How the SA pairs are keyed. */
    enum Keying {
        MANUAL("manual keys (ESP AES-128-CBC + HMAC-SHA-256-128)"),
        IKE("IKEv1 PSK (aes128-sha256-modp2048, ESP aes128gcm16-modp2048)");

        final String text;

        Keying(String text) {
            this.text = text;
        }
    }

    static final String CONNECTION = "paper";
    static final String IKE_PROPOSAL = "aes128-sha256-modp2048";
    static final String ESP_PROPOSAL = "aes128gcm16-modp2048";
    /** How long a start may take: a loaded two-core machine has been seen to need 25 s for one JVM. */
    static final long START_TIMEOUT_SECONDS = 180;
    /** How long a restarted endpoint may take to negotiate its new SA pair (Main Mode and Quick Mode) on a loaded machine. */
    static final long RENEGOTIATION_TIMEOUT_SECONDS = 60;

    private final Scenario scenario;
    private final boolean pinned;
    private final Keying keying;
    private final SecureRandom random = new SecureRandom();
    private final String psk = hex(16);
    private final Map<String, Process> instances = new LinkedHashMap<>();
    private final Map<String, Path> logs = new LinkedHashMap<>();
    private final Map<String, Process> samplers = new LinkedHashMap<>();
    private final Map<String, String> yaml = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    /** Keys of each phase, per direction (initiator to responder, and back), made once and shared by both ends. */
    private final Map<String, String> manualKeys = new LinkedHashMap<>();
    private Path dir;
    private int phase;
    /** The role whose poolsa was restarted after the failure (pinned, IKE-keyed), or null. */
    private String restarted;

    PoolsaTunnel(Scenario scenario, boolean pinned, Keying keying) {
        this.scenario = scenario;
        this.pinned = pinned;
        this.keying = keying;
    }

    @Override
    public String description() {
        return "poolsa, " + (pinned ? "SAs pinned to one outer address per end (standard semantics)"
                : "pool SAs (one SA pair, outer pools of every address)") + ", " + keying.text;
    }

    private List<Endpoint> endpoints() {
        return List.of(scenario.responder(), scenario.initiator()); // the responder listens before the initiator starts
    }

    @Override
    public void start(Lab lab, Path dir) throws Exception {
        this.dir = dir;
        // One after the other: an initiator whose Main Mode reaches a responder still starting was seen to stall on a
        // loaded machine until the demo gave up.
        for (Endpoint e : endpoints()) {
            launch(lab, e, writeConfig(e));
            awaitStarted(e.role(), log(e.role()));
            samplers.put(e.role(), MetricsSampler.start(lab, e.role(), dir.resolve(e.role() + "-metrics.txt")));
        }
    }

    @Override
    public void afterFailure(Lab lab) throws Exception {
        if (!pinned) {
            return;
        }
        phase = 1;
        for (Endpoint e : endpoints()) {
            String before = yaml.get(e.role());
            Path config = writeConfig(e);
            if (!yaml.get(e.role()).equals(before)) {
                if (keying == Keying.IKE) {
                    // poolsa's reload cannot move IKE's sockets to a new address ("restart to bind"): restart it.
                    Lab.stop(instances.get(e.role()), 10_000);
                    launch(lab, e, config);
                    awaitStarted(e.role(), log(e.role()));
                    restarted = e.role();
                    notes.add(e.role() + ": restarted with " + config + " (outer address " + outer(e).get(0)
                            + ") right after the failure, since a reload does not rebind IKE to a new address; the gap "
                            + "includes poolsa's start");
                } else {
                    Lab.signal(instances.get(e.role()), "HUP");
                    notes.add(e.role() + ": reloaded with " + config + " (outer address " + outer(e).get(0)
                            + ") right after the failure");
                }
            }
        }
    }

    @Override
    public TunnelReport finish(Lab lab, long startMillis, long failureMillis) throws Exception {
        if (restarted != null) {
            // The new negotiation belongs on the captures even when the transfer gave up before it ended.
            boolean done = awaitLine(log(restarted), "event=child_sa_installed", RENEGOTIATION_TIMEOUT_SECONDS);
            notes.add(restarted + ": " + (done ? "new SA pair negotiated after the restart (" + log(restarted) + ")"
                    : "no new SA pair within " + RENEGOTIATION_TIMEOUT_SECONDS + " s of the transfer's end"));
        }
        List<TunnelReport.Continuity> continuity = new ArrayList<>();
        for (Endpoint e : endpoints()) {
            Process s = samplers.get(e.role());
            if (s != null) {
                Lab.stop(s, 2000);
            }
            Path status = dir.resolve(e.role()).resolve("status.txt");
            Files.writeString(status, lab.tryExec(e.role(), poolsa("status", "--control-socket",
                    dir.resolve(e.role()).resolve("poolsa.ctl").toString()).toArray(String[]::new)).output() + "\n");
            continuity.add(MetricsSampler.continuity(e.role(), MetricsSampler.read(dir.resolve(e.role() + "-metrics.txt")),
                    startMillis, failureMillis));
            Process p = instances.get(e.role());
            if (!p.isAlive()) {
                notes.add(e.role() + ": poolsa exited with code " + p.exitValue() + " during the run; see "
                        + log(e.role()));
            }
        }
        return new TunnelReport(continuity, List.copyOf(notes));
    }

    /** Starts {@code poolsa run} for {@code e}; a restart logs to its own file ({@code poolsa-1.log}). */
    private void launch(Lab lab, Endpoint e, Path config) throws IOException {
        Path home = config.getParent();
        boolean restart = instances.containsKey(e.role());
        Process p = lab.spawn(e.role(), poolsa("run", "-c", config.toString(), "--control-socket",
                home.resolve("poolsa.ctl").toString(), "--state-dir", home.resolve("state").toString()),
                home.resolve(restart ? "poolsa-1.log" : "poolsa.log"));
        instances.put(e.role(), p);
        logs.put(e.role(), home.resolve(restart ? "poolsa-1.log" : "poolsa.log"));
    }

    private Path log(String role) {
        return logs.get(role);
    }

    private void awaitStarted(String role, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        Process p = instances.get(role);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains("event=started")) {
                return;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("poolsa in " + role + " exited with code " + p.exitValue() + ":\n"
                        + tail(log, 30));
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("poolsa in " + role + " did not start within " + START_TIMEOUT_SECONDS + " s:\n"
                + tail(log, 30));
    }

    private static boolean awaitLine(Path log, String text, long seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    static String tail(Path log, int lines) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> all = Files.readAllLines(log);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** The outer addresses {@code e} may use in the current phase: all of them, or the one it is pinned to. */
    private List<String> outer(Endpoint e) {
        List<String> all = e.outer();
        return pinned ? List.of(all.get(Math.min(phase, all.size() - 1))) : all;
    }

    private Path writeConfig(Endpoint self) throws IOException {
        boolean initiator = self.role().equals(scenario.initiator().role());
        Endpoint peer = initiator ? scenario.responder() : scenario.initiator();
        Path home = Files.createDirectories(dir.resolve(self.role()));
        Path secrets = Files.createDirectories(home.resolve("secrets"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rwx------"));
        StringBuilder y = new StringBuilder();
        y.append("# written by poolsa demo: ").append(description()).append('\n');
        y.append("metrics:\n  listen: \"127.0.0.1:9742\"\n");
        y.append("data-path:\n  mtu: 1500\n  capture:\n");
        for (String c : self.captureInterfaces()) {
            String[] f = c.split(":", 2);
            y.append("    - interface: ").append(f[0]).append('\n');
            if (f.length > 1) {
                y.append("      addresses: [").append(f[1]).append("]\n");
            }
        }
        y.append("  uplinks:\n");
        for (String u : self.uplinks()) {
            String[] f = u.split(":", 2);
            // A pinned IKE endpoint is restarted on its new address, and the failed link (down) cannot be captured on.
            if (pinned && keying == Keying.IKE && !outer(self).contains(f[1].substring(0, f[1].indexOf('/')))) {
                continue;
            }
            y.append("    - interface: ").append(f[0]).append("\n      addresses: [").append(f[1]).append("]\n");
        }
        y.append("  sink:\n    interface: psink\n    type: ifb\n");
        // A manual SA pair and an IKE initiator must know which single peer address to use; an IKE responder accepts the
        // initiator from any address of its configured pool, and the initiator's announcement pins the SA.
        boolean pinPeer = pinned && (keying == Keying.MANUAL || initiator);
        y.append("connections:\n  ").append(CONNECTION).append(":\n    mode: tunnel\n    protocol: esp\n");
        y.append("    local-outer: ").append(hosts(outer(self))).append('\n');
        y.append("    remote-outer: ").append(hosts(pinPeer ? outer(peer) : peer.outer())).append('\n');
        y.append("    local-protected: [").append(String.join(", ", self.protectedPool())).append("]\n");
        y.append("    remote-protected: [").append(String.join(", ", peer.protectedPool())).append("]\n");
        if (keying == Keying.IKE) {
            secret(secrets, CONNECTION + ".psk", psk);
            y.append("    ike-proposals: [").append(IKE_PROPOSAL).append("]\n");
            y.append("    esp-proposals: [").append(ESP_PROPOSAL).append("]\n");
            y.append("    start-action: ").append(initiator ? "start" : "none").append('\n');
            // The paper's experiment counts IKE messages after the failure: DPD (on by default) would add its
            // Informationals, so the tunnel fails over on the data plane's own probes, as the paper's did.
            y.append("    dpd: {delay: 0}\n");
            y.append("    authentication:\n      psk-file: secrets/").append(CONNECTION).append(".psk\n");
        } else {
            y.append(manual(secrets, initiator));
        }
        String text = y.toString();
        yaml.put(self.role(), text);
        Path config = home.resolve("poolsa.yaml");
        Files.writeString(config, text);
        return config;
    }

    private String manual(Path secrets, boolean initiator) throws IOException {
        String[] dirs = {"ir", "ri"};
        for (String d : dirs) {
            manualKeys.computeIfAbsent(phase + d + "enc", k -> hex(16));
            manualKeys.computeIfAbsent(phase + d + "int", k -> hex(32));
        }
        String in = initiator ? "ri" : "ir";
        String out = initiator ? "ir" : "ri";
        String base = CONNECTION + "-" + phase;
        secret(secrets, base + ".enc-in", manualKeys.get(phase + in + "enc"));
        secret(secrets, base + ".enc-out", manualKeys.get(phase + out + "enc"));
        secret(secrets, base + ".int-in", manualKeys.get(phase + in + "int"));
        secret(secrets, base + ".int-out", manualKeys.get(phase + out + "int"));
        return "    manual:\n"
                + String.format(Locale.ROOT, "      spi-in: 0x%08x\n      spi-out: 0x%08x\n", spi(in), spi(out))
                + "      encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n"
                + "      encryption-key-in: secrets/" + base + ".enc-in\n"
                + "      encryption-key-out: secrets/" + base + ".enc-out\n"
                + "      integrity-key-in: secrets/" + base + ".int-in\n"
                + "      integrity-key-out: secrets/" + base + ".int-out\n";
    }

    /** Manual SPIs: 0x00001001 initiator to responder, 0x00001002 back; the second phase 0x00002001/2. */
    private int spi(String direction) {
        return ((phase + 1) << 12) | (direction.equals("ir") ? 1 : 2);
    }

    private String hex(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void secret(Path secrets, String name, String value) throws IOException {
        Path f = secrets.resolve(name);
        Files.writeString(f, value + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    }

    private static String hosts(List<String> addresses) {
        return "[" + String.join(", ", addresses.stream().map(a -> a + "/32").toList()) + "]";
    }

    /** {@code poolsa ARGS} on this JVM's java and class path, so the demo runs the build it came with. */
    static List<String> poolsa(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("net.poolsa.appliance.cli.PoolsaCommand");
        cmd.addAll(List.of(args));
        return cmd;
    }
}

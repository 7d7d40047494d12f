package net.poolsa.appliance.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.poolsa.appliance.cli.PoolsaCommand;
import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.netns.Netns;

/**
 * Needs root: the product ({@code poolsa run} with a YAML file and the pcap data path) in network namespaces, the
 * topology of the ping demo that {@code poolsa demo} ran before the paper's experiment replaced it, with IPv6 added:
 *
 * <pre>
 *        ha0 192.0.2.10/26  2001:db8:1::10/64 ── ga0 192.0.2.1/26   2001:db8:1::1/64
 *  hA                                                                                gA ══ l1a 198.51.100.1/29 2001:db8:100:1::1/64 ── l1b 198.51.100.2/29 2001:db8:100:1::2/64 ══ gB ── gb0 192.0.2.129/26 2001:db8:2::1/64 ── hb0 192.0.2.130/26 2001:db8:2::10/64  hB
 *        ha1 192.0.2.74/26  2001:db8:3::10/64 ── ga1 192.0.2.65/26  2001:db8:3::1/64    ══ l2a 203.0.113.1/29  2001:db8:100:2::1/64 ── l2b 203.0.113.2/29  2001:db8:100:2::2/64 ══
 * </pre>
 *
 * hA (the dual-homed client) routes 192.0.2.128/25 and 2001:db8:2::/64 via ga0 (metric 100) and ga1 (metric 200); hB's
 * default routes point at gB. This is the router case; {@link #createHostCase} builds the host case (the paper's Fig. 10:
 * poolsa on the dual-homed client itself):
 *
 * <pre>
 *  hC  l1c 198.51.100.1/29 ── l1g 198.51.100.2/29  gG  gs0 192.0.2.129/26 ── sv0 192.0.2.130/26  hS
 *      l2c 203.0.113.1/29  ── l2g 203.0.113.2/29
 * </pre>
 *
 * Everything a test starts here is stopped by handle and every namespace is deleted in {@link #close()}, also after a
 * failure. Logs, configurations and captures stay under {@code target/} for inspection.
 */
public final class ApplianceLab implements AutoCloseable {
    public static final String HOST_A = "hA";
    public static final String GW_A = "gA";
    public static final String GW_B = "gB";
    public static final String HOST_B = "hB";
    /** Host case: the dual-homed client running poolsa, its gateway, the server behind the gateway. */
    public static final String CLIENT = "hC";
    public static final String GATEWAY = "gG";
    public static final String SERVER = "hS";
    /** SPIs of the standard pool SA pair (gA to gB, gB to gA). */
    public static final int SPI_AB = 0x0000a001;
    public static final int SPI_BA = 0x0000b001;
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)\\] \\d+ bytes from .*icmp_seq=(\\d+)");
    private static final Pattern TOTALS = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

    private final Path dir;
    private final Map<String, Netns> namespaces = new LinkedHashMap<>();
    private final Map<String, List<String>> jvmOptions = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private int sequence;

    private ApplianceLab(Path dir) {
        this.dir = dir;
    }

    /** Builds the topology above; {@code name} names the working directory under target/. */
    public static ApplianceLab create(String name) throws Exception {
        ApplianceLab lab = new ApplianceLab(Files.createDirectories(
                Path.of("target", name + "-" + ProcessHandle.current().pid()).toAbsolutePath()));
        try {
            for (String role : List.of(HOST_A, GW_A, GW_B, HOST_B)) {
                lab.namespaces.put(role, Netns.create("psa-" + role));
            }
            Netns hA = lab.ns(HOST_A);
            Netns gA = lab.ns(GW_A);
            Netns gB = lab.ns(GW_B);
            Netns hB = lab.ns(HOST_B);
            Netns.veth(hA, "ha0", gA, "ga0");
            Netns.veth(hA, "ha1", gA, "ga1");
            Netns.veth(gA, "l1a", gB, "l1b");
            Netns.veth(gA, "l2a", gB, "l2b");
            Netns.veth(gB, "gb0", hB, "hb0");
            addr(hA, "ha0", "192.0.2.10/26", "2001:db8:1::10/64");
            addr(hA, "ha1", "192.0.2.74/26", "2001:db8:3::10/64");
            addr(gA, "ga0", "192.0.2.1/26", "2001:db8:1::1/64");
            addr(gA, "ga1", "192.0.2.65/26", "2001:db8:3::1/64");
            addr(gA, "l1a", "198.51.100.1/29", "2001:db8:100:1::1/64");
            addr(gA, "l2a", "203.0.113.1/29", "2001:db8:100:2::1/64");
            addr(gB, "l1b", "198.51.100.2/29", "2001:db8:100:1::2/64");
            addr(gB, "l2b", "203.0.113.2/29", "2001:db8:100:2::2/64");
            addr(gB, "gb0", "192.0.2.129/26", "2001:db8:2::1/64");
            addr(hB, "hb0", "192.0.2.130/26", "2001:db8:2::10/64");
            hA.exec("ip", "route", "add", "192.0.2.128/25", "via", "192.0.2.1", "dev", "ha0", "metric", "100");
            hA.exec("ip", "route", "add", "192.0.2.128/25", "via", "192.0.2.65", "dev", "ha1", "metric", "200");
            hA.exec("ip", "-6", "route", "add", "2001:db8:2::/64", "via", "2001:db8:1::1", "dev", "ha0", "metric", "100");
            hA.exec("ip", "-6", "route", "add", "2001:db8:2::/64", "via", "2001:db8:3::1", "dev", "ha1", "metric", "200");
            hB.exec("ip", "route", "add", "default", "via", "192.0.2.129");
            hB.exec("ip", "-6", "route", "add", "default", "via", "2001:db8:2::1");
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    /** Builds the host-case topology (class comment); {@code name} names the working directory under target/. */
    public static ApplianceLab createHostCase(String name) throws Exception {
        ApplianceLab lab = new ApplianceLab(Files.createDirectories(
                Path.of("target", name + "-" + ProcessHandle.current().pid()).toAbsolutePath()));
        try {
            for (String role : List.of(CLIENT, GATEWAY, SERVER)) {
                lab.namespaces.put(role, Netns.create("psa-" + role));
            }
            Netns c = lab.ns(CLIENT);
            Netns g = lab.ns(GATEWAY);
            Netns sv = lab.ns(SERVER);
            Netns.veth(c, "l1c", g, "l1g");
            Netns.veth(c, "l2c", g, "l2g");
            Netns.veth(g, "gs0", sv, "sv0");
            c.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "l1c");
            c.exec("ip", "addr", "add", "203.0.113.1/29", "dev", "l2c");
            g.exec("ip", "addr", "add", "198.51.100.2/29", "dev", "l1g");
            g.exec("ip", "addr", "add", "203.0.113.2/29", "dev", "l2g");
            g.exec("ip", "addr", "add", "192.0.2.129/26", "dev", "gs0");
            sv.exec("ip", "addr", "add", "192.0.2.130/26", "dev", "sv0");
            sv.exec("ip", "route", "add", "default", "via", "192.0.2.129");
            // Without poolsa the client reaches the server's LAN over l1, else l2 (what plain routing does).
            c.exec("ip", "route", "add", "192.0.2.128/26", "via", "198.51.100.2", "dev", "l1c", "metric", "10");
            c.exec("ip", "route", "add", "192.0.2.128/26", "via", "203.0.113.2", "dev", "l2c", "metric", "20");
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    /**
     * A lab without namespaces, for a topology of the test's own: it adds them with {@link #addNamespace}, and
     * {@link #close()} deletes them as for the two topologies above. {@code name} names the working directory.
     */
    public static ApplianceLab empty(String name) throws IOException {
        return new ApplianceLab(Files.createDirectories(
                Path.of("target", name + "-" + ProcessHandle.current().pid()).toAbsolutePath()));
    }

    /** Creates the namespace of {@code role} (named {@code PREFIX-ROLE-PID-N}); deleted in {@link #close()}. */
    public Netns addNamespace(String prefix, String role) {
        if (namespaces.containsKey(role)) {
            throw new IllegalArgumentException("namespace " + role + " exists");
        }
        Netns n = Netns.create(prefix + "-" + role);
        namespaces.put(role, n);
        return n;
    }

    /**
     * The host case's YAML for {@code role} ({@link #CLIENT} or {@link #GATEWAY}): both uplinks, an ifb sink, the given
     * {@code data-path.failover} block (YAML lines indented by four, or empty), and one manually keyed pool SA pair: the
     * client's pool (its two addresses) is both its outer pool and its protected pool (the paper's host case), the
     * gateway's protected pool is the server's LAN 192.0.2.128/26.
     */
    public String hostCaseConfig(String role, Keys k, String failover) throws IOException {
        boolean client = role.equals(CLIENT);
        String name = "host";
        writeSecret(role, name + ".enc-in", client ? k.encBa() : k.encAb());
        writeSecret(role, name + ".enc-out", client ? k.encAb() : k.encBa());
        writeSecret(role, name + ".int-in", client ? k.intBa() : k.intAb());
        writeSecret(role, name + ".int-out", client ? k.intAb() : k.intBa());
        String c = "[198.51.100.1/32, 203.0.113.1/32]";
        String g = "[198.51.100.2/32, 203.0.113.2/32]";
        String l1 = client ? "l1c" : "l1g";
        String l2 = client ? "l2c" : "l2g";
        String own = client ? "1" : "2";
        return "metrics:\n  listen: \"127.0.0.1:9742\"\n"
                + "data-path:\n  mtu: 1500\n  capture:\n    - interface: " + (client ? "lo" : "gs0") + "\n"
                + "  uplinks:\n"
                + "    - interface: " + l1 + "\n      addresses: [198.51.100." + own + "/29]\n"
                + "    - interface: " + l2 + "\n      addresses: [203.0.113." + own + "/29]\n"
                + "  sink:\n    interface: psink\n    type: ifb\n"
                + (failover.isEmpty() ? "" : "  failover:\n" + failover)
                + "connections:\n  " + name + ":\n    mode: tunnel\n    protocol: esp\n"
                + "    local-outer: " + (client ? c : g) + "\n    remote-outer: " + (client ? g : c) + "\n"
                + "    local-protected: " + (client ? c : "[192.0.2.128/26]") + "\n"
                + "    remote-protected: " + (client ? "[192.0.2.128/26]" : c) + "\n"
                + "    manual:\n"
                + String.format("      spi-in: 0x%08x\n      spi-out: 0x%08x\n", client ? SPI_BA : SPI_AB, client ? SPI_AB : SPI_BA)
                + "      encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n"
                + "      encryption-key-in: secrets/" + name + ".enc-in\n      encryption-key-out: secrets/" + name + ".enc-out\n"
                + "      integrity-key-in: secrets/" + name + ".int-in\n      integrity-key-out: secrets/" + name + ".int-out\n";
    }

    /**
     * Makes {@code dev} in {@code role} lose everything it sends, without touching its link: an nftables netdev egress
     * chain that drops (the wire in the middle fails; neither end sees a carrier change). Undone by {@link #uncut}.
     */
    public void cut(String role, String dev) throws Exception {
        exec(role, List.of("nft", "add table netdev psacut_" + dev + "; add chain netdev psacut_" + dev
                + " out { type filter hook egress device \"" + dev + "\" priority 0; policy drop; }"), Duration.ofSeconds(10));
    }

    public void uncut(String role, String dev) throws Exception {
        exec(role, List.of("nft", "delete", "table", "netdev", "psacut_" + dev), Duration.ofSeconds(10));
    }

    private static void addr(Netns ns, String dev, String v4, String v6) {
        ns.exec("ip", "addr", "add", v4, "dev", dev);
        ns.exec("ip", "addr", "add", v6, "dev", dev, "nodad");
    }

    /** The namespace of {@code role} ({@link #HOST_A}, {@link #GW_A}, {@link #GW_B}, {@link #HOST_B}). */
    public Netns ns(String role) {
        Netns n = namespaces.get(role);
        if (n == null) {
            throw new IllegalArgumentException("no namespace " + role);
        }
        return n;
    }

    public Path dir() {
        return dir;
    }

    /** Random key material as hex. */
    public static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Writes {@code hex} to {@code DIR/GW/secrets/NAME} with owner-only permissions (the secret-file check). */
    public Path writeSecret(String gw, String name, String hex) throws IOException {
        Path secrets = Files.createDirectories(dir.resolve(gw).resolve("secrets"));
        Files.setPosixFilePermissions(dir.resolve(gw), PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rwx------"));
        Path f = secrets.resolve(name);
        Files.writeString(f, hex + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    /** Writes (or rewrites, for a reload) {@code DIR/GW/poolsa.yaml}. */
    public Path writeConfig(String gw, String yaml) throws IOException {
        Path d = Files.createDirectories(dir.resolve(gw));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        Path cfg = d.resolve("poolsa.yaml");
        Files.writeString(cfg, yaml);
        return cfg;
    }

    /** Keys of the standard pool SA pair: AES-CBC-128 and HMAC-SHA2-256 per direction (gA to gB, gB to gA). */
    public record Keys(String encAb, String encBa, String intAb, String intBa) {
        public static Keys random() {
            return new Keys(randomHex(16), randomHex(16), randomHex(32), randomHex(32));
        }
    }

    /**
     * The data-path part of the YAML for {@code gw} (capture, uplinks, ifb sink {@code psink}) plus a
     * {@code connections:} header; append connection blocks indented by two spaces.
     */
    public static String dataPathYaml(String gw) {
        return dataPathYaml(gw, "");
    }

    /** As {@link #dataPathYaml(String)} with a {@code data-path.failover} block (lines indented by four). */
    public static String dataPathYaml(String gw, String failover) {
        boolean a = gw.equals(GW_A);
        StringBuilder y = new StringBuilder();
        y.append("metrics:\n  listen: \"127.0.0.1:9742\"\n");
        y.append("data-path:\n  mtu: 1500\n  capture:\n");
        if (a) {
            y.append("    - interface: ga0\n      addresses: [192.0.2.1/26, 2001:db8:1::1/64]\n");
            y.append("    - interface: ga1\n      addresses: [192.0.2.65/26, 2001:db8:3::1/64]\n");
        } else {
            y.append("    - interface: gb0\n      addresses: [192.0.2.129/26, 2001:db8:2::1/64]\n");
        }
        y.append("  uplinks:\n");
        String s = a ? "1" : "2";
        y.append("    - interface: l1").append(a ? "a" : "b").append("\n      addresses: [198.51.100.").append(s)
                .append("/29, 2001:db8:100:1::").append(s).append("/64]\n");
        y.append("    - interface: l2").append(a ? "a" : "b").append("\n      addresses: [203.0.113.").append(s)
                .append("/29, 2001:db8:100:2::").append(s).append("/64]\n");
        y.append("  sink:\n    interface: psink\n    type: ifb\n");
        if (!failover.isEmpty()) {
            y.append("  failover:\n").append(failover);
        }
        y.append("connections:\n");
        return y.toString();
    }

    /**
     * The standard connection {@code name} for {@code gw}: one manually keyed ESP tunnel-mode pool SA pair between both
     * gateways' two IPv4 uplink addresses, protecting 192.0.2.0/25 + 2001:db8:1::/64 + 2001:db8:3::/64 (hA's side) and
     * 192.0.2.128/25 + 2001:db8:2::/64 (hB's side), with the key files written now under {@code secrets/NAME.*}.
     */
    public String standardConnection(String gw, String name, Keys k) throws IOException {
        boolean a = gw.equals(GW_A);
        writeSecret(gw, name + ".enc-in", a ? k.encBa() : k.encAb());
        writeSecret(gw, name + ".enc-out", a ? k.encAb() : k.encBa());
        writeSecret(gw, name + ".int-in", a ? k.intBa() : k.intAb());
        writeSecret(gw, name + ".int-out", a ? k.intAb() : k.intBa());
        String mine = a ? "[198.51.100.1/32, 203.0.113.1/32]" : "[198.51.100.2/32, 203.0.113.2/32]";
        String theirs = a ? "[198.51.100.2/32, 203.0.113.2/32]" : "[198.51.100.1/32, 203.0.113.1/32]";
        String sideA = "[192.0.2.0/25, 2001:db8:1::/64, 2001:db8:3::/64]";
        String sideB = "[192.0.2.128/25, 2001:db8:2::/64]";
        return "  " + name + ":\n"
                + "    mode: tunnel\n    protocol: esp\n"
                + "    local-outer: " + mine + "\n    remote-outer: " + theirs + "\n"
                + "    local-protected: " + (a ? sideA : sideB) + "\n    remote-protected: " + (a ? sideB : sideA) + "\n"
                + "    manual:\n"
                + String.format("      spi-in: 0x%08x\n      spi-out: 0x%08x\n", a ? SPI_BA : SPI_AB, a ? SPI_AB : SPI_BA)
                + "      encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n"
                + "      encryption-key-in: secrets/" + name + ".enc-in\n      encryption-key-out: secrets/" + name + ".enc-out\n"
                + "      integrity-key-in: secrets/" + name + ".int-in\n      integrity-key-out: secrets/" + name + ".int-out\n";
    }

    /**
     * An IKE-keyed connection as the YAML of {@link #dataPathYaml} expects it (two spaces in), its pre-shared key written
     * to {@code DIR/GW/secrets/NAME.psk}. Pools are YAML lists ("[192.0.2.0/25]"); {@code extra} are further field
     * lines (e.g. "start-action: start"), four spaces in.
     */
    public String ikeConnection(String gw, String name, String localOuter, String remoteOuter, String localProtected,
                                String remoteProtected, String ikeProposal, String espProposal, String psk,
                                String... extra) throws IOException {
        writeSecret(gw, name + ".psk", psk);
        StringBuilder y = new StringBuilder("  " + name + ":\n    mode: tunnel\n    protocol: esp\n")
                .append("    local-outer: ").append(localOuter).append("\n    remote-outer: ").append(remoteOuter)
                .append("\n    local-protected: ").append(localProtected).append("\n    remote-protected: ")
                .append(remoteProtected).append("\n    ike-proposals: [").append(ikeProposal)
                .append("]\n    esp-proposals: [").append(espProposal).append("]\n");
        for (String e : extra) {
            y.append("    ").append(e).append('\n');
        }
        return y.append("    authentication:\n      psk-file: secrets/").append(name).append(".psk\n").toString();
    }

    /** JVM options for the next {@link #start} of {@code gw} (e.g. the IKE engine's test-only key export). */
    public void jvmOptions(String gw, String... options) {
        jvmOptions.put(gw, List.of(options));
    }

    /** Writes {@link #dataPathYaml} plus {@link #standardConnection} named "demo" for {@code gw}. */
    public Path standardConfig(String gw, Keys k) throws IOException {
        return writeConfig(gw, dataPathYaml(gw) + standardConnection(gw, "demo", k));
    }

    /** Both gateways of the standard configuration, running. */
    public record Pair(Poolsa a, Poolsa b) {
    }

    /**
     * Writes the standard configuration ({@link #standardConfig}) for both gateways, starts them and waits (30 s at
     * most) until hA reaches hB through the tunnel.
     */
    public Pair startStandard(Keys k) throws Exception {
        Poolsa a = start(GW_A, standardConfig(GW_A, k));
        Poolsa b = start(GW_B, standardConfig(GW_B, k));
        if (!waitForPing(HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(30))) {
            throw new IllegalStateException("the tunnel did not come up:\n" + a.log() + "\n" + b.log());
        }
        return new Pair(a, b);
    }

    /**
     * Lines of Wireshark's ESP SA table ({@code esp_sa}) for the standard SA pair with keys {@code k} (AES-CBC,
     * HMAC-SHA-256-128, any outer IPv4 addresses), for {@code NetnsLab.tsharkEsp}.
     */
    public static List<String> espSaTable(Keys k) {
        return List.of(
                String.format("\"IPv4\",\"*\",\"*\",\"0x%08x\",\"AES-CBC [RFC3602]\",\"0x%s\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x%s\"",
                        SPI_AB, k.encAb(), k.intAb()),
                String.format("\"IPv4\",\"*\",\"*\",\"0x%08x\",\"AES-CBC [RFC3602]\",\"0x%s\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x%s\"",
                        SPI_BA, k.encBa(), k.intBa()));
    }

    /** The control socket of {@code gw}'s {@code poolsa run}. */
    public Path controlSocket(String gw) {
        return dir.resolve(gw + ".ctl");
    }

    /** The JVM command line of {@code poolsa ARGS}: this JVM's java and class path (so a test runs the code under test). */
    public static List<String> poolsaCommand(String... args) {
        return poolsaCommand(List.of(), args);
    }

    /** As {@link #poolsaCommand(String...)} with JVM options (system properties) before the main class. */
    public static List<String> poolsaCommand(List<String> jvm, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PoolsaCommand.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Starts {@code poolsa run -c CONFIG EXTRA...} in {@code gw} and waits until it logs {@code event=started}. Unless
     * {@code extra} names one, the state directory is {@link #stateDir}{@code (gw)}: one per gateway (a state
     * directory serves one instance), the same across restarts of that gateway, as /var/lib/poolsa is for a service.
     *
     * @throws IllegalStateException with the log when it exits or does not start within 60 s
     */
    public Poolsa start(String gw, Path config, String... extra) throws Exception {
        // One control socket per gateway: namespaces do not separate socket files, and the default path would
        // make the second gateway a second instance. The same path on a restart, so a crash leaves a stale one.
        List<String> args = new ArrayList<>(List.of("run", "-c", config.toString(), "--control-socket", controlSocket(gw).toString()));
        args.addAll(List.of(extra));
        if (!args.contains("--state-dir")) {
            args.addAll(List.of("--state-dir", stateDir(gw).toString()));
        }
        Path log = dir.resolve(gw + "-run" + (++sequence) + ".log");
        Process p = spawn(gw, poolsaCommand(jvmOptions.getOrDefault(gw, List.of()), args.toArray(String[]::new)), log);
        Poolsa handle = new Poolsa(gw, config, p, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = handle.log();
            if (text.contains("event=started")) {
                return handle;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("poolsa in " + gw + " exited with " + p.exitValue() + ":\n" + text);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("poolsa in " + gw + " did not start within 60 s:\n" + handle.log());
    }

    /** The default state directory of {@code gw}'s appliance ({@code DIR/GW/state}). */
    public Path stateDir(String gw) {
        return dir.resolve(gw).resolve("state");
    }

    /** A running {@code poolsa run} process. {@code ip netns exec} execs, so the process is the JVM itself. */
    public final class Poolsa {
        private final String gw;
        private final Path config;
        private final Process process;
        private final Path log;

        private Poolsa(String gw, Path config, Process process, Path log) {
            this.gw = gw;
            this.config = config;
            this.process = process;
            this.log = log;
        }

        /**
         * Waits until the outbound SA of the manually keyed connection {@code connection} sends from {@code local} to
         * {@code remote} (its status); false after {@code limit}.
         */
        @SuppressWarnings("unchecked")
        public boolean awaitOutbound(String connection, String local, String remote, Duration limit) throws Exception {
            long deadline = System.nanoTime() + limit.toNanos();
            do {
                Map<String, Object> status = (Map<String, Object>) net.poolsa.appliance.control.Json.parse(status(true));
                for (Object o : (List<Object>) status.get("connections")) {
                    Map<String, Object> c = (Map<String, Object>) o;
                    Map<String, Object> out = (Map<String, Object>) c.get("outbound");
                    if (connection.equals(c.get("name")) && out != null && local.equals(out.get("current_local"))
                            && remote.equals(out.get("current_remote"))) {
                        return true;
                    }
                }
                Thread.sleep(200);
            } while (System.nanoTime() < deadline);
            return false;
        }

        /** The namespace role it runs in (gA, gB, ...). */
        @Override
        public String toString() {
            return gw;
        }

        public long pid() {
            return process.pid();
        }

        public Process process() {
            return process;
        }

        public String log() throws IOException {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        }

        /** Sends SIGHUP and waits (20 s at most) for the reload's outcome line, which it returns. */
        public String reload() throws Exception {
            Pattern outcome = Pattern.compile("^.*event=(reloaded|reload_refused|reload_failed).*$", Pattern.MULTILINE);
            int before = count(outcome);
            HostCommands.Result r = HostCommands.local().run(List.of("kill", "-HUP", Long.toString(pid())));
            if (!r.ok()) {
                throw new IllegalStateException("kill -HUP " + pid() + ": " + r.output());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                Matcher m = outcome.matcher(log());
                int n = 0;
                String last = null;
                while (m.find()) {
                    n++;
                    last = m.group();
                }
                if (n > before) {
                    return last;
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("no reload outcome in " + gw + " within 20 s:\n" + log());
        }

        /** Waits (up to {@code timeout}) until the log has a line matching {@code regex}; returns it. */
        public String awaitLog(String regex, Duration timeout) throws Exception {
            Pattern p = Pattern.compile("^.*" + regex + ".*$", Pattern.MULTILINE);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Matcher m = p.matcher(log());
                if (m.find()) {
                    return m.group();
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("no line matching " + regex + " in " + gw + " within " + timeout + ":\n" + log());
        }

        /** The log lines matching {@code regex}, in order. */
        public List<String> logLines(String regex) throws IOException {
            Pattern p = Pattern.compile("^.*" + regex + ".*$", Pattern.MULTILINE);
            Matcher m = p.matcher(log());
            List<String> out = new ArrayList<>();
            while (m.find()) {
                out.add(m.group());
            }
            return out;
        }

        private int count(Pattern p) throws IOException {
            Matcher m = p.matcher(log());
            int n = 0;
            while (m.find()) {
                n++;
            }
            return n;
        }

        /** SIGTERM (orderly shutdown: diversion removed, keys zeroed); returns the exit code (SIGKILL after 30 s). */
        public int stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            return process.exitValue();
        }

        /** SIGKILL: a crash, nothing is cleaned up by poolsa itself. */
        public void kill9() throws InterruptedException {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }

        /** {@code poolsa status [--json] -c CONFIG} run in the namespace (the product's own CLI), through the control socket. */
        public String status(boolean json) throws Exception {
            List<String> args = new ArrayList<>(List.of("status", "-c", config.toString(), "--control-socket",
                    controlSocket(gw).toString()));
            if (json) {
                args.add("--json");
            }
            return exec(gw, poolsaCommand(args.toArray(String[]::new)), Duration.ofSeconds(60));
        }

        /** {@code poolsa initiate|terminate NAME} through the control socket; the CLI's exit code and output. */
        public HostCommands.Result control(String command, String connection) throws Exception {
            List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns(gw).name()));
            full.addAll(poolsaCommand(command, connection, "--control-socket", controlSocket(gw).toString()));
            return HostCommands.local().run(full);
        }

        /** The Prometheus text of {@code http://127.0.0.1:9742/metrics} in the namespace. */
        public String metrics() throws Exception {
            return exec(gw, List.of("/usr/bin/python3", "-c",
                    "import sys,urllib.request;sys.stdout.write(urllib.request.urlopen(sys.argv[1],timeout=5).read().decode())",
                    "http://127.0.0.1:9742/metrics"), Duration.ofSeconds(30));
        }

        /** The value of one sample line of {@link #metrics()} (exact series text, e.g. {@code poolsa_drops_total{reason="replayed"}}, with or without the trailing comma
         * the simpleclient exposition puts in label sets), 0 when the series is absent. */
        public double metric(String series) throws Exception {
            String wanted = series.replace(",}", "}");
            for (String line : metrics().split("\n")) {
                String l = line.replace(",} ", "} "); // the simpleclient exposition ends label sets with a comma
                if (l.startsWith(wanted + " ")) {
                    return Double.parseDouble(l.substring(wanted.length() + 1).trim());
                }
            }
            return 0;
        }
    }

    /** Starts a process in the namespace of {@code role}, output to {@code log}; stopped in {@link #close()}. */
    public Process spawn(String role, List<String> command, Path log) throws IOException {
        Process p = ns(role).spawn(command, log);
        processes.add(p);
        return p;
    }

    /** Runs a command in the namespace of {@code role} to completion and returns its output; throws when it fails. */
    public String exec(String role, List<String> command, Duration timeout) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns(role).name()));
        full.addAll(command);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " in " + role + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " in " + role + " exited " + p.exitValue() + ": " + text);
        }
        return text;
    }

    /** A running tcpdump writing a pcap. */
    public final class Capture {
        private final Process process;
        private final Path pcap;
        private final Path log;

        private Capture(Process process, Path pcap, Path log) {
            this.process = process;
            this.pcap = pcap;
            this.log = log;
        }

        /** Stops tcpdump (letting it flush) and returns the pcap. */
        public Path stop() throws Exception {
            Thread.sleep(300);
            Netns.stop(process, 3000);
            return pcap;
        }

        /**
         * After {@link #stop}: the packets the kernel dropped before tcpdump read them (its exit statistics), which a
         * loaded test host causes; -1 when tcpdump printed none.
         */
        public long droppedByKernel() throws IOException {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) packets? dropped by kernel")
                    .matcher(Files.exists(log) ? Files.readString(log) : "");
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }
    }

    /** Starts tcpdump on {@code dev} in {@code role} with {@code filter}; returns once it listens. */
    public Capture startCapture(String role, String dev, String filter) throws Exception {
        int n = ++sequence;
        Path pcap = dir.resolve(role + "-" + dev + "-" + n + ".pcap");
        Path log = dir.resolve(role + "-" + dev + "-" + n + ".tcpdump.log");
        // A 32 MiB buffer (-B, KiB): with the default 2 MiB a loaded CI host dropped 94-240 of a 1 MiB TCP transfer's packets
        Process p = spawn(role, List.of("tcpdump", "--immediate-mode", "-B", "32768", "-i", dev, "-U", "-n", "-w",
                pcap.toString(), filter), log);
        for (int i = 0; i < 100 && !(Files.exists(log) && Files.readString(log).contains("listening")); i++) {
            Thread.sleep(50);
        }
        return new Capture(p, pcap, log);
    }

    /** What {@code ping -D -O} printed: reply times (epoch seconds) by ICMP sequence, and the totals. */
    public record PingResult(Map<Integer, Double> replies, long transmitted, long received, String output) {
        /** Replies to requests with a sequence number in [from, to]. */
        public long repliesBetween(int from, int to) {
            return replies.keySet().stream().filter(s -> s >= from && s <= to).count();
        }

        /** The longest time between consecutive replies (seconds), the gap a failure caused. */
        public double longestGap() {
            List<Double> t = replies.values().stream().sorted().toList();
            double gap = 0;
            for (int i = 1; i < t.size(); i++) {
                gap = Math.max(gap, t.get(i) - t.get(i - 1));
            }
            return gap;
        }

        static PingResult parse(String output) {
            Map<Integer, Double> replies = new LinkedHashMap<>();
            long tx = 0;
            long rx = 0;
            for (String l : output.split("\n")) {
                Matcher m = REPLY.matcher(l);
                if (m.find()) {
                    replies.putIfAbsent(Integer.parseInt(m.group(2)), Double.parseDouble(m.group(1)));
                }
                Matcher t = TOTALS.matcher(l);
                if (t.find()) {
                    tx = Long.parseLong(t.group(1));
                    rx = Long.parseLong(t.group(2));
                }
            }
            return new PingResult(replies, tx, rx, output);
        }
    }

    /** A ping running in the background. */
    public final class Ping {
        private final Process process;
        private final Path log;

        private Ping(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        /** Waits for the ping to end (its own count/deadline) and parses its output. */
        public PingResult await() throws Exception {
            if (!process.waitFor(600, TimeUnit.SECONDS)) {
                Netns.stop(process, 1000);
            }
            return PingResult.parse(Files.readString(log));
        }

        /** Ends the ping now with SIGINT (so it prints its totals) and parses its output. */
        public PingResult stop() throws Exception {
            if (process.isAlive()) {
                HostCommands.local().run(List.of("kill", "-INT", Long.toString(process.pid())));
            }
            return await();
        }
    }

    /**
     * Starts {@code ping -n -D -O -i INTERVAL -c COUNT -I SOURCE DESTINATION} in {@code role} (IPv4 or IPv6 by the
     * destination's form); each request waits one second for its reply.
     */
    public Ping startPing(String role, String source, String destination, int count, Duration interval) throws IOException {
        Path log = dir.resolve(role + "-ping-" + (++sequence) + ".log");
        String i = String.format(java.util.Locale.ROOT, "%.3f", interval.toMillis() / 1000.0);
        Process p = spawn(role, List.of("ping", "-n", "-D", "-O", "-W", "1", "-i", i, "-c", Integer.toString(count),
                "-I", source, destination), log);
        return new Ping(p, log);
    }

    /** Pings once a second from {@code source} until a reply comes; false after {@code timeout}. */
    public boolean waitForPing(String role, String source, String destination, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            HostCommands.Result r = ns(role).tryExec("ping", "-n", "-c", "1", "-W", "1", "-I", source, destination);
            if (r.ok()) {
                return true;
            }
        }
        return false;
    }

    private static final String UDP_ECHO = """
            import socket, sys
            fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((sys.argv[1], int(sys.argv[2])))
            print('listening', flush=True)
            while True:
                data, peer = s.recvfrom(2048)
                s.sendto(data, peer)
            """;
    private static final String UDP_CLIENT = """
            import socket, sys, time, select
            src, dst, port, count, gap = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
            fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((src, 0))
            got = set()
            def drain(t):
                end = time.time() + t
                while True:
                    left = end - time.time()
                    if left <= 0 or not select.select([s], [], [], left)[0]:
                        return
                    data = s.recv(2048)
                    if data.startswith(b'poolsa-udp-'):
                        got.add(int(data[11:].split(b' ')[0]))
            for i in range(count):
                s.sendto(b'poolsa-udp-%d ' % i + b'x' * 64, (dst, port))
                drain(gap)
            drain(1.0)
            print('sent', count, 'echoed', len(got))
            """;
    private static final Pattern UDP_RESULT = Pattern.compile("sent (\\d+) echoed (\\d+)");

    /** Starts a UDP echo server on {@code address:port} in {@code role} (python3); stopped in {@link #close()}. */
    public void startUdpEcho(String role, String address, int port) throws Exception {
        Path log = dir.resolve(role + "-udp-echo-" + (++sequence) + ".log");
        spawn(role, List.of("/usr/bin/python3", "-u", "-c", UDP_ECHO, address, Integer.toString(port)), log);
        for (int i = 0; i < 100 && !(Files.exists(log) && Files.readString(log).contains("listening")); i++) {
            Thread.sleep(50);
        }
    }

    /**
     * Sends {@code count} numbered UDP datagrams from {@code source} to {@code destination:port} in {@code role}, one per
     * {@code interval}, and returns how many distinct ones came back from an echo server (1 s grace after the last).
     */
    public int udpEchoes(String role, String source, String destination, int port, int count, Duration interval)
            throws Exception {
        String out = exec(role, List.of("/usr/bin/python3", "-c", UDP_CLIENT, source, destination, Integer.toString(port),
                Integer.toString(count), String.format(java.util.Locale.ROOT, "%.3f", interval.toMillis() / 1000.0)),
                Duration.ofSeconds(60 + count * interval.toSeconds()));
        Matcher m = UDP_RESULT.matcher(out);
        if (!m.find() || Integer.parseInt(m.group(1)) != count) {
            throw new IllegalStateException("UDP client in " + role + ": " + out);
        }
        return Integer.parseInt(m.group(2));
    }

    /** Stops every process started here (TERM, then KILL), and deletes the namespaces. */
    @Override
    public void close() {
        for (Process p : processes) {
            if (p.isAlive()) {
                Netns.stop(p, 10_000);
            }
        }
        processes.clear();
        List<Netns> all = new ArrayList<>(namespaces.values());
        java.util.Collections.reverse(all);
        for (Netns n : all) {
            n.close();
        }
        namespaces.clear();
    }
}

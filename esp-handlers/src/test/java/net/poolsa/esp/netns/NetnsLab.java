package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.poolsa.esp.divert.HostCommands;

/**
 * Shared pieces of the namespace tests (needs root): a working directory under target/ that survives a
 * failure, {@link GatewayMain} processes, their status files, and tcpdump/tshark captures.
 */
public final class NetnsLab {
    private final Path dir;

    public NetnsLab(String name) throws IOException {
        this.dir = Files.createDirectories(Path.of("target", name + "-" + ProcessHandle.current().pid()).toAbsolutePath());
    }

    public Path dir() {
        return dir;
    }

    /** Starts {@link GatewayMain} in {@code ns} with {@code args} plus its status file; waits (60 s at most) until it is ready. */
    public Process gateway(Netns ns, String tag, List<String> args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.log.org.pcap4j=warn", "-Dio.netty.leakDetectionLevel=simple",
                GatewayMain.class.getName(), "--status", dir.resolve(tag + ".status").toString()));
        cmd.addAll(args);
        Process p = ns.spawn(cmd, dir.resolve(tag + ".log"));
        Path s = dir.resolve(tag + ".status");
        // 60 s, as ApplianceLab: on a loaded two-core machine a JVM start alone has taken over 15 s.
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(s)) {
                return p;
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        fail("gateway " + tag + " did not start:\n" + Files.readString(dir.resolve(tag + ".log")));
        return p;
    }

    /** The gateway's log (stdout and stderr). */
    public String log(String tag) throws IOException {
        return Files.readString(dir.resolve(tag + ".log"));
    }

    /** The gateway's last status: key=value lines (drop.REASON, out.remote, out.switches, ...). */
    public Map<String, String> status(String tag) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve(tag + ".status"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return m;
    }

    /** Captures IPv4 packets on {@code dev} in {@code ns} while {@code traffic} runs. */
    public Path capture(Netns ns, String dev, Runnable traffic) throws Exception {
        return capture(ns, dev, "ip", traffic);
    }

    /** Captures packets matching the tcpdump {@code filter} on {@code dev} in {@code ns} while {@code traffic} runs. */
    public Path capture(Netns ns, String dev, String filter, Runnable traffic) throws Exception {
        Path pcap = dir.resolve(dev + "-" + System.nanoTime() + ".pcap");
        Path log = dir.resolve(dev + "-" + System.nanoTime() + ".tcpdump.log");
        Process dump = ns.spawn(List.of("tcpdump", "--immediate-mode", "-i", dev, "-U", "-n", "-w", pcap.toString(), filter), log);
        for (int i = 0; i < 100 && !Files.readString(log).contains("listening"); i++) {
            Thread.sleep(50);
        }
        traffic.run();
        Thread.sleep(300);
        Netns.stop(dump, 3000);
        return pcap;
    }

    /**
     * Captures IPv4 packets on every one of {@code devs} in {@code ns} while {@code traffic} runs (a path may move
     * between links during it); the pcaps in the order of {@code devs}.
     */
    public List<Path> capture(Netns ns, List<String> devs, Runnable traffic) throws Exception {
        if (devs.isEmpty()) {
            traffic.run();
            return new ArrayList<>();
        }
        List<Path> all = new ArrayList<>();
        all.add(capture(ns, devs.get(0), () -> {
            try {
                all.addAll(capture(ns, devs.subList(1, devs.size()), traffic));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
        // The inner captures finished first: put the first device's pcap back in front.
        all.add(0, all.remove(all.size() - 1));
        return all;
    }

    /**
     * Pings once a second ({@code ping -c 1 -W 1 ARGS}) from {@code ns} until one is answered: both gateways forward
     * before the counted traffic (on a loaded machine the first exchange can outlast ping's own timeout).
     *
     * @throws AssertionError after 30 s without a reply
     */
    public static void waitForPing(Netns ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ping", "-c", "1", "-W", "1"));
        cmd.addAll(List.of(args));
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (ns.tryExec(cmd.toArray(String[]::new)).ok()) {
                return;
            }
        }
        throw new AssertionError("no reply to " + String.join(" ", cmd) + " within 30 s");
    }

    /**
     * The inner sides of the hostA -- gwA ... gwB -- hostB topology: hostA 192.0.2.1/26 behind gwA (192.0.2.2),
     * hostB 192.0.2.65/26 behind gwB (192.0.2.66), and with {@code v6} also 2001:db8:1::/64 and 2001:db8:2::/64.
     * The links between the gateways are the caller's.
     */
    public static void innerSides(Netns hostA, Netns gwA, Netns gwB, Netns hostB, boolean v6) throws Exception {
        Netns.veth(hostA, "ha0", gwA, "ga0");
        Netns.veth(gwB, "gb0", hostB, "hb0");
        hostA.exec("ip", "addr", "add", "192.0.2.1/26", "dev", "ha0");
        hostA.exec("ip", "route", "add", "default", "via", "192.0.2.2");
        gwA.exec("ip", "addr", "add", "192.0.2.2/26", "dev", "ga0");
        gwB.exec("ip", "addr", "add", "192.0.2.66/26", "dev", "gb0");
        hostB.exec("ip", "addr", "add", "192.0.2.65/26", "dev", "hb0");
        hostB.exec("ip", "route", "add", "default", "via", "192.0.2.66");
        if (v6) {
            hostA.exec("ip", "addr", "add", "2001:db8:1::1/64", "dev", "ha0", "nodad");
            hostA.exec("ip", "-6", "route", "add", "default", "via", "2001:db8:1::2");
            gwA.exec("ip", "addr", "add", "2001:db8:1::2/64", "dev", "ga0", "nodad");
            gwB.exec("ip", "addr", "add", "2001:db8:2::2/64", "dev", "gb0", "nodad");
            hostB.exec("ip", "addr", "add", "2001:db8:2::1/64", "dev", "hb0", "nodad");
            hostB.exec("ip", "-6", "route", "add", "default", "via", "2001:db8:2::2");
        }
    }

    /** tshark fields "ip.proto esp.spi ip.src ip.dst icmp.type" per packet. */
    public static List<String> outerFields(Path pcap) {
        HostCommands.Result r = HostCommands.local().run(List.of("tshark", "-r", pcap.toString(), "-T", "fields",
                "-e", "ip.proto", "-e", "esp.spi", "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type"));
        assertTrue(r.ok(), r.output());
        List<String> lines = new ArrayList<>();
        for (String l : r.output().split("\n")) {
            if (!l.isBlank() && !l.startsWith("Running as")) {
                lines.add(l);
            }
        }
        return lines;
    }

    /**
     * tshark decrypts the ESP packets with AES-GCM-16 keys ({@code spiHex -> key+salt hex}) and verifies ICVs.
     * Fields per ESP packet: "esp.spi esp.icv_good ip.src ipv6.src icmp.type icmpv6.type" (last occurrence:
     * the inner packet's).
     */
    public List<String> decryptEsp(Path pcap, Map<String, String> gcmKeys) throws Exception {
        List<String> sa = new ArrayList<>();
        gcmKeys.forEach((spi, key) -> sa.add("\"IPv4\",\"*\",\"*\",\"0x" + spi
                + "\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x" + key + "\",\"NULL\",\"\""));
        return tsharkEsp(Files.createDirectories(dir.resolve("wireshark")), pcap, sa,
                "esp.spi", "esp.icv_good", "ip.src", "ipv6.src", "icmp.type", "icmpv6.type");
    }

    /**
     * tshark reads {@code pcap} with ESP decryption and ICV checking on, using {@code espSa} as its SA table
     * (lines of Wireshark's {@code esp_sa} file, written under {@code confDir}), and prints {@code fields}
     * tab-separated for every ESP packet, each field's last occurrence (the inner packet's, when decrypted).
     */
    public static List<String> tsharkEsp(Path confDir, Path pcap, List<String> espSa, String... fields) throws Exception {
        Files.createDirectories(confDir);
        Files.writeString(confDir.resolve("esp_sa"), String.join("\n", espSa) + "\n");
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(),
                "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE", "-Y", "esp",
                "-T", "fields", "-E", "occurrence=l"));
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("WIRESHARK_CONFIG_DIR", confDir.toString());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        List<String> out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "tshark did not finish");
        assertTrue(p.exitValue() == 0, "tshark exit status " + p.exitValue());
        return out;
    }
}

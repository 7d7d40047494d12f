package net.poolsa.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.lifecycle.Appliance;
import net.poolsa.appliance.lifecycle.RecordingDataPathProvider;

/**
 * {@code poolsa run} as a real process: starts, serves metrics, status and its control socket (which keeps a
 * second instance out), reloads on SIGHUP, and on
 * SIGTERM stops the data path (diversion removed), deletes the SAs and exits 0. Needs CAP_NET_RAW and
 * CAP_NET_ADMIN (run as root; CI is root) and libpcap. The data path is the recording test double,
 * put on the child's class path only. The child is ours and is killed by handle in {@code finally}.
 */
@Tag("root")
class RunProcessTest {
    @TempDir
    Path dir;

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    @Test
    void runReloadsOnHupAndStopsCleanlyOnTerm() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        Path log = dir.resolve("poolsa.log");
        Path marker = dir.resolve("stopped");
        Path socket = dir.resolve("poolsa.ctl");
        String cp = System.getProperty("java.class.path") + File.pathSeparator + Path.of("src/test/provider-services").toAbsolutePath();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dpoolsa.test.marker=" + marker, "-Dpoolsa.dataPath=recording", "-cp", cp, PoolsaCommand.class.getName(), "run", "-c", cfg.toString(),
                "--control-socket", socket.toString(), "--state-dir", dir.resolve("state").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Pattern started = Pattern.compile("event=started .* metrics=/127\\.0\\.0\\.1:(\\d+)");
            String port = null;
            // Up to 60 s: a JVM start on a loaded 2-core CI machine was seen to take more than 10 s.
            for (int i = 0; i < 600 && port == null && p.isAlive(); i++) {
                Thread.sleep(100);
                Matcher m = started.matcher(Files.readString(log));
                if (m.find()) {
                    port = m.group(1);
                }
            }
            assertTrue(port != null, () -> "not started: " + read(log));
            assertTrue(!read(log).contains("event=signal_ignored"), () -> read(log));
            String base = "http://127.0.0.1:" + port;
            assertEquals("200 {\"status\":\"up\"}\n", get(base + "/health"));

            // poolsa status against the running instance, as an operator would call it.
            StringBuilder status = new StringBuilder();
            CliStatus.run(base, status);
            assertTrue(status.toString().contains("site-c: INSTALLED, manual keys"), status.toString());

            // The control socket of the child: mode 0660, status and initiate through it, and this process cannot
            // start a second instance on it (the child holds the lock).
            assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            StringBuilder viaSocket = new StringBuilder();
            CliStatus.run(new String[] {"status", "--control-socket", socket.toString(), "-c", dir.resolve("absent.yaml").toString()},
                    viaSocket);
            assertTrue(viaSocket.toString().contains("site-c: INSTALLED, manual keys"), viaSocket.toString());
            StringBuilder initiated = new StringBuilder();
            CliStatus.run(new String[] {"initiate", "site-c", "--control-socket", socket.toString()}, initiated);
            assertTrue(initiated.toString().startsWith("connection site-c is keyed manually: nothing to negotiate"), initiated.toString());
            String audit = "event=control_command command=initiate connection=site-c uid=0 pid=" + ProcessHandle.current().pid()
                    + " result=ok";
            boolean logged = false;
            for (int i = 0; i < 50 && !logged; i++) {
                logged = read(log).contains(audit);
                Thread.sleep(50);
            }
            assertTrue(logged, () -> "audit line " + audit + " in " + read(log));
            Appliance.StartupException second = org.junit.jupiter.api.Assertions.assertThrows(Appliance.StartupException.class,
                    () -> Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", socket));
            assertTrue(second.getMessage().contains("another poolsa instance (pid " + p.pid() + ")"), second.getMessage());

            ConfigFixture.writeYaml(dir, ConfigFixture.TWO_MANUAL.replace("replay-window: 128", "replay-window: 256"));
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
            boolean reloaded = false;
            for (int i = 0; i < 100 && !reloaded; i++) {
                Thread.sleep(100);
                reloaded = get(base + "/metrics").contains("poolsa_config_reloads_total{result=\"success\",} 1.0");
            }
            assertTrue(reloaded, () -> read(log));
            assertTrue(read(log).contains("event=reloaded added=0 removed=0 changed=1 unchanged=1"), () -> read(log));

            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), () -> read(log));
            assertEquals("stopped sas=4\n", Files.readString(marker), "the data path stopped before the SAs went");
            String out = read(log);
            assertTrue(out.contains("event=data_path_stopped diversion=removed"), out);
            assertTrue(out.contains("event=stopped keys=zeroed"), out);
            assertTrue(!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS), "control socket removed");
            assertTrue(!out.contains("0102030405"), "no key material in the log");
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aRunStartedWithHupIgnoredSaysThatSighupCannotReload() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        Path log = dir.resolve("poolsa.log");
        String cp = System.getProperty("java.class.path") + File.pathSeparator + Path.of("src/test/provider-services").toAbsolutePath();
        // As nohup does: the signal is ignored before the JVM starts, and the JVM then never installs a handler for it.
        Process p = new ProcessBuilder("sh", "-c", "trap '' HUP; exec \"$0\" \"$@\"",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dpoolsa.dataPath=recording", "-cp", cp, PoolsaCommand.class.getName(), "run", "-c", cfg.toString(),
                "--control-socket", dir.resolve("poolsa.ctl").toString(), "--state-dir", dir.resolve("state").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean started = false;
            for (int i = 0; i < 600 && !started && p.isAlive(); i++) {
                Thread.sleep(100);
                started = read(log).contains("event=started");
            }
            assertTrue(started, () -> "not started: " + read(log));
            assertTrue(read(log).contains("event=signal_ignored signal=HUP action=none"), () -> read(log));
            p.destroy(); // SIGTERM still stops it in order
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), () -> read(log));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aStateDirectoryThatCannotBeWrittenIsAStartupErrorThatNamesIt() throws Exception {
        Path cfg = ConfigFixture.writeTwoManual(dir);
        Path log = dir.resolve("poolsa.log");
        Path blocker = dir.resolve("a-file");
        Files.writeString(blocker, "x");
        Path stateDir = blocker.resolve("state");
        String cp = System.getProperty("java.class.path") + File.pathSeparator + Path.of("src/test/provider-services").toAbsolutePath();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dpoolsa.dataPath=recording", "-cp", cp, PoolsaCommand.class.getName(), "run", "-c", cfg.toString(),
                "--state-dir", stateDir.toString(), "--control-socket", dir.resolve("poolsa.ctl").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), () -> read(log));
            assertEquals(ExitCodes.STARTUP, p.exitValue(), () -> read(log));
            String out = read(log);
            assertTrue(out.contains("poolsa: state directory " + stateDir + " cannot be created"), out);
            assertTrue(!out.contains("event=started"), out);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** Runs the status subcommand in-process against {@code url}, or any subcommand with {@code args}. */
    static final class CliStatus {
        static void run(String url, StringBuilder out) {
            run(new String[] {"status", "--url", url}, out);
        }

        static void run(String[] args, StringBuilder out) {
            java.io.StringWriter w = new java.io.StringWriter();
            java.io.StringWriter e = new java.io.StringWriter();
            picocli.CommandLine cl = PoolsaCommand.commandLine();
            cl.setOut(new java.io.PrintWriter(w, true));
            cl.setErr(new java.io.PrintWriter(e, true));
            int code = cl.execute(args);
            assertEquals(0, code, e::toString);
            out.append(w);
        }
    }
}

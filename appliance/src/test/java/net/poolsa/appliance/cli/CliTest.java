package net.poolsa.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import picocli.CommandLine;

/** The command-line surface in-process. This class path has no data path and no demo implementation. */
class CliTest {
    @TempDir
    Path dir;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        CommandLine cl = PoolsaCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void versionAndHelp() {
        assertEquals(0, run("--version"));
        assertTrue(out.toString().startsWith("poolsa 0.1.0-SNAPSHOT\n"), out.toString());
        assertEquals(0, run("--help"));
        String help = out.toString();
        assertTrue(help.contains("Examples:") && help.contains("poolsa check-config -c /etc/poolsa/poolsa.yaml"), help);
        assertTrue(help.contains("  3  invalid configuration"), help);
        assertTrue(help.contains("  9  initiate, terminate: the running instance refused the command"), help);
        assertTrue(help.contains(" 10  initiate, terminate: no result within --timeout"), help);
        // picocli wraps at 80 columns: a longer line of the table used to leave its end at column 0
        for (String line : help.substring(help.indexOf("Exit codes:") + 12).split("\n")) {
            assertTrue(line.startsWith(" "), () -> "a wrapped exit-code line: '" + line + "' in\n" + help);
        }
        for (String sub : new String[] {"run", "check-config", "status", "initiate", "terminate", "demo"}) {
            assertTrue(help.contains("  " + sub + " "), sub);
        }
    }

    @Test
    void usageErrorsExit2() {
        assertEquals(ExitCodes.USAGE, run("frobnicate"));
        assertEquals(ExitCodes.USAGE, run());
        assertEquals(ExitCodes.USAGE, run("demo", "--duration", "ten"));
        assertEquals(ExitCodes.USAGE, run("demo", "--duration", "10s", "--fail-after", "20s"));
    }

    @Test
    void checkConfig() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        assertEquals(0, run("check-config", "-c", cfg.toString()), err.toString());
        assertTrue(out.toString().contains("OK, 2 connection(s): 1 manually keyed, 1 by IKE"), out.toString());
        // the fixture's interfaces are not on this host: still valid, but run would refuse to start here
        assertEquals(cfg + ": note: no such network interface on this host: data-path.capture[0].interface lan0, "
                + "data-path.uplinks[0].interface wan0, data-path.uplinks[1].interface wan1 (poolsa run here would "
                + "refuse to start)", err.toString().strip().replaceFirst("^poolsa: ", ""));
        ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("interface: lan0", "interface: lo")
                .replace("interface: wan0", "interface: psa-absent0").replace("interface: wan1", "interface: psa-absent1"));
        assertEquals(0, run("check-config", "-c", cfg.toString()), err.toString());
        assertTrue(err.toString().contains("on this host: data-path.uplinks[0].interface psa-absent0, "
                + "data-path.uplinks[1].interface psa-absent1 ("), err.toString());
        ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("mtu: 1500", "mtu: 100"));
        assertEquals(ExitCodes.CONFIG, run("check-config", "--config", cfg.toString()));
        assertTrue(err.toString().contains(cfg + ":4: data-path.mtu: 100 is not within 1280-65535"), err.toString());
    }

    @Test
    void runRefusesAMissingDataPathButNoLongerIke() throws Exception {
        // A data path that is not in the build is refused before anything touches the host; the IKE connection
        // site-c (which poolsa run refused with exit 6 before IKE existed) is not a reason any more.
        System.setProperty("poolsa.dataPath", "no-such-data-path");
        try {
            for (Path cfg : List.of(ConfigFixture.write(dir), ConfigFixture.writeTwoManual(dir))) {
                err.getBuffer().setLength(0);
                assertEquals(ExitCodes.UNAVAILABLE, run("run", "-c", cfg.toString()));
                assertTrue(err.toString().contains("this build has no data path named 'no-such-data-path'"), err.toString());
                assertFalse(err.toString().contains("keyed by IKE"), err.toString());
            }
        } finally {
            System.clearProperty("poolsa.dataPath");
        }
        assertEquals(ExitCodes.CONFIG, run("run", "-c", dir.resolve("missing.yaml").toString()));
    }

    @Test
    void statusWithoutInstanceExits7AndDemoChecksItsTimes() throws Exception {
        Path cfg = ConfigFixture.writeYaml(dir, "metrics:\n  listen: \"127.0.0.1:1\"\n");
        assertEquals(ExitCodes.NOT_RUNNING, run("status", "-c", cfg.toString(), "--control-socket", dir.resolve("none.ctl").toString()));
        assertTrue(err.toString().contains("no running instance at http://127.0.0.1:1/status"), err.toString());
        // The demo itself runs end to end in PaperExperimentNetnsTest (it needs root and minutes).
        assertEquals(ExitCodes.USAGE, run("demo", "--duration", "5s", "--fail-after", "10s", "--output", dir.toString()));
        assertTrue(err.toString().contains("--fail-after must be above 0 and shorter than --duration"), err.toString());
        assertEquals(ExitCodes.USAGE, run("demo", "--runs", "plain,ipsec", "--output", dir.toString()));
        assertTrue(err.toString().contains("--runs: unknown value 'ipsec' (one of mobike, per-address, plain, poolsa)"),
                err.toString());
        assertEquals(ExitCodes.USAGE, run("demo", "--keying", "psk", "--output", dir.toString()));
        assertTrue(err.toString().contains("--keying must be ike or manual"), err.toString());
    }

    private static final String SA_FILE = """
            add 198.51.100.1 198.51.100.17 esp 0x5001 -m tunnel -u 9
                -E rijndael-cbc 0x0102030405060708090a0b0c0d0e0f10
                -A hmac-sha256 0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 ;
            add 198.51.100.17 198.51.100.1 esp 0x5002 -m tunnel -u 9
                -E rijndael-cbc 0x2122232425262728292a2b2c2d2e2f30
                -A hmac-sha256 0x2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40 ;
            spdadd 192.0.2.0/26 192.0.2.192/26 any -P out ipsec esp/tunnel/198.51.100.1-198.51.100.17/unique:9 ;
            """;

    private Path saFile(String content) throws Exception {
        Path p = dir.resolve("static.sa");
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    /** {@code check-config} with an {@code sa-file:} of setkey(8) statements, alone or beside YAML connections. */
    @Test
    void acceptsAConfigWhoseConnectionsComeFromAnSaFile() throws Exception {
        saFile(SA_FILE);
        String yaml = ConfigFixture.YAML.substring(0, ConfigFixture.YAML.indexOf("connections:")) + "sa-file: static.sa\n";
        Path cfg = ConfigFixture.writeYaml(dir, yaml);
        assertEquals(0, run("check-config", "-c", cfg.toString()), err.toString());
        assertTrue(out.toString().contains("OK, 1 connection(s): 1 manually keyed, 0 by IKE"), out.toString());
    }

    @Test
    void acceptsAnSaFileBesideYamlConnectionsAndReportsItsLine() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        saFile(SA_FILE);
        ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("connections:\n", "sa-file: static.sa\nconnections:\n"));
        assertEquals(0, run("check-config", "-c", cfg.toString()), err.toString());
        assertTrue(out.toString().contains("OK, 3 connection(s): 2 manually keyed, 1 by IKE"), out.toString());
        Path sa = saFile(SA_FILE.replace("-E rijndael-cbc 0x2122", "-E rijndael-cbc 0x21"));
        assertEquals(ExitCodes.CONFIG, run("check-config", "-c", cfg.toString()));
        assertTrue(err.toString().contains(sa + ":5: add.-E: key for rijndael-cbc is 15 bytes; it needs [16, 24, 32] bytes"),
                err.toString());
    }

    /** Manual AEAD: refused with FILE:LINE, the field, why in one sentence, and what to use instead. */
    @Test
    void checkConfigRefusesManualAeadAndSaysWhatToUse() throws Exception {
        Path cfg = ConfigFixture.write(dir);
        ConfigFixture.writeYaml(dir, ConfigFixture.YAML.replace("encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n",
                "encryption: aes-gcm-16\n"));
        assertEquals(ExitCodes.CONFIG, run("check-config", "-c", cfg.toString()));
        assertEquals("poolsa: " + cfg + ":29: connections.site-b.manual.encryption: aes-gcm-16 cannot be used with manual "
                + "keys: its nonce is the key's salt and the sequence number, which restarts at 1 after every restart, "
                + "crash or reload, so a static key repeats (key, nonce) pairs and gives away the authentication key "
                + "(RFC 4106 §10, RFC 8221 §3); use aes-cbc with hmac-sha2-256-128 instead, or IKE keying\n", err.toString());
    }
}

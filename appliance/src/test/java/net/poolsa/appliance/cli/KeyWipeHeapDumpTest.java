package net.poolsa.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.wipe.HeapDump;

/**
 * Needs root (as {@link RunProcessTest}: capabilities) and the JDK's {@code jcmd}. Keys are really wiped: {@code poolsa
 * run} (recording data path, which with {@code -Dpoolsa.test.exercise=true} sends one packet through every SA, so the
 * JCA key schedules exist) with two manually keyed AES-CBC + HMAC-SHA-256 connections of random keys. A heap dump
 * ({@code jcmd PID GC.heap_dump}) while site-b is installed finds its keys: raw (SA key copies) and as the JCA keeps
 * them, the AES key schedule (an {@code int[]} starting with the key's words) and the HMAC pads (key XOR 0x36 and
 * 0x5c). That is the positive control. After a SIGHUP reload that removes site-b, a second dump holds none of these
 * forms, nor the key files' hex text, anywhere. The stop line then says {@code keys=zeroed}.
 */
@Tag("root")
class KeyWipeHeapDumpTest {
    @TempDir
    Path dir;

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }


    /** A manual AES-CBC + HMAC-SHA-256 connection NAME whose key files are secrets/NAME.{ein,eout,iin,iout}. */
    private static String connection(String name, String localOuter, String remoteOuter, String remoteProtected, int spiIn) {
        return "  " + name + ":\n    local-outer: [" + localOuter + "]\n    remote-outer: [" + remoteOuter + "]\n"
                + "    local-protected: [192.0.2.0/26]\n    remote-protected: [" + remoteProtected + "]\n    manual:\n"
                + String.format("      spi-in: 0x%08x%n      spi-out: 0x%08x%n", spiIn, spiIn + 0x1000)
                + "      encryption: aes-cbc\n      integrity: hmac-sha2-256-128\n"
                + "      encryption-key-in: secrets/" + name + ".ein\n      encryption-key-out: secrets/" + name + ".eout\n"
                + "      integrity-key-in: secrets/" + name + ".iin\n      integrity-key-out: secrets/" + name + ".iout\n";
    }

    /** The fixture's data path with site-c, and site-b before it when {@code withSiteB}. */
    private static String yaml(boolean withSiteB) {
        return ConfigFixture.YAML.substring(0, ConfigFixture.YAML.indexOf("connections:\n")) + "connections:\n"
                + (withSiteB ? connection("site-b", "198.51.100.0/28, 203.0.113.0/28", "198.51.100.17/32, 203.0.113.17/32",
                        "192.0.2.128/26", 0x1001) : "")
                + connection("site-c", "198.51.100.0/28", "198.51.100.33/32", "192.0.2.192/26", 0x3001);
    }

    @Test
    void aRemovedConnectionLeavesNoKeyBytesInTheHeap() throws Exception {
        Map<String, byte[]> siteB = new LinkedHashMap<>();
        siteB.put("site-b.ein", random(16));
        siteB.put("site-b.eout", random(16));
        siteB.put("site-b.iin", random(32));
        siteB.put("site-b.iout", random(32));
        for (Map.Entry<String, byte[]> e : siteB.entrySet()) {
            ConfigFixture.secret(dir, "secrets/" + e.getKey(), hex(e.getValue()));
        }
        for (String k : List.of("ein", "eout", "iin", "iout")) {
            ConfigFixture.secret(dir, "secrets/site-c." + k, hex(random(k.startsWith("e") ? 16 : 32)));
        }
        Path cfg = ConfigFixture.writeYaml(dir, yaml(true));
        Path log = dir.resolve("poolsa.log");
        String cp = System.getProperty("java.class.path") + File.pathSeparator + Path.of("src/test/provider-services").toAbsolutePath();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dpoolsa.dataPath=recording", "-Dpoolsa.test.exercise=true", "-cp", cp, PoolsaCommand.class.getName(),
                "run", "-c", cfg.toString(), "--state-dir", dir.resolve("state").toString(),
                "--control-socket", dir.resolve("poolsa.ctl").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            for (int i = 0; i < 300 && p.isAlive() && !read(log).contains("event=started"); i++) {
                Thread.sleep(100);
            }
            assertTrue(read(log).contains("event=test_exercised sas=4"), () -> "every SA exercised: " + read(log));
            assertTrue(read(log).contains("event=started"), () -> read(log));

            HeapDump before = dump(p, "installed");
            for (String k : siteB.keySet()) {
                assertTrue(before.find(siteB.get(k)).contains("byte[]"), "positive control: raw " + k + " in a byte[]");
            }
            assertTrue(before.find(siteB.get("site-b.eout")).contains("int[]"),
                    "positive control: the outbound AES key schedule (int[]) starts with the key: " + before.find(siteB.get("site-b.eout")));
            for (String k : List.of("site-b.iin", "site-b.iout")) {
                assertTrue(before.find(HeapDump.xor(siteB.get(k), 0x36)).contains("byte[]"), "positive control: HMAC inner pad of " + k);
                assertTrue(before.find(HeapDump.xor(siteB.get(k), 0x5c)).contains("byte[]"), "positive control: HMAC outer pad of " + k);
            }

            ConfigFixture.writeYaml(dir, yaml(false));
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
            for (int i = 0; i < 200 && !read(log).contains("event=reloaded"); i++) {
                Thread.sleep(100);
            }
            assertTrue(read(log).contains("event=reloaded added=0 removed=1 changed=0 unchanged=1"), () -> read(log));

            HeapDump after = dump(p, "removed");
            List<String> found = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : siteB.entrySet()) {
                byte[] k = e.getValue();
                Map<String, byte[]> forms = new LinkedHashMap<>();
                forms.put("raw", k);
                forms.put("xor 0x36", HeapDump.xor(k, 0x36));
                forms.put("xor 0x5c", HeapDump.xor(k, 0x5c));
                forms.put("hex", hex(k).getBytes(StandardCharsets.US_ASCII));
                forms.put("HEX", hex(k).toUpperCase().getBytes(StandardCharsets.US_ASCII));
                for (Map.Entry<String, byte[]> f : forms.entrySet()) {
                    List<String> where = after.find(f.getValue());
                    if (!where.isEmpty()) {
                        found.add(e.getKey() + " " + f.getKey() + " in " + where);
                    }
                }
            }
            assertEquals(List.of(), found, "key material of the removed connection left in the heap");

            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), () -> read(log));
            assertTrue(read(log).contains("event=stopped keys=zeroed"), () -> read(log));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    /** {@code jcmd PID GC.heap_dump FILE}: live objects only, after a full GC, as an operator would take it. */
    private HeapDump dump(Process p, String name) throws Exception {
        Path file = dir.resolve(name + ".hprof");
        Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(p.pid()),
                "GC.heap_dump", file.toString()).redirectErrorStream(true).start();
        String out = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(j.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, j.exitValue(), out);
        assertTrue(Files.size(file) > 1_000_000, () -> "dump too small: " + out);
        try {
            return HeapDump.read(file);
        } finally {
            Files.delete(file);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}

package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root (namespaces, raw sockets, libpcap), tcpdump and tshark. The product under restarts: two {@code poolsa
 * run} appliances ({@link ApplianceLab}) with the manually keyed AES-CBC + HMAC-SHA-256-128 pool SA pair carry pings
 * at 20/s from hA to hB while gA is (a) stopped and started again, (b) killed with SIGKILL and started again,
 * (c) reloaded by SIGHUP with a changed connection (a new lifetime) and the same key files, which reinstalls its SAs.
 *
 * <p>From captures of both uplinks, decrypted and ICV-checked by tshark with the keys: no (SPI, sequence number)
 * and no CBC IV is ever sent twice (RFC 4303 §3.3.3: a manually keyed counter is maintained across restarts). And
 * the peer keeps accepting: after each event the pings come back within 5 s of gA being up again, at least 90 % of
 * those sent after that are answered, and gB's anti-replay window drops at most a handful of packets in all.
 * Before the state directory existed, every event restarted gA's counter at 1, and gB refused everything up to
 * the highest number it had seen (replayed / too old): a black hole of many seconds, and repeated sequence numbers.
 */
@Tag("root")
class ManualKeyRestartNetnsTest {
    private static final String SRC = "192.0.2.10";
    private static final String DST = "192.0.2.130";
    private static final Duration INTERVAL = Duration.ofMillis(50);
    private static final double RESUME_WITHIN_SECONDS = 5.0;

    @Test
    void noSequenceNumberTwiceAndNoBlackHoleAcrossRestartCrashAndReload() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-manual-restart")) {
            ApplianceLab.Keys keys = ApplianceLab.Keys.random();
            Path cfgA = lab.writeConfig(ApplianceLab.GW_A, config(lab, ApplianceLab.GW_A, keys, ""));
            Path cfgB = lab.writeConfig(ApplianceLab.GW_B, config(lab, ApplianceLab.GW_B, keys, ""));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, cfgA);
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, cfgB);
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, SRC, DST, Duration.ofSeconds(20)), "the tunnel did not come up");
            List<ApplianceLab.Capture> captures = List.of(
                    lab.startCapture(ApplianceLab.GW_A, "l1a", "esp"), lab.startCapture(ApplianceLab.GW_A, "l2a", "esp"));

            // Warm-up: gB's window for gA's SA moves up to about 200.
            ApplianceLab.PingResult warm = lab.startPing(ApplianceLab.HOST_A, SRC, DST, 200, INTERVAL).await();
            assertTrue(warm.received() >= 180, () -> "warm-up:\n" + warm.output());

            // (a) Orderly restart.
            a = event(lab, "orderly restart", a, x -> {
                assertEquals(0, x.stop(), () -> log(x));
                return lab.start(ApplianceLab.GW_A, cfgA);
            });
            assertTrue(log(a).contains("event=sequence_continued spi=0x0000a001"), log(a));
            assertTrue(log(a).contains("event=replay_window_restored spi=0x0000b001"), log(a));

            // (b) Crash: SIGKILL, no orderly shutdown, then a start on the same state directory.
            a = event(lab, "kill -9 and start", a, x -> {
                x.kill9();
                return lab.start(ApplianceLab.GW_A, cfgA); // the crashed instance's diversion is still in place
            });
            assertTrue(log(a).contains("event=stale_diversion_removed"), log(a));

            // (c) SIGHUP with a changed connection and the same key files: its SAs are reinstalled.
            lab.writeConfig(ApplianceLab.GW_A, config(lab, ApplianceLab.GW_A, keys, "    lifetime: {life-time: 7200}\n"));
            a = event(lab, "reload reinstalling the SAs", a, x -> {
                String outcome = x.reload();
                assertTrue(outcome.contains("event=reloaded added=0 removed=0 changed=1"), outcome);
                return x;
            });

            double replayed = b.metric("poolsa_drops_total{reason=\"replayed\",}");
            double tooOld = b.metric("poolsa_drops_total{reason=\"too_old\",}");
            assertTrue(replayed + tooOld <= 5, "gB's anti-replay window dropped " + replayed + " replayed and " + tooOld
                    + " too old packets of gA's SA: the restarted counter went backwards");
            assertEquals(0, a.metric("poolsa_drops_total{reason=\"sequence_unreserved\",}"), "reservations kept ahead");

            List<Path> pcaps = new ArrayList<>();
            for (ApplianceLab.Capture c : captures) {
                pcaps.add(c.stop());
            }
            checkNothingRepeats(lab, keys, pcaps);
            assertEquals(0, a.stop(), log(a));
            assertEquals(0, b.stop(), log(b));
        }
    }

    /**
     * The lab's standard configuration with IPv4-only uplinks: the data path opens one capture per uplink address,
     * so an uplink with an IPv4 and an IPv6 address would see every inbound packet twice and count the second copy
     * as replayed, which would hide what this test counts. {@code extra} goes into the connection (e.g. a lifetime).
     */
    private static String config(ApplianceLab lab, String gw, ApplianceLab.Keys keys, String extra) throws Exception {
        String s = gw.equals(ApplianceLab.GW_A) ? "1" : "2";
        return ApplianceLab.dataPathYaml(gw).replace(", 2001:db8:100:1::" + s + "/64]", "]")
                .replace(", 2001:db8:100:2::" + s + "/64]", "]")
                + lab.standardConnection(gw, "demo", keys).replace("    protocol: esp\n", "    protocol: esp\n" + extra);
    }

    @FunctionalInterface
    private interface Event {
        ApplianceLab.Poolsa apply(ApplianceLab.Poolsa a) throws Exception;
    }

    /**
     * Runs {@code event} on gA two seconds into pings at 20/s that go on until 12 s after gA is up again, then checks
     * that replies resumed within {@link #RESUME_WITHIN_SECONDS} of that and that 90 % of the requests sent after the
     * resumption were answered.
     */
    private static ApplianceLab.Poolsa event(ApplianceLab lab, String what, ApplianceLab.Poolsa a, Event event) throws Exception {
        ApplianceLab.Ping ping = lab.startPing(ApplianceLab.HOST_A, SRC, DST, 100_000, INTERVAL);
        Thread.sleep(2000);
        ApplianceLab.Poolsa next = event.apply(a);
        double up = System.currentTimeMillis() / 1000.0;
        Thread.sleep(12_000);
        ApplianceLab.PingResult r = ping.stop();
        Integer resumed = r.replies().entrySet().stream().filter(e -> e.getValue() >= up).map(Map.Entry::getKey)
                .min(Integer::compare).orElse(null);
        assertTrue(resumed != null, () -> what + ": no reply after gA was back:\n" + r.output() + "\n" + log(next));
        double waited = r.replies().get(resumed) - up;
        assertTrue(waited <= RESUME_WITHIN_SECONDS, () -> what + ": replies resumed only " + waited + " s after gA was back:\n"
                + r.output());
        long sent = r.transmitted() - resumed + 1;
        long answered = r.repliesBetween(resumed, (int) r.transmitted());
        assertTrue(sent >= 100, what + ": too few requests after the resumption to judge: " + sent);
        assertTrue(answered >= 0.9 * sent, () -> what + ": " + answered + " of " + sent + " requests after the resumption answered:\n"
                + r.output());
        return next;
    }

    private static String log(ApplianceLab.Poolsa p) {
        try {
            return p.log();
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** tshark decrypts every ESP packet with the keys, checks its ICV, and reports SPI, sequence number and IV. */
    private static void checkNothingRepeats(ApplianceLab lab, ApplianceLab.Keys k, List<Path> pcaps) throws Exception {
        Path conf = Files.createDirectories(lab.dir().resolve("wireshark"));
        String cbc = "AES-CBC [RFC3602]";
        String hmac = "HMAC-SHA-256-128 [RFC4868]";
        Files.writeString(conf.resolve("esp_sa"), String.format(
                "\"IPv4\",\"*\",\"*\",\"0x%08x\",\"%s\",\"0x%s\",\"%s\",\"0x%s\"%n\"IPv4\",\"*\",\"*\",\"0x%08x\",\"%s\",\"0x%s\",\"%s\",\"0x%s\"%n",
                ApplianceLab.SPI_AB, cbc, k.encAb(), hmac, k.intAb(), ApplianceLab.SPI_BA, cbc, k.encBa(), hmac, k.intBa()));
        Map<String, Integer> perSpi = new HashMap<>();
        Set<String> spiSeq = new HashSet<>();
        Set<String> ivs = new HashSet<>();
        List<String> repeats = new ArrayList<>();
        for (Path pcap : pcaps) {
            ProcessBuilder pb = new ProcessBuilder("tshark", "-n", "-r", pcap.toString(), "-Y", "esp",
                    "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE",
                    "-T", "fields", "-E", "occurrence=f", "-e", "esp.spi", "-e", "esp.sequence", "-e", "esp.iv", "-e", "esp.icv_good");
            pb.environment().put("WIRESHARK_CONFIG_DIR", conf.toString());
            Process p = pb.redirectErrorStream(false).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                assertEquals(4, f.length, line);
                assertTrue(f[3].equals("1") || f[3].equalsIgnoreCase("true"), () -> "ICV not good (not our keys?): " + line);
                assertEquals(32, f[2].length(), () -> "no 16-byte CBC IV decoded: " + line);
                perSpi.merge(f[0], 1, Integer::sum);
                if (!spiSeq.add(f[0] + "/" + f[1])) {
                    repeats.add("SPI " + f[0] + " sequence " + f[1]);
                }
                if (!ivs.add(f[2])) {
                    repeats.add("IV " + f[2]);
                }
            }
        }
        String ab = String.format("0x%08x", ApplianceLab.SPI_AB);
        String ba = String.format("0x%08x", ApplianceLab.SPI_BA);
        assertEquals(List.of(), repeats.subList(0, Math.min(20, repeats.size())),
                repeats.size() + " repeats under one key, e.g.");
        // 200 + 3 x at least 280 requests and as many replies went over the uplinks; most of them are captured.
        assertTrue(perSpi.getOrDefault(ab, 0) >= 900 && perSpi.getOrDefault(ba, 0) >= 800, "ESP packets per SPI: " + perSpi);
    }
}

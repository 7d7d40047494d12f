package net.poolsa.bench.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Needs root and strongSwan 5.9 (namespaces, UDP port 500, two charons): the setup-rate harness with three tunnels,
 * one round of each mode and product for group 19, with a pre-shared key and with ECDSA certificates, so that it
 * cannot rot. Every tunnel must be complete on both
 * sides in every round (else {@link Completions#await} throws), each summary must come from the setups it ran, and
 * the namespaces it made must be gone afterwards. No time is asserted.
 */
@Tag("root")
class SetupRateMainTest {
    static final int TUNNELS = 3;

    /** PSK and ECDSA certificates: a setup that fails (a refused certificate) fails the round and the test. */
    @ParameterizedTest
    @EnumSource(value = AuthMode.class, names = {"PSK", "CERT"})
    void threeTunnelsOfEachProductAndModeCompleteAndTheNamespacesAreGone(AuthMode auth, @TempDir Path work)
            throws Exception {
        List<SetupRateMain.Summary> s = SetupRateMain.runCase(TUNNELS, 1, 0, DhGroup.ECP256, auth,
                List.of("sequential", "concurrent"), List.of("poolsa", "strongswan"), work, false);
        Set<String> seen = new TreeSet<>();
        for (SetupRateMain.Summary x : s) {
            seen.add(x.product() + " " + x.mode());
            assertEquals(1, x.rounds(), x.toString());
            assertTrue(x.setupsPerSecond() > 0 && Double.isFinite(x.setupsPerSecond()), x.toString());
            assertTrue(x.p50Millis() > 0 && x.p99Millis() >= x.p50Millis(), x.toString());
            assertTrue(x.cpuMillisPerSetup() > 0 || x.product().equals("strongswan"), x.toString()); // charon: 10 ms ticks
        }
        assertEquals(Set.of("poolsa sequential", "poolsa concurrent", "strongswan sequential", "strongswan concurrent"),
                seen);
        List<String> rows = SetupRateMain.rows(DhGroup.ECP256, auth, s);
        assertEquals(2, rows.size(), String.join("\n", rows));
        assertTrue(rows.get(0).startsWith("| 19 | " + auth.label() + " | "), rows.get(0));
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String namespaces = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        long pid = ProcessHandle.current().pid();
        assertFalse(namespaces.contains("-" + pid + "-"), "namespaces left: " + namespaces);
        try (var files = Files.list(work)) {
            assertTrue(files.findAny().isPresent(), "charon's configuration and logs were written under the work directory");
        }
    }

    @Test
    void percentilesAreNearestRank() {
        long[] v = {5, 1, 4, 2, 3, 6, 7, 8, 9, 10};
        assertEquals(5, SetupRateMain.percentile(v, 50));
        assertEquals(10, SetupRateMain.percentile(v, 99));
        assertEquals(1, SetupRateMain.percentile(v, 1));
        assertEquals(2.5, SetupRateMain.median(new double[] {4, 1, 3, 2}));
    }

    @Test
    void childNamesComeFromTheChildSasSectionOfAnUpdownEvent() {
        Map<String, Object> event = Map.of("t7", Map.of("uniqueid", "9", "child-sas",
                Map.of("t7-3", Map.of("name", "t7", "state", "INSTALLED"))), "up", "yes");
        assertEquals(List.of("t7"), CharonPair.childNames(event));
        assertEquals(7, Tunnels.index("t7"));
        assertEquals(-1, Tunnels.index("x7"));
    }
}

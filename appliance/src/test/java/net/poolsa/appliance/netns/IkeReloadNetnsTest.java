package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.poolsa.appliance.control.Json;

/**
 * Needs root: SIGHUP on an appliance with two IKE connections to the same peer, "keep" (hA's first range to hB's first,
 * start action trap) and "change" (the second ranges). gA's file changes only "change" (its start action, none to
 * start): after the reload "change" has a new SA pair (both SPIs differ, on both sides), "keep" the very same one, the
 * reload line says one changed and one unchanged, and both carry traffic. Then gA crashes under traffic (kill -9) and
 * starts again with the same file: both connections come back by themselves, and gB ends with one SA pair each.
 */
@Tag("root")
class IkeReloadNetnsTest {
    static final String PSK = "poolsa-reload-test-only-psk";

    static String yaml(ApplianceLab lab, String gw, String changeStart) throws Exception {
        boolean a = gw.equals(ApplianceLab.GW_A);
        String outerA = IkePoolPairNetnsTest.OUTER_A;
        String outerB = IkePoolPairNetnsTest.OUTER_B;
        return ApplianceLab.dataPathYaml(gw)
                + lab.ikeConnection(gw, "keep", a ? outerA : outerB, a ? outerB : outerA, a ? "[192.0.2.0/27]"
                : "[192.0.2.128/27]", a ? "[192.0.2.128/27]" : "[192.0.2.0/27]", "aes128-sha256-modp2048",
                "aes128gcm16-modp2048", PSK, "start-action: trap")
                + lab.ikeConnection(gw, "change", a ? outerA : outerB, a ? outerB : outerA, a ? "[192.0.2.64/27]"
                : "[192.0.2.192/27]", a ? "[192.0.2.192/27]" : "[192.0.2.64/27]", "aes128-sha256-modp2048",
                "aes128gcm16-modp2048", PSK, "start-action: " + changeStart);
    }

    @Test
    void aChangedConnectionIsRenegotiatedAndAnUnchangedOneKeepsItsSpis() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-reload")) {
            IkePoolPairNetnsTest.secondAddressOnHostB(lab);
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, lab.writeConfig(ApplianceLab.GW_B,
                    yaml(lab, ApplianceLab.GW_B, "none")));
            Path cfgA = lab.writeConfig(ApplianceLab.GW_A, yaml(lab, ApplianceLab.GW_A, "none"));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, cfgA);
            assertEquals(0, a.control("initiate", "keep").exitCode(), a.log());
            assertEquals(0, a.control("initiate", "change").exitCode(), a.log());
            Map<String, Object> keep = StrongSwanIkeInteropTest.ikeChild(a.status(true), "keep");
            Map<String, Object> change = StrongSwanIkeInteropTest.ikeChild(a.status(true), "change");
            ping(lab, "192.0.2.10", "192.0.2.130");
            ping(lab, "192.0.2.74", "192.0.2.200");

            Files.writeString(cfgA, yaml(lab, ApplianceLab.GW_A, "start"));
            String outcome = a.reload();
            assertTrue(outcome.contains("event=reloaded added=0 removed=0 changed=1 unchanged=1"), outcome);
            Map<String, Object> changed = awaitNewChild(a, "change", change, Duration.ofSeconds(20));
            assertNotEquals(change.get("spi_in"), changed.get("spi_in"));
            assertNotEquals(change.get("spi_out"), changed.get("spi_out"));
            Map<String, Object> changedOnB = StrongSwanIkeInteropTest.ikeChild(b.status(true), "change");
            assertEquals(changed.get("spi_in"), changedOnB.get("spi_out"));
            assertEquals(changed.get("spi_out"), changedOnB.get("spi_in"));
            Map<String, Object> kept = StrongSwanIkeInteropTest.ikeChild(a.status(true), "keep");
            assertEquals(keep.get("spi_in"), kept.get("spi_in"), "keep's inbound SPI");
            assertEquals(keep.get("spi_out"), kept.get("spi_out"), "keep's outbound SPI");
            ping(lab, "192.0.2.10", "192.0.2.130");
            ping(lab, "192.0.2.74", "192.0.2.200");

            restartUnderTraffic(lab, a, b, cfgA);
        }
    }

    /**
     * kill -9 of gA while both connections carry pings, and a start with the same file: "change" (start) and "keep"
     * (trap, on the pings) negotiate at once, two Main Modes side by side, each with INITIAL-CONTACT. gB removes the IKE
     * SAs it held before the crash, and only those (its log names their cookies), and both connections come back
     * without anyone's help, one SA pair each on both sides (the first Main Mode through used to remove the other one
     * in progress, so one connection stayed down for minutes).
     */
    private static void restartUnderTraffic(ApplianceLab lab, ApplianceLab.Poolsa a, ApplianceLab.Poolsa b, Path cfgA)
            throws Exception {
        Set<String> stale = ikeCookies(b.status(true)).keySet();
        ApplianceLab.Ping keepPing = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 600, Duration.ofMillis(100));
        ApplianceLab.Ping changePing = lab.startPing(ApplianceLab.HOST_A, "192.0.2.74", "192.0.2.200", 600, Duration.ofMillis(100));
        Thread.sleep(500);
        a.kill9();
        ApplianceLab.Poolsa restarted = lab.start(ApplianceLab.GW_A, cfgA);
        try {
            ping(lab, "192.0.2.10", "192.0.2.130");
            ping(lab, "192.0.2.74", "192.0.2.200");
        } finally {
            keepPing.stop();
            changePing.stop();
        }
        // gB: one IKE SA's children per connection once the second Main Mode's SA has taken over the first one's.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Map<String, Integer> children = ikeCookies(b.status(true));
        while (!(children.size() == 1 && children.values().iterator().next() == 2) && System.nanoTime() < deadline) {
            Thread.sleep(300);
            children = ikeCookies(b.status(true));
        }
        assertEquals(1, children.size(), "gB's IKE SAs (cookie: child pairs) " + children + ":\n" + b.log());
        assertEquals(List.of(2), List.copyOf(children.values()), "gB's child pairs:\n" + b.log());
        assertEquals(2.0, b.metric("poolsa_sas{direction=\"in\"}"), "gB's inbound SAs");
        assertEquals(2.0, b.metric("poolsa_sas{direction=\"out\"}"), "gB's outbound SAs");
        Set<String> removed = new TreeSet<>();
        for (String line : b.logLines("event=ike_sa_removed .*reason=\"INITIAL-CONTACT from the same peer identity ")) {
            Matcher m = Pattern.compile("icookie=(\\p{XDigit}+)").matcher(line);
            assertTrue(m.find(), line);
            removed.add(m.group(1));
        }
        assertEquals(new TreeSet<>(stale), removed, "what INITIAL-CONTACT removed at gB: the IKE SAs from before the crash");
        for (String name : List.of("keep", "change")) {
            Map<String, Object> atA = StrongSwanIkeInteropTest.ikeChild(restarted.status(true), name);
            Map<String, Object> atB = StrongSwanIkeInteropTest.ikeChild(b.status(true), name);
            assertEquals(List.of(atA.get("spi_in"), atA.get("spi_out")), List.of(atB.get("spi_out"), atB.get("spi_in")),
                    name + ": gA's pair is gB's");
        }
    }

    /** Initiator cookie of each IKE SA in a status report, with its number of child SA pairs over all connections. */
    @SuppressWarnings("unchecked")
    private static Map<String, Integer> ikeCookies(String statusJson) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        Map<String, Object> status = (Map<String, Object>) Json.parse(statusJson);
        for (Object c : (List<Object>) status.get("connections")) {
            for (Object sa : (List<Object>) ((Map<String, Object>) c).getOrDefault("ike_sas", List.of())) {
                Map<String, Object> ike = (Map<String, Object>) sa;
                out.merge((String) ike.get("initiator_cookie"), ((List<Object>) ike.get("children")).size(), Integer::sum);
            }
        }
        return out;
    }

    private static void ping(ApplianceLab lab, String src, String dst) throws Exception {
        assertTrue(lab.waitForPing(ApplianceLab.HOST_A, src, dst, Duration.ofSeconds(15)), src + " -> " + dst);
        ApplianceLab.PingResult r = lab.startPing(ApplianceLab.HOST_A, src, dst, 20, Duration.ofMillis(50)).await();
        assertTrue(r.received() >= 18, r.output());
    }

    /** Waits until {@code name}'s only child SA differs from {@code before} (the renegotiation completed). */
    private static Map<String, Object> awaitNewChild(ApplianceLab.Poolsa p, String name, Map<String, Object> before,
                                                     Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        AssertionError last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<String, Object> now = StrongSwanIkeInteropTest.ikeChild(p.status(true), name);
                if (!now.get("spi_in").equals(before.get("spi_in"))) {
                    return now;
                }
            } catch (AssertionError e) {
                last = e; // between the Delete and the new Quick Mode there is no child SA
            }
            Thread.sleep(300);
        }
        throw new AssertionError("connection " + name + " was not renegotiated within " + timeout + ":\n" + p.log(), last);
    }
}

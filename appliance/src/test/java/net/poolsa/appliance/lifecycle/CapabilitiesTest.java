package net.poolsa.appliance.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Capability masks checked against libcap's own decoder ({@code capsh --decode}, Debian libcap2-bin). */
class CapabilitiesTest {
    private static String capsh(String hex) throws Exception {
        Process p = new ProcessBuilder("capsh", "--decode=" + hex).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    @Tag("root")
    @Test
    void agreesWithCapsh() throws Exception {
        for (String hex : new String[] {"0000000000003000", "0000000000002000", "0000000000001400", "000001fffeffffff", "0"}) {
            Capabilities c = Capabilities.parse("Name:\tx\nCapEff:\t" + hex + "\n");
            String decoded = capsh(hex);
            assertEquals(decoded.contains("cap_net_raw"), c.has(Capabilities.CAP_NET_RAW), decoded);
            assertEquals(decoded.contains("cap_net_admin"), c.has(Capabilities.CAP_NET_ADMIN), decoded);
            assertEquals(decoded.contains("cap_net_bind_service"), c.has(Capabilities.CAP_NET_BIND_SERVICE), decoded);
        }
    }

    @Test
    void namesWhatIsMissing() {
        assertEquals(List.of("CAP_NET_RAW", "CAP_NET_ADMIN"), Capabilities.parse("CapEff:\t0000000000000400\n").missingForDataPath());
        assertEquals(List.of("CAP_NET_ADMIN"), Capabilities.parse("CapEff:\t0000000000002000\n").missingForDataPath());
        assertTrue(Capabilities.parse("CapEff:\t0000000000003000\n").missingForDataPath().isEmpty());
    }

    @Tag("root")
    @Test
    void libpcapOfThisMachineLoadsAndAWrongNameIsReported() {
        assertEquals(null, Libpcap.problem(), "CI installs libpcap0.8");
        String old = System.getProperty(Libpcap.PROPERTY);
        System.setProperty(Libpcap.PROPERTY, "/nonexistent/libpcap.so");
        try {
            String p = Libpcap.problem();
            assertFalse(p == null);
            assertTrue(p.contains("libpcap0.8"), p);
        } finally {
            if (old == null) {
                System.clearProperty(Libpcap.PROPERTY);
            } else {
                System.setProperty(Libpcap.PROPERTY, old);
            }
        }
    }
}

package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root and strongSwan: the {@link StrongSwanLab} recipe itself, two charons in the gateways of the
 * {@link ApplianceLab} topology (IKEv1 Main Mode PSK + Quick Mode, NAT-T faked by kernel-libipsec), so that a failure of
 * the interop tests against poolsa is not a failure of the lab: both see the same SPI pair, and hA's pings to hB get
 * their replies through the tunnel.
 */
@Tag("root")
class StrongSwanLabTest {
    static String conf(String local, String remote, String localTs, String remoteTs) {
        return """
                connections {
                    lab {
                        version = 1
                        local_addrs = %s
                        remote_addrs = %s
                        proposals = aes128-sha256-modp2048
                        local { auth = psk
                                id = %s }
                        remote { auth = psk
                                 id = %s }
                        children {
                            lab { local_ts = %s
                                  remote_ts = %s
                                  esp_proposals = aes128gcm16-modp2048 }
                        }
                    }
                }
                secrets { ike-lab { secret = "strongswan-lab-test-only" } }
                """.formatted(local, remote, local, remote, localTs, remoteTs);
    }

    @Test
    void twoCharonsCarryPingsBetweenTheHosts() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-strongswan-lab")) {
            StrongSwanLab a = StrongSwanLab.start(lab, ApplianceLab.GW_A,
                    conf("198.51.100.1", "198.51.100.2", "192.0.2.0/25", "192.0.2.128/25"));
            StrongSwanLab b = StrongSwanLab.start(lab, ApplianceLab.GW_B,
                    conf("198.51.100.2", "198.51.100.1", "192.0.2.128/25", "192.0.2.0/25"));
            a.initiate("lab", "lab");
            StrongSwanLab.ChildSa ca = a.awaitChild("lab", Duration.ofSeconds(10));
            StrongSwanLab.ChildSa cb = b.awaitChild("lab", Duration.ofSeconds(10));
            assertNotNull(ca, a.listSasRaw());
            assertNotNull(cb, b.listSasRaw());
            assertEquals(ca.spiIn(), cb.spiOut());
            assertEquals(ca.spiOut(), cb.spiIn());
            ApplianceLab.PingResult r = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 20,
                    Duration.ofMillis(50)).await();
            assertEquals(20, r.transmitted(), r.output());
            assertTrue(r.received() >= 18, r.output());
            assertTrue(a.log().contains("IKE_SA lab[1] established"), "the log is written");
        }
    }
}

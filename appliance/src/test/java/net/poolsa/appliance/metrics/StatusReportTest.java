package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.appliance.config.ConnectionConfig.ManualSaConfig;
import net.poolsa.appliance.config.Secret;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;

/**
 * What {@code poolsa status} shows of an SA's algorithms: the cipher key size without an AEAD's 4-byte salt
 * (RFC 4106 §8.1), in the text and the JSON report. The AEAD SAs here are installed directly, standing in for
 * IKE-negotiated ones (the configuration refuses AEAD with manual keys).
 */
class StatusReportTest {
    private static ConnectionConfig connection(String name, int spi, String enc, int encLen, String integ, int intLen) {
        Secret ek = new Secret(new byte[encLen]);
        Secret ik = intLen == 0 ? null : new Secret(new byte[intLen]);
        ManualSaConfig m = new ManualSaConfig(spi, spi + 1, enc, integ, ek, ek, ik, ik);
        return new ConnectionConfig(name, SaMode.TUNNEL, IpsecProtocol.ESP, AddressPool.parse("198.51.100.1/32"),
                AddressPool.parse("203.0.113.1/32"), AddressPool.parse("192.0.2.0/25"), AddressPool.parse("192.0.2.128/25"),
                0, List.of(), List.of(), Lifetime.UNLIMITED, DpdConfig.OFF, 64, false, null, m, null);
    }

    @Test
    void statusShowsKeySizesWithoutTheSalt() {
        ConnectionManager manager = new ConnectionManager(new ManualKeying(new UserspaceIpsecKernel()));
        manager.apply(Map.of(
                "gcm128", connection("gcm128", 0x1000, "aes-gcm-16", 20, "none", 0),
                "gcm192", connection("gcm192", 0x2000, "aes-gcm-16", 28, "none", 0),
                "chacha", connection("chacha", 0x3000, "chacha20-poly1305", 36, "none", 0),
                "cbc", connection("cbc", 0x4000, "aes-cbc", 32, "hmac-sha2-512-256", 64)), System.nanoTime());
        String text = StatusReport.text(manager, System.nanoTime());
        String json = StatusReport.json(manager, System.nanoTime());
        for (String shown : new String[] {"ESP:aes-gcm-16/128 none/0", "ESP:aes-gcm-16/192 none/0",
                "ESP:chacha20-poly1305/256 none/0", "ESP:aes-cbc/256 hmac-sha2-512-256/512"}) {
            assertTrue(text.contains(shown), () -> "missing " + shown + " in\n" + text);
            assertTrue(json.contains("\"algorithms\":\"" + shown + "\""), () -> "missing " + shown + " in\n" + json);
        }
        assertFalse(text.contains("/160") || text.contains("/224") || text.contains("/288"), text);
        manager.removeAll();
    }
}

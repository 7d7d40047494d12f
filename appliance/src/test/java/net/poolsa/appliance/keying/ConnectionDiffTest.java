package net.poolsa.appliance.keying;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.appliance.config.ConnectionConfig.Psk;
import net.poolsa.appliance.config.Secret;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;

class ConnectionDiffTest {
    static ConnectionConfig conn(String name, String remoteOuter, byte psk) {
        return new ConnectionConfig(name, SaMode.TUNNEL, IpsecProtocol.ESP, AddressPool.parse("198.51.100.0/28"),
                AddressPool.parse(remoteOuter), AddressPool.parse("192.0.2.0/25"), AddressPool.parse("192.0.2.128/25"),
                0, List.of(), List.of(), Lifetime.UNLIMITED, DpdConfig.OFF, 64, false, null, null,
                new Psk(java.nio.file.Path.of("/x"), new Secret(new byte[] {psk, 1, 2})));
    }

    static Map<String, ConnectionConfig> map(ConnectionConfig... cs) {
        Map<String, ConnectionConfig> m = new LinkedHashMap<>();
        for (ConnectionConfig c : cs) {
            m.put(c.name(), c);
        }
        return m;
    }

    @Test
    void classifiesAddedRemovedChangedUnchanged() {
        Map<String, ConnectionConfig> before = map(conn("a", "203.0.113.0/28", (byte) 1), conn("b", "203.0.113.16/28", (byte) 1),
                conn("c", "203.0.113.32/28", (byte) 1));
        Map<String, ConnectionConfig> after = map(conn("a", "203.0.113.0/28", (byte) 1), conn("b", "203.0.113.16/29", (byte) 1),
                conn("d", "203.0.113.48/28", (byte) 1));
        ConnectionDiff d = ConnectionDiff.between(before, after);
        assertEquals(List.of("d"), d.added());
        assertEquals(List.of("c"), d.removed());
        assertEquals(List.of("b"), d.changed());
        assertEquals(List.of("a"), d.unchanged());
        assertFalse(d.isEmpty());
    }

    @Test
    void equalContentIsUnchangedEvenAsNewObjects() {
        ConnectionDiff d = ConnectionDiff.between(map(conn("a", "203.0.113.0/28", (byte) 1)), map(conn("a", "203.0.113.0/28", (byte) 1)));
        assertTrue(d.isEmpty());
        assertEquals(List.of("a"), d.unchanged());
    }

    @Test
    void changedSecretContentIsAChange() {
        ConnectionDiff d = ConnectionDiff.between(map(conn("a", "203.0.113.0/28", (byte) 1)), map(conn("a", "203.0.113.0/28", (byte) 2)));
        assertEquals(List.of("a"), d.changed());
    }
}

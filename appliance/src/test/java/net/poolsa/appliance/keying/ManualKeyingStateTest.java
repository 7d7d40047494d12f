package net.poolsa.appliance.keying;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.ConnectionConfig.ManualSaConfig;
import net.poolsa.appliance.config.Secret;
import net.poolsa.appliance.state.SequenceStore;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.transform.SaTransformContext;

/**
 * {@link ManualKeying} with a {@link SequenceStore}: an SA's counter is bound to a durable reservation before the SA
 * is installed, and a connection whose SAs the data path could not use is refused at install, naming it, with
 * nothing left installed or attached.
 */
class ManualKeyingStateTest {
    @TempDir
    Path dir;

    @Test
    void sasAreReservedBeforeInstallAndUnusableOnesAreRefused() throws Exception {
        ConnectionConfig c = ConfigLoader.load(ConfigFixture.writeTwoManual(dir)).connections().get("site-c");
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        try (SequenceStore store = SequenceStore.open(dir.resolve("state"))) {
            ManualKeying keying = new ManualKeying(kernel, store);
            InstalledConnection ic = keying.install(c, 7, System.nanoTime());
            OutboundSequence seq = SaTransformContext.of(ic.outbound()).outbound();
            assertTrue(seq.limit() != OutboundSequence.UNBOUNDED, "bound to its reservation from the start");
            assertEquals(1, seq.next());
            keying.remove(ic);
            InstalledConnection again = keying.install(c, 7, System.nanoTime());
            assertEquals(2, SaTransformContext.of(again.outbound()).outbound().next(), "the same keys continue");
            keying.remove(again);

            // 27 bytes of key material: no AES key plus a 4-byte salt (RFC 4106).
            ManualSaConfig m = c.manual();
            ConnectionConfig gcm = new ConnectionConfig("bad", c.mode(), c.protocol(), c.localOuter(), c.remoteOuter(),
                    c.localProtected(), c.remoteProtected(), 0, List.of(), List.of(), c.lifetime(), c.dpd(), c.replayWindow(),
                    false, null, new ManualSaConfig(0x5001, 0x6001, "aes-gcm-16", "none", new Secret(new byte[27]),
                            new Secret(new byte[27]), null, null, null), null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> keying.install(gcm, 8, System.nanoTime()));
            assertTrue(e.getMessage().startsWith("connection bad: SA 0x00005001 cannot carry traffic"), e.getMessage());
            assertEquals(List.of(), kernel.listSas());
            assertEquals(m.spiIn(), keying.install(c, 7, System.nanoTime()).inbound().spi(), "nothing of it was left behind");
        }
    }
}

package net.poolsa.appliance.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.control.ControlProtocol;
import net.poolsa.appliance.control.ControlReply;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.ike.IkeEvents;
import net.poolsa.ike.IkeResult;

/** {@code poolsa initiate/terminate} of an IKE connection through {@link IkeKeying}: the engine's result as the reply. */
class IkeKeyingTest {
    @TempDir
    Path dir;
    PoolsaConfig config;
    ConnectionManager manager;
    final UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();

    @BeforeEach
    void setUp() throws Exception {
        config = ConfigLoader.load(ConfigFixture.write(dir));
        manager = new ConnectionManager(new ManualKeying(kernel));
        manager.apply(config.connections(), System.nanoTime());
    }

    private static ControlReply now(CompletionStage<ControlReply> s) {
        return s.toCompletableFuture().getNow(null);
    }

    @Test
    void repliesCarryTheEnginesResult() throws Exception {
        RecordingIkeDaemon daemon = new RecordingIkeDaemon();
        IkeKeying ike = new IkeKeying(daemon, kernel, new IkeEvents() { });
        ConnectionConfig c = config.connections().get("site-c");
        ControlReply before = now(ike.initiate(c));
        assertEquals(ControlProtocol.IKE_UNAVAILABLE, before.error());
        assertEquals("connection site-c is keyed by IKE, but the IKE daemon is not running", before.message());

        assertEquals(List.of("site-c"), ike.apply(config, manager));
        ControlReply up = now(ike.initiate(c));
        assertTrue(up.ok());
        assertEquals("established site-c", up.message());
        ControlReply down = now(ike.terminate(c));
        assertFalse(down.ok());
        assertEquals(ControlProtocol.IKE_FAILED, down.error());
        assertEquals("no IKE SA for site-c", down.message());
        assertEquals(List.of("initiate site-c", "terminate site-c"), daemon.commands);
        ike.close();
        assertEquals(1, daemon.closes);
    }

    @Test
    void anEngineFailureBecomesAnIkeFailedReply() throws Exception {
        RecordingIkeDaemon daemon = new RecordingIkeDaemon() {
            @Override
            public CompletionStage<IkeResult> initiate(String connection) {
                return CompletableFuture.failedFuture(new IllegalStateException("no route to 198.51.100.33"));
            }
        };
        IkeKeying ike = new IkeKeying(daemon, kernel, new IkeEvents() { });
        ike.apply(config, manager);
        ControlReply r = now(ike.initiate(config.connections().get("site-c")));
        assertEquals(ControlProtocol.IKE_FAILED, r.error());
        assertEquals("no route to 198.51.100.33", r.message());
    }
}

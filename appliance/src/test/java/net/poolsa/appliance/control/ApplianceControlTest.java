package net.poolsa.appliance.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.appliance.metrics.StatusReport;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;

/** What the appliance answers, over the fixture's manual connection site-b and IKE connection site-c. */
class ApplianceControlTest {
    @TempDir
    Path dir;
    ConnectionManager manager;

    @BeforeEach
    void setUp() throws Exception {
        manager = new ConnectionManager(new ManualKeying(new UserspaceIpsecKernel()));
        manager.apply(ConfigLoader.load(ConfigFixture.write(dir)).connections(), System.nanoTime());
    }

    private static ControlReply now(CompletionStage<ControlReply> s) {
        return s.toCompletableFuture().getNow(null);
    }

    @Test
    void statusIsTheStatusReport() throws Exception {
        ControlReply r = now(new ApplianceControl(manager, null).status());
        assertTrue(r.ok());
        // Both reports without ages and remaining lifetimes, which may tick between the two calls.
        String expected = StatusReport.text(manager, System.nanoTime());
        assertEquals(expected.replaceAll("\\d+s", "_"), r.statusText().replaceAll("\\d+s", "_"));
        assertEquals(StatusReport.json(manager, System.nanoTime()).replaceAll("\"age_seconds\":\\d+", "_"),
                Json.write(Json.parse(r.statusJson())).replaceAll("\"age_seconds\":\\d+", "_"));
        assertTrue(r.statusText().contains("site-b: INSTALLED, manual keys"), r.statusText());
    }

    @Test
    void manualConnectionHasNothingToNegotiateAndIsNotTerminated() {
        ApplianceControl c = new ApplianceControl(manager, null);
        ControlReply up = now(c.initiate("site-b"));
        assertTrue(up.ok(), up.message());
        assertEquals("connection site-b is keyed manually: nothing to negotiate; its SAs are installed (reqid 4096, "
                + "SPI in 0x00001001, out 0x00002001)", up.message());
        ControlReply down = now(c.terminate("site-b"));
        assertFalse(down.ok());
        assertEquals(ControlProtocol.MANUALLY_KEYED, down.error());
        assertTrue(down.message().contains("remove it from the configuration and reload"), down.message());
        assertEquals("0x00001001", manager.installed("site-b").inbound().spiHex(), "still installed");
    }

    @Test
    void unknownNamesAreErrorsThatListTheConfiguredOnes() {
        ApplianceControl c = new ApplianceControl(manager, null);
        for (ControlReply r : List.of(now(c.initiate("site-x")), now(c.terminate("site-x")))) {
            assertEquals(ControlProtocol.UNKNOWN_CONNECTION, r.error());
            assertEquals("no connection named \"site-x\"; configured: site-b, site-c", r.message());
        }
    }

    @Test
    void ikeConnectionsGoToTheIkeSeamOrAreRefusedWithoutIt() {
        ControlReply without = now(new ApplianceControl(manager, null).initiate("site-c"));
        assertEquals(ControlProtocol.IKE_UNAVAILABLE, without.error());
        assertEquals("connection site-c is keyed by IKE, which is not available in this build", without.message());

        List<String> asked = new ArrayList<>();
        IkeControl ike = new IkeControl() {
            @Override
            public CompletionStage<ControlReply> initiate(ConnectionConfig connection) {
                asked.add("initiate " + connection.name());
                return CompletableFuture.completedFuture(ControlReply.ok("negotiating"));
            }

            @Override
            public CompletionStage<ControlReply> terminate(ConnectionConfig connection) {
                asked.add("terminate " + connection.name());
                return CompletableFuture.completedFuture(ControlReply.ok("deleted"));
            }
        };
        ApplianceControl c = new ApplianceControl(manager, ike);
        assertEquals("negotiating", now(c.initiate("site-c")).message());
        assertEquals("deleted", now(c.terminate("site-c")).message());
        assertTrue(now(c.initiate("site-b")).ok(), "manual connections never reach IKE");
        assertEquals(List.of("initiate site-c", "terminate site-c"), asked);
    }
}

package net.poolsa.appliance.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.lifecycle.DataPathContext;
import net.poolsa.appliance.metrics.DataPathMeters;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.pipeline.DataPlaneConfig;
import net.poolsa.esp.sa.OuterAddress;

/** What the appliance's configuration becomes for the data plane (nothing is started: no host changes). */
class PcapDataPathProviderTest {
    @TempDir
    Path dir;

    private DataPlaneConfig planeFor(String yaml) throws Exception {
        ConfigFixture.write(dir);
        PoolsaConfig c = ConfigLoader.load(ConfigFixture.writeYaml(dir, yaml));
        DataPathContext ctx = new DataPathContext(c.dataPath(), new UserspaceIpsecKernel(), DropListener.NONE,
                new DataPathMeters(new SimpleMeterRegistry()), c.connections().values());
        return PcapDataPathProvider.dataPlaneConfig(ctx);
    }

    @Test
    void defaultsAreACapturedSinkInImmediateMode() throws Exception {
        DataPlaneConfig p = planeFor(ConfigFixture.YAML);
        assertEquals(DataPlaneConfig.Sink.CAPTURE, p.sink());
        assertTrue(p.immediateCapture());
        assertEquals("poolsa-sink", p.sinkInterface());
        // Every connection's remote protected pool is diverted (site-c is an IKE connection).
        assertEquals(List.of("192.0.2.128/25", "2001:db8:c::/48"), p.protectedRemotePrefixes());
        assertTrue(p.manageHost());
    }

    @Test
    void tunSinkAndBlockCaptureAreChosenInTheConfiguration() throws Exception {
        String yaml = ConfigFixture.YAML.replace("    type: ifb\n", "    type: tun\n  immediate-capture: false\n");
        DataPlaneConfig p = planeFor(yaml);
        assertEquals(DataPlaneConfig.Sink.TUN, p.sink());
        assertFalse(p.immediateCapture());
    }

    @Test
    void icmpErrorsComeFromTheFirstInsideAddressOfEachFamily() throws Exception {
        DataPlaneConfig p = planeFor(ConfigFixture.YAML.replace("addresses: [192.0.2.1/25]",
                "addresses: [192.0.2.1/25, 2001:db8:a::1/64, 192.0.2.2/25]"));
        assertEquals(OuterAddress.parse("192.0.2.1"), p.mtu().icmpSourceV4());
        assertEquals(OuterAddress.parse("2001:db8:a::1"), p.mtu().icmpSourceV6());
        DataPlaneConfig v4only = planeFor(ConfigFixture.YAML);
        assertEquals(OuterAddress.parse("192.0.2.1"), v4only.mtu().icmpSourceV4());
        assertEquals(null, v4only.mtu().icmpSourceV6());
    }
}

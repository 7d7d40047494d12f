package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.sa.OuterAddress;
import org.junit.jupiter.api.Test;

/** The data plane's event-loop count: its default from the core count, its range, and the shorter constructors' 1. */
class DataPlaneConfigTest {
    private static final List<DataPlaneConfig.Uplink> UPLINKS = List.of(
            new DataPlaneConfig.Uplink("wan0", OuterAddress.parse("198.51.100.1"), 28));

    private static DataPlaneConfig withLoops(int n) {
        return new DataPlaneConfig(UPLINKS, "psink", List.of("192.0.2.64/26"), List.of(), new UserspaceIpsecKernel(),
                MtuSettings.of(1500), PathTimers.DEFAULTS, false, true, DataPlaneConfig.Sink.CAPTURE, n);
    }

    @Test
    void defaultIsOneLoopPerCoreUpToFour() {
        assertEquals(1, DataPlaneConfig.defaultEventLoops(1));
        assertEquals(2, DataPlaneConfig.defaultEventLoops(2));
        assertEquals(4, DataPlaneConfig.defaultEventLoops(4));
        assertEquals(4, DataPlaneConfig.defaultEventLoops(16));
        assertEquals(1, DataPlaneConfig.defaultEventLoops(0));
        int here = DataPlaneConfig.defaultEventLoops();
        assertEquals(Math.min(Runtime.getRuntime().availableProcessors(), 4), here);
    }

    @Test
    void shorterConstructorsKeepOneLoop() {
        DataPlaneConfig c = new DataPlaneConfig(UPLINKS, "psink", List.of(), List.of(), new UserspaceIpsecKernel(),
                MtuSettings.of(1500), PathTimers.DEFAULTS, false, true, DataPlaneConfig.Sink.CAPTURE);
        assertEquals(1, c.eventLoops());
        assertEquals(1, new DataPlaneConfig(UPLINKS, "psink", List.of(), List.of(), new UserspaceIpsecKernel(),
                MtuSettings.of(1500), PathTimers.DEFAULTS, false).eventLoops());
    }

    @Test
    void loopsOutsideOneToSixtyFourAreRefused() {
        assertEquals(1, withLoops(1).eventLoops());
        assertEquals(DataPlaneConfig.MAX_EVENT_LOOPS, withLoops(DataPlaneConfig.MAX_EVENT_LOOPS).eventLoops());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> withLoops(0));
        assertTrue(zero.getMessage().contains("event loops must be 1-64, got 0"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> withLoops(DataPlaneConfig.MAX_EVENT_LOOPS + 1));
    }

    @Test
    void theTunSinkRunsOneLoopWhateverIsConfigured() {
        DataPlaneConfig tun = new DataPlaneConfig(UPLINKS, "ptun", List.of(), List.of(), new UserspaceIpsecKernel(),
                MtuSettings.of(1500), PathTimers.DEFAULTS, false, true, DataPlaneConfig.Sink.TUN, 3);
        assertEquals(1, new DataPlane(tun, null, null).loopCount());
        assertEquals(3, new DataPlane(withLoops(3), null, null).loopCount());
    }
}

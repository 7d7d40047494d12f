package net.poolsa.appliance.metrics;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.OuterAddress;

/** Two installed manual connections with some traffic, drops and one outer-address switch, served on loopback. */
final class MetricsFixture implements AutoCloseable {
    final UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
    final ConnectionManager manager = new ConnectionManager(new ManualKeying(kernel));
    final PoolsaMetrics metrics;
    final MetricsServer server;

    MetricsFixture(Path dir) throws Exception {
        manager.apply(ConfigLoader.load(ConfigFixture.writeTwoManual(dir)).connections(), System.nanoTime());
        metrics = new PoolsaMetrics(manager, kernel, "0.0.0-test");
        metrics.syncConnections();
        InstalledConnection b = manager.installed("site-b");
        b.outbound().setCurrentRemote(OuterAddress.parse("198.51.100.17"));
        b.outbound().setCurrentRemote(OuterAddress.parse("203.0.113.17"));
        b.outbound().account(1400);
        b.inbound().account(1000);
        for (int i = 0; i < 3; i++) {
            metrics.drops().dropped(DropReason.BAD_ICV, b.inbound());
        }
        metrics.ike().dpd("198.51.100.17", "acked");
        metrics.ike().dpd("203.0.113.17", "timeout");
        metrics.dataPath().sadLookup(80);
        metrics.dataPath().sadLookup(300);
        metrics.dataPath().spdLookup(40);
        server = new MetricsServer(new InetSocketAddress("127.0.0.1", 0), metrics, () -> true,
                () -> StatusReport.text(manager, System.nanoTime()), () -> StatusReport.json(manager, System.nanoTime()));
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.address().getPort() + path;
    }

    @Override
    public void close() {
        server.close();
        metrics.close();
    }
}

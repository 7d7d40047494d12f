package net.poolsa.appliance.datapath;

import net.poolsa.appliance.lifecycle.DataPath;
import net.poolsa.appliance.lifecycle.DataPathContext;
import net.poolsa.appliance.lifecycle.DataPathProvider;
import net.poolsa.esp.netns.CopyProtector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BENCHMARK ONLY, no security: `poolsa run` with {@link CopyProtector} in place of ESP, so that
 * bench/datapath/run.sh's {@code copy} case measures the ceiling of the product's own I/O path (capture, decode,
 * lookup, buffers, hand-off, emit) on a machine, which crypto can only lower. It is in the test sources and is
 * found only through {@code src/test/bench-services} with {@code -Dpoolsa.dataPath=copy}; the shipped jar has no
 * way to run without crypto.
 */
public final class CopyDataPathProvider implements DataPathProvider {
    private static final Logger LOG = LoggerFactory.getLogger(CopyDataPathProvider.class);
    private final PcapDataPathProvider copy = new PcapDataPathProvider("copy", CopyProtector::new);

    @Override
    public String name() {
        return copy.name();
    }

    @Override
    public DataPath start(DataPathContext context) throws Exception {
        LOG.warn("event=benchmark_only data_path=copy: packets are NOT encrypted nor authenticated (no-crypto ceiling)");
        return copy.start(context);
    }
}

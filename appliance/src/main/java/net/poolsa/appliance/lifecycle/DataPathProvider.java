package net.poolsa.appliance.lifecycle;

import java.util.List;
import java.util.ServiceLoader;

/**
 * The seam where the data plane ({@code net.poolsa.esp.pipeline.DataPlane}) plugs into the appliance:
 * an implementation is found with {@link ServiceLoader} (a {@code META-INF/services} entry naming this
 * interface). Without one, {@code poolsa run} refuses to start with exit code 6 rather than pretend to
 * protect traffic.
 */
public interface DataPathProvider {
    /** A short name for logs, e.g. "pcap". */
    String name();

    /**
     * Sets up the diversion and starts the data path.
     *
     * @throws Exception when an interface is missing or the data path cannot start; nothing stays set up
     */
    DataPath start(DataPathContext context) throws Exception;

    /** The providers on the class path, in class-path order. */
    static List<DataPathProvider> available() {
        return ServiceLoader.load(DataPathProvider.class).stream().map(ServiceLoader.Provider::get).toList();
    }
}

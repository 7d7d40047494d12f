package net.poolsa.appliance.demo;

import java.util.List;
import java.util.ServiceLoader;

/**
 * The failover experiment run by {@code poolsa demo}: traffic carried by one pool SA pair between two
 * dual-homed gateways while the path in use fails (ping for now; the paper's multihomed SCTP association
 * once the experiment lands). The implementation sets up its own network namespaces and peers;
 * it is found with {@link ServiceLoader}. Without one, {@code poolsa demo} refuses with exit code 6.
 */
public interface Demo {
    /** Runs the experiment and writes its results under {@link DemoOptions#output()}; returns an exit code. */
    int run(DemoOptions options) throws Exception;

    static List<Demo> available() {
        return ServiceLoader.load(Demo.class).stream().map(ServiceLoader.Provider::get).toList();
    }
}

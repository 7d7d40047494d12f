package net.poolsa.appliance.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The whole appliance configuration, read from one YAML file by {@link ConfigLoader}.
 *
 * @param source      the file it was read from
 * @param metrics     where the metrics/status HTTP endpoint listens
 * @param dataPath    interfaces the data path captures on, emits on and diverts to
 * @param connections connections by name, in file order
 * @param ike         the IKE daemon's own settings (top-level {@code ike:}), for all IKE-keyed connections
 */
public record PoolsaConfig(Path source, MetricsConfig metrics, DataPathConfig dataPath,
                           Map<String, ConnectionConfig> connections, IkeSettings ike) {
    public PoolsaConfig {
        connections = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(connections));
        java.util.Objects.requireNonNull(ike, "ike");
    }
}

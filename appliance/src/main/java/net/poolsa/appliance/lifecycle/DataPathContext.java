package net.poolsa.appliance.lifecycle;

import net.poolsa.appliance.config.DataPathConfig;
import net.poolsa.appliance.metrics.DataPathMeters;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.kernel.IpsecKernel;

/**
 * What the appliance hands to the data path when it starts it.
 *
 * @param config interfaces, sink and MTU from the configuration
 * @param kernel the SAD and SPD the data path reads per packet (filled by manual keying, later by IKE)
 * @param drops  where every drop is reported (bound to {@code poolsa_drops_total{reason}} and rate-limited logs)
 * @param meters SAD lookup latency and other per-packet meters
 * @param connections the configured connections (remote protected pools to divert, peer addresses to monitor)
 */
public record DataPathContext(DataPathConfig config, IpsecKernel kernel, DropListener drops, DataPathMeters meters,
                              java.util.Collection<net.poolsa.appliance.config.ConnectionConfig> connections) {
}

package net.poolsa.appliance.config;

import java.util.List;

/**
 * Where the data path works: cleartext is captured on {@code capture} interfaces, protected packets leave
 * and arrive on {@code uplinks} (one per outer path of the pools), and captured cleartext is routed into
 * the {@code sink} so that the kernel does not forward it in the clear.
 *
 * @param mtu the uplinks' MTU, from which the data path derives the largest inner packet it can protect
 */
public record DataPathConfig(List<InterfaceConfig> capture, List<InterfaceConfig> uplinks, SinkConfig sink, int mtu) {
    public DataPathConfig {
        capture = List.copyOf(capture);
        uplinks = List.copyOf(uplinks);
    }

    /** One interface and the addresses (with prefix lengths) it carries. */
    public record InterfaceConfig(String name, List<String> addresses) {
        public InterfaceConfig {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * The divert sink: a {@code dummy} device on a real router, {@code ifb} or a {@code veth} whose peer is a
     * dead end where dummy is missing.
     */
    public record SinkConfig(String name, SinkType type) {
    }

    public enum SinkType {
        DUMMY, IFB, VETH
    }
}

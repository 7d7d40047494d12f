package net.poolsa.appliance.config;

import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.pipeline.DataPlaneConfig;

/**
 * Where the data path works: cleartext for the remote protected pools is routed into the {@code sink} and captured
 * there, so that the kernel does not forward it in the clear; protected packets leave and arrive on {@code uplinks}
 * (one per outer path of the pools). The {@code capture} interfaces are the protected side: their first addresses
 * are the source of the ICMP errors sent to cleartext hosts, and they must exist when the data path starts.
 *
 * @param mtu the uplinks' MTU, from which the data path derives the largest inner packet it can protect
 * @param immediateCapture libpcap immediate mode (default): each packet is readable at once instead of when a
 *        TPACKET_V3 block retires (up to 1 ms per capture); reads are batched on the event loop either way
 * @param failover path monitoring's timers ({@code data-path.failover}): one set for all connections, since a path
 *        (a pair of outer addresses) is probed once for every SA that uses it
 * @param eventLoops the data path's event loops ({@code data-path.event-loops}; default
 *        {@link DataPlaneConfig#defaultEventLoops()}): each capture is opened once per loop, spread by flow hash
 */
public record DataPathConfig(List<InterfaceConfig> capture, List<InterfaceConfig> uplinks, SinkConfig sink, int mtu,
                             boolean immediateCapture, PathTimers failover, int eventLoops) {
    public DataPathConfig {
        capture = List.copyOf(capture);
        uplinks = List.copyOf(uplinks);
        Objects.requireNonNull(failover, "failover timers");
    }

    /** With the default number of event loops for this host (one per core, at most 4). */
    public DataPathConfig(List<InterfaceConfig> capture, List<InterfaceConfig> uplinks, SinkConfig sink, int mtu,
                          boolean immediateCapture, PathTimers failover) {
        this(capture, uplinks, sink, mtu, immediateCapture, failover, DataPlaneConfig.defaultEventLoops());
    }

    public DataPathConfig(List<InterfaceConfig> capture, List<InterfaceConfig> uplinks, SinkConfig sink, int mtu) {
        this(capture, uplinks, sink, mtu, true, PathTimers.DEFAULTS);
    }

    /** One interface and the addresses (with prefix lengths) it carries. */
    /**
     * The capture and uplink interfaces for which {@code exists} is false, as "FIELD NAME" (e.g.
     * "data-path.uplinks[1].interface wan1"). The sink is not among them: the data path creates it.
     */
    public List<String> missingInterfaces(Predicate<String> exists) {
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < capture.size(); i++) {
            if (!exists.test(capture.get(i).name())) {
                missing.add("data-path.capture[" + i + "].interface " + capture.get(i).name());
            }
        }
        for (int i = 0; i < uplinks.size(); i++) {
            if (!exists.test(uplinks.get(i).name())) {
                missing.add("data-path.uplinks[" + i + "].interface " + uplinks.get(i).name());
            }
        }
        return missing;
    }

    /** Whether this host (this network namespace) has an interface named {@code name}. */
    public static boolean interfaceExists(String name) {
        try {
            return NetworkInterface.getByName(name) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    public record InterfaceConfig(String name, List<String> addresses) {
        public InterfaceConfig {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * The divert sink: a {@code dummy} device on a real router, {@code ifb} or a {@code veth} whose peer is a
     * dead end where dummy is missing, all captured with libpcap; or a {@code tun} device that the data path
     * creates, reads cleartext from and writes decapsulated packets into (docs/benchmarks.md §3 compares them).
     */
    public record SinkConfig(String name, SinkType type) {
    }

    public enum SinkType {
        DUMMY, IFB, VETH, TUN
    }
}

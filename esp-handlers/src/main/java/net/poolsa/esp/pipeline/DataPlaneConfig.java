package net.poolsa.esp.pipeline;

import java.util.List;
import java.util.Objects;

import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.sa.OuterAddress;

/**
 * Everything the data plane needs, as plain values (the appliance builds it from its configuration file).
 *
 * @param uplinks                 interfaces with our outer addresses (the local outer pool in use)
 * @param sinkInterface           name of the divert sink to create (dummy or ifb)
 * @param protectedRemotePrefixes CIDR prefixes of the remote protected pools: routed into the sink
 * @param peerAddresses           the peer's outer addresses, monitored, in order of preference
 * @param kernel                  the SAD/SPD the control plane installs into
 * @param mtu                     path MTU and ICMP error sources
 * @param paths                   path monitoring's probe intervals, detection multiplier, probe rate and anti-flapping
 *                                limits ({@link PathTimers#DEFAULTS} detect a failed path in 120 ms)
 * @param manageHost              false when the host is prepared by someone else (the sink exists, routes are set)
 * @param immediateCapture        libpcap immediate mode: every packet wakes the reader instead of every retired
 *                                TPACKET_V3 block (1 ms timeout per capture); default true since the reads are
 *                                batched on the event loop: measured p50 round trip 0.5-0.7 ms instead of 2.8 ms
 *                                at the same throughput (docs/benchmarks.md, section 3)
 * @param sink                    how cleartext reaches us and decapsulated packets leave (default {@link Sink#CAPTURE})
 * @param eventLoops              event loops the captures are sharded over ({@link DataPlane}); 1 (the shorter
 *                                constructors) is one loop for everything; the TUN sink always runs one
 */
public record DataPlaneConfig(List<Uplink> uplinks, String sinkInterface, List<String> protectedRemotePrefixes,
                              List<OuterAddress> peerAddresses, IpsecKernel kernel, MtuSettings mtu,
                              PathTimers paths, boolean manageHost, boolean immediateCapture,
                              Sink sink, int eventLoops) {
    /** Event loops at most: beyond, a capture socket per loop and interface and a hand-off lane per pair of loops cost more than a loop gains. */
    public static final int MAX_EVENT_LOOPS = 64;

    /**
     * The default number of event loops on this host: one per core, at most 4. Each outbound SA is sealed by one loop
     * ({@link LoopHandOff}), so its packets leave in sequence order whatever the number. Beyond 4, a busy SA is bound
     * by its one loop's seal rate anyway, inbound ESP of one SA over one path stays on one loop (the fanout hash), and
     * every further loop adds a capture socket with its own ring per interface and a lane to every other loop: more
     * pays only with many SAs, and is then set explicitly (docs/benchmarks.md §3 "Several event loops").
     */
    public static int defaultEventLoops() {
        return defaultEventLoops(Runtime.getRuntime().availableProcessors());
    }

    static int defaultEventLoops(int cores) {
        return Math.max(1, Math.min(cores, 4));
    }

    /** With one event loop. */
    public DataPlaneConfig(List<Uplink> uplinks, String sinkInterface, List<String> protectedRemotePrefixes,
                           List<OuterAddress> peerAddresses, IpsecKernel kernel, MtuSettings mtu,
                           PathTimers paths, boolean manageHost, boolean immediateCapture, Sink sink) {
        this(uplinks, sinkInterface, protectedRemotePrefixes, peerAddresses, kernel, mtu, paths,
                manageHost, immediateCapture, sink, 1);
    }

    /** The inner side of the data plane (docs/benchmarks.md, section 3, compares them). */
    public enum Sink {
        /**
         * A dummy/ifb interface captured with libpcap; decapsulated packets sent through TX rings on the cleartext
         * side's interfaces, or re-injected through a raw socket.
         */
        CAPTURE,
        /** A TUN device: read cleartext from it, write decapsulated packets into it. */
        TUN
    }

    /** With the capture sink (the default). */
    public DataPlaneConfig(List<Uplink> uplinks, String sinkInterface, List<String> protectedRemotePrefixes,
                           List<OuterAddress> peerAddresses, IpsecKernel kernel, MtuSettings mtu,
                           PathTimers paths, boolean manageHost, boolean immediateCapture) {
        this(uplinks, sinkInterface, protectedRemotePrefixes, peerAddresses, kernel, mtu, paths,
                manageHost, immediateCapture, Sink.CAPTURE);
    }

    /** With immediate capture (the default, see {@link #immediateCapture()}) and the capture sink. */
    public DataPlaneConfig(List<Uplink> uplinks, String sinkInterface, List<String> protectedRemotePrefixes,
                           List<OuterAddress> peerAddresses, IpsecKernel kernel, MtuSettings mtu,
                           PathTimers paths, boolean manageHost) {
        this(uplinks, sinkInterface, protectedRemotePrefixes, peerAddresses, kernel, mtu, paths,
                manageHost, true);
    }

    /** One uplink: interface name, our address on it and its subnet's prefix length. */
    public record Uplink(String interfaceName, OuterAddress address, int prefixLength) {
        public Uplink {
            Objects.requireNonNull(interfaceName, "uplink interface");
            Objects.requireNonNull(address, "uplink address");
        }
    }

    public DataPlaneConfig {
        uplinks = List.copyOf(uplinks);
        protectedRemotePrefixes = List.copyOf(protectedRemotePrefixes);
        peerAddresses = List.copyOf(peerAddresses);
        Objects.requireNonNull(sinkInterface, "sink interface");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(mtu, "mtu");
        Objects.requireNonNull(paths, "path timers");
        Objects.requireNonNull(sink, "sink");
        if (eventLoops < 1 || eventLoops > MAX_EVENT_LOOPS) {
            throw new IllegalArgumentException("event loops must be 1-" + MAX_EVENT_LOOPS + ", got " + eventLoops);
        }
        if (uplinks.isEmpty()) {
            throw new IllegalArgumentException("at least one uplink is needed");
        }
    }
}

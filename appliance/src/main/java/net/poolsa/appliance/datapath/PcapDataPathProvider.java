package net.poolsa.appliance.datapath;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.DataPathConfig;
import net.poolsa.appliance.lifecycle.DataPath;
import net.poolsa.appliance.lifecycle.DataPathContext;
import net.poolsa.appliance.lifecycle.DataPathProvider;
import net.poolsa.esp.emit.UplinkEmitter;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.PathState;
import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.event.RateLimitedLog;
import net.poolsa.esp.event.SwitchHold;
import net.poolsa.esp.pipeline.DataPlane;
import net.poolsa.esp.pipeline.DataPlaneConfig;
import net.poolsa.esp.pipeline.IpsecProtector;
import net.poolsa.esp.pipeline.MtuSettings;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pcap-fed userspace data plane of {@code esp-handlers} behind the appliance's data-path seam: builds a
 * {@link DataPlaneConfig} from the configuration file and the connections, and binds the data plane's events
 * to the appliance's meters and log lines ({@code event=path_switch}, {@code event=path_state},
 * {@code event=path_switch_held}). Path monitoring gives each outbound SA a first pair of outer addresses when it is
 * installed (at start or by a reload) and moves it as paths fail and recover; a reload ({@link DataPath#update})
 * also changes the peers probed, the remote pools diverted into the sink and the inbound-policy rules.
 *
 * <p>Peers are monitored at the single addresses (/32, /128) listed in the connections' remote outer pools:
 * a pool given only as prefixes is still accepted inbound in full, but outbound failover needs the peer's
 * concrete uplink addresses to probe.
 */
public final class PcapDataPathProvider implements DataPathProvider {
    private static final Logger LOG = LoggerFactory.getLogger(PcapDataPathProvider.class);

    private final String name;
    private final DataPlane.ProtectorFactory protectors;

    /** The product's data path: ESP and AH by {@link IpsecProtector}. */
    public PcapDataPathProvider() {
        this("pcap", IpsecProtector.FACTORY);
    }

    /** The same data path with another crypto stage (the benchmark's no-crypto ceiling, test sources only). */
    PcapDataPathProvider(String name, DataPlane.ProtectorFactory protectors) {
        this.name = name;
        this.protectors = protectors;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DataPath start(DataPathContext context) throws Exception {
        requireInterfaces(context.config(), DataPathConfig::interfaceExists);
        DataPlaneConfig config = dataPlaneConfig(context);
        AtomicReference<BiConsumer<OuterAddress, OuterAddress>> probes = new AtomicReference<>((l, r) -> {
        });
        DataPlane plane = new DataPlane(config, protectors, listener(context, probes));
        plane.start();
        plane.authenticatedOnly(authenticatedOnly(context.connections()));
        UplinkEmitter emitter = plane.uplinkEmitter();
        if (emitter != null) {
            context.meters().emitter(plane.uplinkEmitters());
        }
        context.meters().eventLoops(plane.loopCount(), plane::handedOffPerLoop);
        LOG.info("event=data_path_started uplinks={} peers={} sink={} emit=\"{}\" event_loops={}", config.uplinks().size(),
                config.peerAddresses(), config.sinkInterface(), emitter == null ? "none" : emitter.description(),
                plane.loopCount());
        return new DataPath() {
            @Override
            public void update(DataPathContext next) {
                // Only what the connections decide; interfaces, sink and MTU are the started ones.
                DataPlaneConfig c = dataPlaneConfig(new DataPathContext(context.config(), next.kernel(), next.drops(),
                        next.meters(), next.connections()));
                plane.reconfigure(c.protectedRemotePrefixes(), c.peerAddresses());
                plane.authenticatedOnly(authenticatedOnly(next.connections()));
                LOG.info("event=data_path_updated peers={} diverted={} inbound_policy_rules={}", c.peerAddresses(),
                        c.protectedRemotePrefixes(), plane.inboundPolicy().policyRules().size());
            }

            @Override
            public void pathConfirmed(OuterAddress local, OuterAddress remote) {
                plane.pathConfirmed(local, remote);
            }

            @Override
            public void authenticatedProbes(BiConsumer<OuterAddress, OuterAddress> requests) {
                probes.set(requests);
            }

            @Override
            public void stop() {
                plane.stop();
            }
        };
    }

    /**
     * Refuses a start whose capture or uplink interfaces are not on this host, naming the field and the interface:
     * otherwise libpcap fails later with "No such device exists" and no name, and a missing capture interface (whose
     * addresses only source our ICMP errors) would go unnoticed. The sink is not checked: the data path creates it.
     */
    static void requireInterfaces(DataPathConfig dp, Predicate<String> exists) {
        List<String> missing = dp.missingInterfaces(exists);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("no such network interface on this host (ip link show): "
                    + String.join(", ", missing) + "; create it or correct the name in the configuration");
        }
    }

    /**
     * The peer addresses whose paths take authenticated evidence only: the single addresses of the remote outer pools
     * of IKE-keyed connections with DPD (their DPD answers keep the paths up; an ICMP echo reply is a hint).
     */
    static List<OuterAddress> authenticatedOnly(java.util.Collection<ConnectionConfig> connections) {
        Set<OuterAddress> out = new LinkedHashSet<>();
        for (ConnectionConfig c : connections) {
            if (!c.manuallyKeyed() && c.dpd().enabled()) {
                out.addAll(singleAddresses(c.remoteOuter()));
            }
        }
        return List.copyOf(out);
    }

    static DataPlaneConfig dataPlaneConfig(DataPathContext context) {
        DataPathConfig dp = context.config();
        List<DataPlaneConfig.Uplink> uplinks = new ArrayList<>();
        for (DataPathConfig.InterfaceConfig i : dp.uplinks()) {
            for (String a : i.addresses()) {
                int slash = a.indexOf('/');
                OuterAddress address = OuterAddress.parse(slash < 0 ? a : a.substring(0, slash));
                int len = slash < 0 ? (address.v4() ? 32 : 128) : Integer.parseInt(a.substring(slash + 1));
                uplinks.add(new DataPlaneConfig.Uplink(i.name(), address, len));
            }
        }
        Set<String> remoteProtected = new LinkedHashSet<>();
        Set<OuterAddress> peers = new LinkedHashSet<>();
        for (ConnectionConfig c : context.connections()) {
            c.remoteProtected().prefixes().forEach(p -> remoteProtected.add(p.toString()));
            peers.addAll(singleAddresses(c.remoteOuter()));
        }
        return new DataPlaneConfig(uplinks, dp.sink().name(), List.copyOf(remoteProtected), List.copyOf(peers),
                context.kernel(), mtuSettings(dp), dp.failover(), true, dp.immediateCapture(),
                dp.sink().type() == DataPathConfig.SinkType.TUN ? DataPlaneConfig.Sink.TUN : DataPlaneConfig.Sink.CAPTURE,
                dp.eventLoops());
    }

    /**
     * The path MTU, and as the source of the ICMP errors the data path sends to cleartext hosts (Packet Too Big,
     * time exceeded) the first address of each family on the capture interfaces: the gateway's inside address, which
     * those hosts route to and which the tunnel's policies cover when the error must travel back through it.
     */
    static MtuSettings mtuSettings(DataPathConfig dp) {
        OuterAddress v4 = null;
        OuterAddress v6 = null;
        for (DataPathConfig.InterfaceConfig i : dp.capture()) {
            for (String a : i.addresses()) {
                int slash = a.indexOf('/');
                OuterAddress address = OuterAddress.parse(slash < 0 ? a : a.substring(0, slash));
                if (address.v4() && v4 == null) {
                    v4 = address;
                } else if (!address.v4() && v6 == null) {
                    v6 = address;
                }
            }
        }
        return new MtuSettings(dp.mtu(), v4, v6, MtuSettings.of(dp.mtu()).icmpPerSecond());
    }

    static List<OuterAddress> singleAddresses(AddressPool pool) {
        List<OuterAddress> out = new ArrayList<>();
        for (AddressPool.Prefix p : pool.prefixes()) {
            if (p.length() == (p.isV4() ? 32 : 128)) {
                out.add(OuterAddress.of(p.network()));
            }
        }
        return out;
    }

    static DataPathListener listener(DataPathContext context) {
        return listener(context, new AtomicReference<>((l, r) -> {
        }));
    }

    /**
     * {@code detection_ms} of the switch log line: milliseconds with one decimal, rounded half up, "-" when it does not
     * apply. Integer arithmetic and a StringBuilder: {@code String.format("%.1f")} loaded some 60 classes (locale data,
     * decimal formatting) on the first switch after the start, on the thread that had just moved the SA.
     */
    static String millis(long nanos) {
        if (nanos < 0) {
            return "-";
        }
        long tenths = (nanos + 50_000) / 100_000;
        return new StringBuilder(12).append(tenths / 10).append('.').append(tenths % 10).toString();
    }

    static DataPathListener listener(DataPathContext context, AtomicReference<BiConsumer<OuterAddress, OuterAddress>> probes) {
        // The first switch after the start must not pay for cold code: its log line's formatting and the meters' first
        // recording run once here, recording nothing.
        millis(1);
        context.meters().warmUp();
        return new DataPathListener() {
            /** A loop that stalls under load may do so every second: one line per 10 s says so. */
            private final RateLimitedLog stallLog = RateLimitedLog.perTenSeconds(1);

            @Override
            public void authenticatedProbeWanted(OuterAddress local, OuterAddress remote) {
                probes.get().accept(local, remote);
            }

            @Override
            public void dropped(DropReason reason, SecurityAssociation sa) {
                context.drops().dropped(reason, sa);
            }

            @Override
            public void droppedByHost(DropReason reason, long count) {
                context.drops().droppedByHost(reason, count);
            }

            @Override
            public void lookupLatency(long nanos) {
                context.meters().sadLookup(nanos);
            }

            @Override
            public void policyLookupLatency(long nanos) {
                context.meters().spdLookup(nanos);
            }

            @Override
            public void outerPathChanged(SecurityAssociation sa, OuterAddress previousLocal, OuterAddress previousRemote,
                                         PathSwitchCause cause, long detectionNanos) {
                context.meters().pathSwitched(cause, detectionNanos);
                LOG.info("event=path_switch spi={} cause={} from={}>{} to={}>{} detection_ms={} rekey=false", sa.spiHex(),
                        cause.label(), previousLocal, previousRemote, sa.currentLocal(), sa.currentRemote(),
                        millis(detectionNanos));
            }

            @Override
            public void natMappingChanged(SecurityAssociation inbound, SecurityAssociation outbound, int previousPort,
                                          int newPort) {
                LOG.info("event=nat_mapping_changed spi_in={} spi_out={} remote={} from_port={} to_port={}",
                        inbound.spiHex(), outbound.spiHex(), outbound.currentRemote(), previousPort, newPort);
            }

            @Override
            public void outerPathHeld(SecurityAssociation sa, SwitchHold why) {
                context.meters().switchHeld(why);
                LOG.info("event=path_switch_held spi={} reason={} at={}>{}", sa.spiHex(), why.label(), sa.currentLocal(),
                        sa.currentRemote());
            }

            @Override
            public void pathStateChanged(OuterAddress local, OuterAddress remote, PathState previous, PathState current) {
                context.meters().pathState(previous, current);
                LOG.info("event=path_state local={} remote={} state={}", local, remote, current == null ? "removed" : current.label());
            }

            @Override
            public void pathProbesSent(int count) {
                context.meters().probesSent(count);
            }

            @Override
            public void pathMonitorStalled(long lateNanos) {
                context.meters().monitorStalled();
                long suppressed = stallLog.permit(0);
                if (suppressed != RateLimitedLog.SUPPRESSED) {
                    LOG.warn("event=path_monitor_stall late_ms={} suppressed={} reason=\"the event loop ran the path "
                            + "timer late: detection windows restarted, no path declared down on the missed replies\"",
                            String.format(java.util.Locale.ROOT, "%.1f", lateNanos / 1e6), suppressed);
                }
            }
        };
    }
}

package net.poolsa.esp.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import net.poolsa.esp.capture.PcapChannel;
import net.poolsa.esp.capture.PolledChannel;
import net.poolsa.esp.capture.TunChannel;
import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.divert.HostDivert;
import net.poolsa.esp.emit.PacketSink;
import net.poolsa.esp.emit.RawSocketEmitter;
import net.poolsa.esp.emit.TunDevice;
import net.poolsa.esp.emit.UplinkEmitter;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.path.LocalAddress;
import net.poolsa.esp.path.PathMonitor;
import org.pcap4j.core.PcapHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The userspace data plane as one object: {@link #start()} diverts the host's traffic, opens one channel on
 * the sink (a libpcap capture of a dummy/ifb interface, or a TUN device: {@link DataPlaneConfig.Sink}) and one
 * capture per uplink, all read on one event loop sharing one raw-socket emitter and one crypto processor,
 * and starts path monitoring; {@link #stop()} undoes all of it. A start that fails
 * half-way is rolled back before the exception leaves.
 *
 * <pre>
 * sink (cleartext)  --pcap or tun--> decode -> SPD -> protect -> emit --raw socket--> uplinks (ESP)
 * uplinks (ESP)     --pcap--> decode/reassemble -> SAD -> unprotect -> emit --raw socket or tun--> kernel routing
 * </pre>
 */
public final class DataPlane implements AutoCloseable {
    /** What the uplinks capture: IPsec, ESP in UDP, and the replies to our path probes. */
    public static final String UPLINK_FILTER = "esp or ah or (udp port 4500) or (icmp and icmp[icmptype] == icmp-echoreply)"
            + " or (icmp6 and ip6[40] == 129)";
    public static final String SINK_FILTER = "ip or ip6";
    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);

    /** Builds the crypto stage; called once per event loop thread (e.g. {@code IpsecProcessor} per thread). */
    @FunctionalInterface
    public interface ProtectorFactory {
        PacketProtector create(ByteBufAllocator alloc, DropListener drops);
    }

    private final DataPlaneConfig config;
    private final ProtectorFactory protectors;
    private final DataPathListener listener;
    private final List<PolledChannel> channels = new ArrayList<>();
    private HostDivert divert;
    private TunDevice tun;
    private DefaultEventLoop loop;
    private RawSocketEmitter emitter;
    private UplinkEmitter uplinkEmitter;
    private PathMonitor monitor;
    private ScheduledFuture<?> ticker;
    private boolean started;

    public DataPlane(DataPlaneConfig config, ProtectorFactory protectors, DataPathListener listener) {
        this.config = config;
        this.protectors = protectors;
        this.listener = listener == null ? DataPathListener.NONE : listener;
    }

    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("data plane already started");
        }
        try {
            if (config.sink() == DataPlaneConfig.Sink.TUN) {
                tun = TunDevice.create(config.sinkInterface(), listener); // before the divert routes into it
            }
            if (config.manageHost()) {
                List<String> names = config.uplinks().stream().map(DataPlaneConfig.Uplink::interfaceName).toList();
                divert = tun != null
                        ? HostDivert.intoTun(HostCommands.local(), config.sinkInterface(), config.protectedRemotePrefixes(), names)
                        : new HostDivert(HostCommands.local(), config.sinkInterface(), config.protectedRemotePrefixes(), names);
                divert.apply();
            }
            emitter = new RawSocketEmitter(listener, config.manageHost() ? HostDivert.FWMARK : 0);
            // ESP/AH towards the uplinks through TX rings (raw socket fallback); probes and decapsulated packets stay raw.
            uplinkEmitter = UplinkEmitter.open(UplinkEmitter.Mode.configured(),
                    config.uplinks().stream().map(DataPlaneConfig.Uplink::interfaceName).toList(), emitter,
                    config.manageHost() ? HostDivert.FWMARK : 0, listener);
            PacketSink decapsulated = tun != null ? tun : emitter;
            loop = new DefaultEventLoop(new DefaultThreadFactory("poolsa-dataplane", true));
            // The same allocator as the channels' (PolledChannel): per-thread caches, all on the loop thread.
            ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
            PacketProtector protector = protectors.create(alloc, listener);
            List<LocalAddress> locals = config.uplinks().stream()
                    .map(u -> new LocalAddress(u.address(), u.prefixLength())).toList();
            RawSocketEmitter e = emitter;
            monitor = new PathMonitor(locals, config.peerAddresses(), config.kernel().sad(), e::send, alloc, listener,
                    config.deadAfter().toNanos());

            PolledChannel sink;
            if (tun != null) {
                sink = new TunChannel(tun, uplinkEmitter);
                channels.add(sink);
            } else {
                PcapChannel capture = new PcapChannel(config.sinkInterface(), SINK_FILTER, PcapHandle.PcapDirection.OUT, uplinkEmitter,
                        listener, config.immediateCapture());
                channels.add(capture);
                capture.open();
                sink = capture;
            }
            Pipelines.cleartext(sink.pipeline(), config.kernel(), protector, config.mtu(), listener);
            for (DataPlaneConfig.Uplink u : config.uplinks()) {
                PcapChannel ch = new PcapChannel(u.interfaceName(), UPLINK_FILTER, PcapHandle.PcapDirection.IN, decapsulated,
                        listener, config.immediateCapture());
                channels.add(ch);
                ch.open();
                Pipelines.uplink(ch.pipeline(), config.kernel(), protector, monitor, listener, config.mtu(), config.sink());
            }
            for (PolledChannel ch : channels) {
                loop.register(ch).sync();
            }
            long period = config.probeInterval().toNanos();
            PathMonitor m = monitor;
            ticker = loop.scheduleAtFixedRate(() -> {
                m.tick(System.nanoTime());
                e.flush();
            }, 0, period, TimeUnit.NANOSECONDS);
            started = true;
            LOG.info("data plane started: sink {} ({}), uplinks {}", config.sinkInterface(),
                    divert == null ? "prepared by the host, " + config.sink() : divert.sinkKind(), config.uplinks());
        } catch (Exception ex) {
            LOG.warn("data plane start failed, rolling back: {}", ex.toString());
            teardown();
            throw new IllegalStateException("data plane failed to start: " + ex.getMessage(), ex);
        }
    }

    public synchronized void stop() {
        if (started) {
            teardown();
            started = false;
            LOG.info("data plane stopped");
        }
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isStarted() {
        return started;
    }

    /** The path monitor (status, tests); null before start. */
    public synchronized PathMonitor pathMonitor() {
        return monitor;
    }

    /** Packets dropped by the kernel because a capture ring was full, summed over all captures (a metric). */
    public synchronized long captureKernelDrops() {
        long n = 0;
        for (PolledChannel ch : channels) {
            if (ch instanceof PcapChannel p) {
                n += p.kernelDrops();
            }
        }
        return n;
    }

    /** The changes the divert made to the host, for status output. */
    public synchronized List<String> hostChanges() {
        return divert == null ? List.of() : divert.applied();
    }

    private void teardown() {
        if (ticker != null) {
            ticker.cancel(false);
            ticker = null;
        }
        for (PolledChannel ch : channels) {
            try {
                if (ch.isRegistered()) {
                    ch.close().syncUninterruptibly();
                } else {
                    ch.unsafe().closeForcibly();
                }
            } catch (RuntimeException ex) {
                LOG.warn("closing capture on {}: {}", ch.device(), ex.toString());
            }
        }
        channels.clear();
        if (loop != null) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            loop = null;
        }
        if (uplinkEmitter != null) {
            uplinkEmitter.close();
            uplinkEmitter = null;
        }
        if (emitter != null) {
            emitter.close();
            emitter = null;
        }
        if (divert != null) {
            divert.remove();
            divert = null;
        }
        if (tun != null) {
            tun.close(); // the device goes away with its descriptor
            tun = null;
        }
        monitor = null;
    }
}

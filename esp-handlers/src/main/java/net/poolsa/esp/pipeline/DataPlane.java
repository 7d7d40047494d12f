package net.poolsa.esp.pipeline;

import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import net.poolsa.esp.capture.PcapChannel;
import net.poolsa.esp.capture.PolledChannel;
import net.poolsa.esp.capture.TunChannel;
import net.poolsa.esp.crypto.RandomSource;
import net.poolsa.esp.divert.HostCommands;
import net.poolsa.esp.divert.HostDivert;
import net.poolsa.esp.divert.InboundPolicyRules;
import net.poolsa.esp.emit.PacketSink;
import net.poolsa.esp.emit.RawSocketEmitter;
import net.poolsa.esp.emit.TunDevice;
import net.poolsa.esp.emit.UplinkEmitter;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.netlink.RtEvent;
import net.poolsa.esp.netlink.RtNetlinkReader;
import net.poolsa.esp.netlink.ThreadNice;
import net.poolsa.esp.path.EvidenceRelay;
import net.poolsa.esp.path.LocalAddress;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.path.PathMonitor;
import net.poolsa.esp.path.UplinkWatcher;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import org.pcap4j.core.PcapHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The userspace data plane as one object: {@link #start()} diverts the host's traffic, opens one channel on
 * the sink (a libpcap capture of a dummy/ifb interface, or a TUN device: {@link DataPlaneConfig.Sink}) and one
 * capture per uplink, all read on one event loop with its own emitters and crypto processor,
 * and starts path monitoring, which follows the kernel's link, address and route events (rtnetlink, read by a small
 * thread that hands them to the loop) and its own probe timer, re-armed for the next deadline the monitor names;
 * {@link #stop()} undoes all of it. A start that fails
 * half-way is rolled back before the exception leaves. {@link #reconfigure} applies a reload's connections
 * (peers to probe, routes into the sink, inbound-policy rules, outer addresses of new SAs) while it runs.
 * The drops of the inbound-policy rules (RFC 4301 §5.2, made by the host's nftables) are read every
 * {@link #HOST_COUNTER_PERIOD} and reported to the listener as {@link DropReason#INBOUND_CLEARTEXT} and
 * {@link DropReason#INBOUND_DISCARD}.
 *
 * <pre>
 * sink (cleartext)  --pcap or tun--> decode -> SPD -> protect -> emit --TX ring (raw socket fallback)--> uplinks (ESP)
 * uplinks (ESP)     --pcap--> decode/reassemble -> SAD -> unprotect -> emit --raw socket or tun--> kernel routing
 * </pre>
 *
 * <p><b>Several event loops</b> ({@link DataPlaneConfig#eventLoops()} N &gt; 1, capture sink): every capture is
 * opened N times, one per loop, the N sockets of an interface joined in one PACKET_FANOUT group that spreads packets
 * by the kernel's flow hash (packet(7)), so the packets of one flow, and the fragments of one datagram, are read by
 * one loop in order. Each loop has its own crypto processor, raw sockets and TX rings (a TX ring has one producer).
 * Each outbound SA is owned by one loop ({@link LoopHandOff}: a hash of its SPI): a loop that captures cleartext for
 * an SA it does not own hands the packet to the owner (batched per read, one wake-up per batch, a bounded lane), and
 * the owner alone assigns the SA's sequence numbers, seals and emits, so its ESP packets leave in sequence order
 * (a peer's 32-packet replay window sees no reordering from us), and so do the dummy packets that announce a move.
 * What loops share is lock-free: the SAD and SPD, each SA's replay window (RFC 4303 §3.4.3, compare-and-set: inbound
 * ESP of one SA over one path is one flow to the fanout hash, but a path change can move it), its counters, the drop
 * listener. The path monitor stays on the first loop; the others hand it their evidence ({@link EvidenceRelay}: at
 * once when an SA's packets come over another path, else at most once per eighth of the probe interval per path).
 */
public final class DataPlane implements AutoCloseable {
    /**
     * What the uplinks capture: IPsec, ESP in UDP, and the replies to our path probes. IPv4 fragments of UDP are
     * all taken, since only the first carries the port (RFC 3948 leaves fragmentation to IP): the reassembler
     * joins them and what is not ESP in UDP is dropped after. IPv6 ESP, AH and UDP are taken behind up to two
     * Hop-by-Hop, Routing, Destination Options or Fragment headers (RFC 8200 §4.1), and any packet with a third
     * such header is handed over for the decoder to walk: libpcap's {@code esp}/{@code ah} look only at the
     * fixed header and one Fragment header, {@code udp port} only at the fixed header.
     */
    public static final String UPLINK_FILTER = "esp or ah or (udp port 4500) or (ip proto 17 and ip[6:2] & 0x3fff != 0)"
            + " or (icmp and icmp[icmptype] == icmp-echoreply) or (icmp6 and ip6[40] == 129)"
            + " or (ip6 and " + extensionHeader("ip6[6]") + " and (" + ipsecOrUdp("ip6[40]") + " or ("
            + extensionHeader("ip6[40]") + " and (" + ipsecOrUdp("ip6[40 + (ip6[41] + 1) * 8]") + " or "
            + extensionHeader("ip6[40 + (ip6[41] + 1) * 8]") + "))))";
    public static final String SINK_FILTER = "ip or ip6";
    /** How often the host firewall's drop counters are read (a child process each time, off the event loop). */
    public static final Duration HOST_COUNTER_PERIOD = Duration.ofSeconds(2);
    /** How often held fragments are checked for expiry. */
    static final Duration HOUSEKEEPING_PERIOD = Duration.ofMillis(100);
    /** The path timer never fires sooner than this after the last run: bounds its cost when deadlines pile up. */
    private static final long MIN_PATH_TICK_NANOS = 1_000_000L;
    /** System property: {@code ring} sends decapsulated packets through TX rings (the default), {@code raw} through raw sockets. */
    public static final String DECAPSULATED_EMIT_PROPERTY = "poolsa.emit.decapsulated";
    /** Cleartext-side interfaces given a TX ring at most (per event loop). */
    static final int CLEARTEXT_RINGS = 8;
    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);

    /** Builds the crypto stage; called once per event loop thread (e.g. {@code IpsecProcessor} per thread). */
    @FunctionalInterface
    public interface ProtectorFactory {
        PacketProtector create(ByteBufAllocator alloc, DropListener drops);
    }

    /** BPF: the next-header byte at {@code at} names Hop-by-Hop, Routing, Fragment or Destination Options. */
    private static String extensionHeader(String at) {
        return "(" + at + " == 0 or " + at + " == 43 or " + at + " == 44 or " + at + " == 60)";
    }

    /** BPF: the next-header byte at {@code at} names ESP, AH or UDP. */
    private static String ipsecOrUdp(String at) {
        return "(" + at + " == 50 or " + at + " == 51 or " + at + " == 17)";
    }

    private final DataPlaneConfig config;
    private final ProtectorFactory protectors;
    private final DataPathListener listener;
    private final List<PolledChannel> channels = new ArrayList<>();
    private final List<Integer> channelLoops = new ArrayList<>(); // the loop index of each of channels
    private final List<SingleThreadEventLoop> loops = new ArrayList<>();
    private final List<RawSocketEmitter> emitters = new ArrayList<>();
    private final List<UplinkEmitter> uplinkEmitters = new ArrayList<>();
    private final List<ScheduledFuture<?>> tickers = new ArrayList<>();
    private LoopHandOff handOff; // null with one loop
    private volatile HostDivert divert; // volatile: the counter thread reads it while stop() holds the lock
    private TunDevice tun;
    private SingleThreadEventLoop loop; // loops' first: owns the path monitor
    private RawSocketEmitter emitter; // loop's: probes and announcements
    private UplinkEmitter uplinkEmitter; // loop's
    private PathMonitor monitor;
    private UplinkWatcher uplinkWatcher;
    private RtNetlinkReader netlink;
    private ScheduledFuture<?> pathTimer; // on the loop only
    private long pathTimerAt;
    private ScheduledExecutorService hostCounters;
    private final Object reportLock = new Object();
    private HostDivert.InboundDrops reported = HostDivert.InboundDrops.NONE; // guarded by reportLock
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
                List<String> names = uplinkInterfaces();
                divert = tun != null
                        ? HostDivert.intoTun(HostCommands.local(), config.sinkInterface(), config.protectedRemotePrefixes(), names)
                        : new HostDivert(HostCommands.local(), config.sinkInterface(), config.protectedRemotePrefixes(), names);
                divert.inboundPolicy(inboundRules(config.peerAddresses()));
                divert.apply();
            }
            int n = loopCount();
            int mark = config.manageHost() ? HostDivert.FWMARK : 0;
            List<String> uplinkNames = config.uplinks().stream().map(DataPlaneConfig.Uplink::interfaceName).toList();
            List<String> cleartextNames = tun == null && decapsulatedThroughRings() ? cleartextInterfaces(uplinkNames) : List.of();
            for (int i = 0; i < n; i++) {
                // Per loop: raw sockets batch per sendmmsg and TX rings have one producer each (packet(7)).
                RawSocketEmitter raw = new RawSocketEmitter(listener, mark);
                emitters.add(raw);
                // ESP/AH towards the uplinks and decapsulated packets towards the cleartext side through TX rings (raw
                // socket fallback); path probes stay raw.
                uplinkEmitters.add(UplinkEmitter.open(UplinkEmitter.Mode.configured(), uplinkNames, cleartextNames, raw, mark, listener));
                // epoll loops: the captures are read on the loop's own epoll_wait, without waker threads (PolledChannel)
                loops.add(PolledChannel.newEventLoop(new DefaultThreadFactory(n == 1 ? "poolsa-dataplane" : "poolsa-dataplane-" + i, true)));
            }
            emitter = emitters.get(0);
            uplinkEmitter = uplinkEmitters.get(0);
            loop = loops.get(0);
            // The monitor's loop moves SAs in the turn of a link event: like the rtnetlink reader, ahead of ordinary threads.
            loop.execute(() -> {
                try {
                    ThreadNice.raiseCallingThread(ThreadNice.RAISE);
                } catch (RuntimeException ex) {
                    LOG.info("data plane loop at the process's priority: {}", ex.getMessage());
                }
            });
            // The same allocator as the channels' (PolledChannel): per-thread caches, each loop on its own thread.
            ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
            List<PacketProtector> protectorsByLoop = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                protectorsByLoop.add(protectors.create(alloc, listener));
            }
            PacketProtector protector = protectorsByLoop.get(0);
            if (n > 1) {
                handOff = new LoopHandOff(n, listener);
            }
            List<LocalAddress> locals = config.uplinks().stream()
                    .map(u -> new LocalAddress(u.address(), u.prefixLength(), u.interfaceName())).toList();
            RawSocketEmitter e = emitter;
            monitor = new PathMonitor(locals, config.peerAddresses(), config.paths(), e::send, alloc, listener,
                    RandomSource.SYSTEM.newGenerator());
            // Sealed by the SA's owner, which numbers all its packets (the monitor calls this on loop 0).
            LoopHandOff h = handOff;
            List<SingleThreadEventLoop> loopsByIndex = List.copyOf(loops);
            List<RawSocketEmitter> rawByLoop = List.copyOf(emitters);
            monitor.announceMovesWith(sa -> {
                int owner = h == null ? 0 : h.owner(sa);
                if (owner == 0) {
                    announceMove(protector, e, sa);
                } else {
                    PacketProtector p = protectorsByLoop.get(owner);
                    RawSocketEmitter r = rawByLoop.get(owner);
                    loopsByIndex.get(owner).execute(() -> announceMove(p, r, sa));
                }
            });
            // Before any channel runs: the SAs installed now are indexed by the loop's first task.
            monitor.watch(config.kernel().sad(), loop);
            startUplinkEvents();

            // N captures per interface, one per loop, in one PACKET_FANOUT group (flow hash): a flow stays on one loop.
            int sinkGroup = -1;
            for (int i = 0; i < n; i++) {
                PolledChannel sink;
                if (tun != null) {
                    sink = new TunChannel(tun, uplinkEmitter); // n is 1: the TUN device is one queue
                } else {
                    PcapChannel capture = new PcapChannel(config.sinkInterface(), SINK_FILTER, PcapHandle.PcapDirection.OUT,
                            uplinkEmitters.get(i), listener, config.immediateCapture());
                    channels.add(capture); // before open(): a failed start closes what was opened
                    channelLoops.add(i);
                    if (n > 1) {
                        sinkGroup = capture.openInFanout(sinkGroup);
                    } else {
                        capture.open();
                    }
                    sink = capture;
                }
                if (tun != null) {
                    channels.add(sink);
                    channelLoops.add(i);
                }
                Pipelines.cleartext(sink.pipeline(), config.kernel(), protectorsByLoop.get(i), config.mtu(), listener,
                        RandomSource.SYSTEM, handOff == null ? null : handOff.stage(i));
            }
            List<List<IpDecoder>> decoders = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                decoders.add(new ArrayList<>());
            }
            // One capture group per interface, however many addresses it has: a second one would hand every packet over
            // twice (a replayed ESP packet, a probe reply taken twice).
            for (String uplink : uplinkInterfaces()) {
                int group = -1;
                for (int i = 0; i < n; i++) {
                    PcapChannel ch = new PcapChannel(uplink, UPLINK_FILTER, PcapHandle.PcapDirection.IN,
                            tun != null ? tun : uplinkEmitters.get(i).decapsulated(), listener, config.immediateCapture());
                    channels.add(ch);
                    channelLoops.add(i);
                    if (n > 1) {
                        group = ch.openInFanout(group);
                    } else {
                        ch.open();
                    }
                    // The monitor lives on loop 0; the other loops hand their evidence over (EvidenceRelay).
                    PathEvidence evidence = i == 0 ? monitor : new EvidenceRelay(monitor, loop, listener, config.paths());
                    Pipelines.uplink(ch.pipeline(), config.kernel(), protectorsByLoop.get(i), evidence, listener, config.mtu(),
                            config.sink());
                    decoders.get(i).add(ch.pipeline().get(IpDecoder.class));
                }
            }
            for (int c = 0; c < channels.size(); c++) {
                loops.get(channelLoops.get(c)).register(channels.get(c)).sync();
            }
            long period = HOUSEKEEPING_PERIOD.toNanos();
            for (int i = 0; i < n; i++) {
                List<IpDecoder> mine = List.copyOf(decoders.get(i));
                tickers.add(loops.get(i).scheduleAtFixedRate(() -> {
                    long now = System.nanoTime();
                    for (IpDecoder d : mine) {
                        d.expire(now); // held fragments time out even when no further fragment arrives
                    }
                }, period, period, TimeUnit.NANOSECONDS));
            }
            loop.execute(this::pathTick);
            if (divert != null) {
                hostCounters = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("poolsa-host-counters", true));
                long p = HOST_COUNTER_PERIOD.toNanos();
                hostCounters.scheduleWithFixedDelay(this::reportHostDrops, p, p, TimeUnit.NANOSECONDS);
            }
            started = true;
            LOG.info("data plane started: sink {} ({}), uplinks {}, {} event loop{}", config.sinkInterface(),
                    divert == null ? "prepared by the host, " + config.sink() : divert.sinkKind(), config.uplinks(),
                    loopCount(), loopCount() == 1 ? "" : "s (captures in PACKET_FANOUT groups by flow hash)");
        } catch (Exception ex) {
            LOG.warn("data plane start failed, rolling back: {}", ex.toString());
            teardown();
            throw new IllegalStateException("data plane failed to start: " + ex.getMessage(), ex);
        }
    }

    /**
     * A dummy packet on the SA's new path (RFC 4303 §2.6), so that the peer follows at once. Through the raw socket:
     * the kernel routes it at once over what is left, while the rings' next hops may still await the same link event
     * on the neighbour thread.
     */
    private static void announceMove(PacketProtector protector, RawSocketEmitter raw, SecurityAssociation sa) {
        ByteBuf dummy = protector.dummy(sa);
        if (dummy != null) {
            raw.send(dummy);
            raw.flush();
        }
    }

    /**
     * Reads the kernel's link and address state now (the monitor's uplinks that are missing or down are known before
     * traffic flows) and its changes from then on, each batch applied on the loop and followed by a path tick (a
     * link that came back is probed at once). Without rtnetlink, failures are still found by the probes.
     */
    private void startUplinkEvents() {
        UplinkWatcher w = new UplinkWatcher(monitor);
        uplinkWatcher = w;
        RtNetlinkReader reader = new RtNetlinkReader((events, full, nanos) -> loop.execute(() -> uplinkEvents(w, events, full, nanos)),
                "poolsa-rtnetlink");
        try {
            List<RtEvent> state = reader.start();
            long nanos = System.nanoTime();
            netlink = reader;
            loop.execute(() -> uplinkEvents(w, state, true, nanos));
        } catch (RuntimeException ex) {
            LOG.warn("no rtnetlink ({}): local link events are not seen; failures are found by the path probes", ex.getMessage());
        }
    }

    /** On the loop: a batch of kernel events, then the path timer's work at once (the SAs may have moved). */
    private void uplinkEvents(UplinkWatcher w, List<RtEvent> events, boolean full, long nanos) {
        if (monitor == null) {
            return; // stopped meanwhile
        }
        w.apply(events, full, nanos, System.nanoTime());
        pathTick();
    }

    /** On the loop: the monitor's timer work, probes flushed, and the timer armed for the monitor's next deadline. */
    private void pathTick() {
        PathMonitor m = monitor;
        RawSocketEmitter e = emitter;
        if (m == null || e == null) {
            return;
        }
        long now = System.nanoTime();
        long next = Math.max(m.tick(now), now + MIN_PATH_TICK_NANOS);
        e.flush();
        ScheduledFuture<?> t = pathTimer;
        if (t != null && !t.isDone()) {
            if (pathTimerAt - next <= 0) {
                return; // already armed for as soon or sooner
            }
            t.cancel(false);
        }
        pathTimerAt = next;
        pathTimer = loop.schedule(this::pathTimerFired, next - now, TimeUnit.NANOSECONDS);
    }

    /** The armed timer ran: it is no longer pending (its future is not done while it runs), so the tick re-arms it. */
    private void pathTimerFired() {
        pathTimer = null;
        pathTick();
    }

    /**
     * Authenticated proof from the control plane (an IKE DPD answer, RFC 3706) that the path from {@code remote} to
     * {@code local} works; handed to the loop. No-op when the data plane is not running.
     */
    public synchronized void pathConfirmed(OuterAddress local, OuterAddress remote) {
        if (started) {
            PathMonitor m = monitor;
            long now = System.nanoTime();
            loop.execute(() -> m.confirmed(local, remote, now));
        }
    }

    /**
     * The peer addresses whose paths take authenticated evidence only (IKE-keyed with DPD): ICMP echo replies become
     * hints there ({@link PathMonitor#authenticatedOnly}). Handed to the loop; no-op when not running.
     */
    public synchronized void authenticatedOnly(List<OuterAddress> remotes) {
        if (started) {
            PathMonitor m = monitor;
            List<OuterAddress> copy = List.copyOf(remotes);
            loop.execute(() -> m.authenticatedOnly(copy));
        }
    }

    /** The monitored paths and their state, read on the loop (status output); empty when not running. */
    public synchronized List<PathMonitor.Path> paths() {
        if (!started) {
            return List.of();
        }
        PathMonitor m = monitor;
        return loop.submit(m::paths).syncUninterruptibly().getNow();
    }

    /**
     * Applies a reload's connections without a restart: the path monitor watches {@code peerAddresses} (new paths
     * start unverified; SAs of the reload were indexed when installed and get their first path here if they had none),
     * on the event loop, which owns them; then the
     * routes into the sink become {@code protectedRemotePrefixes} and the inbound-policy rules are rebuilt from
     * the kernel's SPD in one nft transaction. Interfaces, sink and MTU stay as started.
     *
     * @throws IllegalStateException when the data plane is not running, or the host refused a change
     */
    public synchronized void reconfigure(List<String> protectedRemotePrefixes, List<OuterAddress> peerAddresses) {
        if (!started) {
            throw new IllegalStateException("data plane not started");
        }
        PathMonitor m = monitor;
        List<OuterAddress> peers = List.copyOf(peerAddresses);
        loop.submit(() -> {
            m.setPeers(peers);
            pathTick();
        }).syncUninterruptibly();
        if (divert != null) {
            divert.routes(protectedRemotePrefixes);
            divert.inboundPolicy(inboundRules(peers));
        }
        LOG.info("data plane reconfigured: peers {}, diverted {}", peers, protectedRemotePrefixes);
    }

    /** The inbound-policy rules in force on the host (none when the host is prepared by someone else). */
    public synchronized InboundPolicyRules inboundPolicy() {
        return divert == null ? InboundPolicyRules.NONE : divert.inboundPolicy();
    }

    private List<String> uplinkInterfaces() {
        return config.uplinks().stream().map(DataPlaneConfig.Uplink::interfaceName).distinct().toList();
    }

    /** {@value #DECAPSULATED_EMIT_PROPERTY}: {@code ring} (the default) or {@code raw}. */
    static boolean decapsulatedThroughRings() {
        String v = System.getProperty(DECAPSULATED_EMIT_PROPERTY, "ring").trim();
        if (!v.equals("ring") && !v.equals("raw")) {
            throw new IllegalArgumentException("-D" + DECAPSULATED_EMIT_PROPERTY + "=" + v + ": ring or raw");
        }
        return v.equals("ring");
    }

    /**
     * The interfaces decapsulated packets may leave through, for their TX rings: the interfaces of this network
     * namespace that are up and have an address at start (bridge ports and other interfaces without an address are
     * not routed to), chosen by {@link #cleartextRings}. Which one a packet takes is the kernel's route for it, asked
     * per destination; the emitter skips those that are not Ethernet, and the rest keep the raw socket.
     */
    private List<String> cleartextInterfaces(List<String> uplinks) {
        List<String> addressed = new ArrayList<>();
        try {
            Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
            while (all != null && all.hasMoreElements()) {
                NetworkInterface ni = all.nextElement();
                if (ni.isUp() && !ni.isLoopback() && ni.getParent() == null && ni.getInetAddresses().hasMoreElements()) {
                    addressed.add(ni.getName());
                }
            }
        } catch (SocketException e) {
            LOG.info("emit: decapsulated packets take the raw socket: the interfaces cannot be listed ({})", e.getMessage());
            return List.of();
        }
        return cleartextRings(addressed, config.sinkInterface(), uplinks);
    }

    /**
     * Of {@code candidates}, those that get a ring for decapsulated packets: not the sink, not an uplink (it has a ring
     * anyway), at most {@value #CLEARTEXT_RINGS} in name order (a ring is 2 MB of kernel memory per loop); the others
     * are logged once.
     */
    static List<String> cleartextRings(Collection<String> candidates, String sink, List<String> uplinks) {
        TreeSet<String> names = new TreeSet<>(candidates);
        names.remove(sink);
        names.removeAll(uplinks);
        List<String> sorted = List.copyOf(names);
        List<String> chosen = sorted.subList(0, Math.min(sorted.size(), CLEARTEXT_RINGS));
        if (sorted.size() > CLEARTEXT_RINGS) {
            LOG.info("emit: decapsulated packets through {} take the raw socket (rings on the first {} interfaces only: {})",
                    sorted.subList(CLEARTEXT_RINGS, sorted.size()), CLEARTEXT_RINGS, chosen);
        }
        return chosen;
    }

    private InboundPolicyRules inboundRules(List<OuterAddress> peers) {
        return InboundPolicyRules.from(config.kernel(), config.uplinks().stream().map(DataPlaneConfig.Uplink::address).toList(),
                peers);
    }

    /** Reports what the host firewall dropped since the last report (on the counter thread, and once at stop). */
    private void reportHostDrops() {
        HostDivert d = divert;
        if (d == null) {
            return;
        }
        try {
            HostDivert.InboundDrops now = d.inboundDrops();
            synchronized (reportLock) {
                // A table made anew (its counters at zero) restarts the count rather than going backwards.
                long cleartext = now.protectedCleartext() - reported.protectedCleartext();
                long discarded = now.discarded() - reported.discarded();
                listener.droppedByHost(DropReason.INBOUND_CLEARTEXT, cleartext < 0 ? now.protectedCleartext() : cleartext);
                listener.droppedByHost(DropReason.INBOUND_DISCARD, discarded < 0 ? now.discarded() : discarded);
                reported = now;
            }
        } catch (RuntimeException ex) {
            LOG.warn("reading the inbound-policy counters: {}", ex.getMessage());
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

    /**
     * What outer IPsec leaves through on the first event loop (TX rings or raw sockets, and why; every loop's emitter
     * is set up alike: {@link #uplinkEmitters()}), for status and tests; null when stopped.
     */
    public synchronized UplinkEmitter uplinkEmitter() {
        return uplinkEmitter;
    }

    /**
     * The event loops the captures run on: {@link DataPlaneConfig#eventLoops()}, or 1 with the TUN sink (one device
     * queue, read and written by one loop).
     */
    public int loopCount() {
        return config.sink() == DataPlaneConfig.Sink.TUN ? 1 : config.eventLoops();
    }

    /** What outer IPsec leaves through, one emitter per event loop (index = loop); empty when stopped. */
    public synchronized List<UplinkEmitter> uplinkEmitters() {
        return List.copyOf(uplinkEmitters);
    }

    /**
     * Frames each event loop's captures took so far (index = loop; the captures of the sink and of every uplink):
     * with several loops, how the PACKET_FANOUT groups spread the traffic. Empty when stopped or with the TUN sink.
     */
    public synchronized long[] capturedPerLoop() {
        long[] n = new long[channels.isEmpty() ? 0 : loopCount()];
        for (int c = 0; c < channels.size(); c++) {
            if (channels.get(c) instanceof PcapChannel p) {
                n[channelLoops.get(c)] += p.captured();
            }
        }
        return n;
    }

    /**
     * Cleartext packets each event loop handed to the loop that owns their SA so far (index = loop), or empty with one
     * loop ({@link LoopHandOff}).
     */
    public synchronized long[] handedOffPerLoop() {
        LoopHandOff h = handOff;
        long[] n = new long[h == null ? 0 : h.loops()];
        for (int i = 0; i < n.length; i++) {
            n[i] = h.handedOff(i);
        }
        return n;
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
        if (hostCounters != null) {
            hostCounters.shutdownNow();
            try {
                hostCounters.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            hostCounters = null;
            reportHostDrops(); // the last drops before the table goes
        }
        tickers.forEach(t -> t.cancel(false));
        tickers.clear();
        if (netlink != null) {
            netlink.close();
            netlink = null;
        }
        if (monitor != null) {
            monitor.unwatch();
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
        channelLoops.clear();
        for (SingleThreadEventLoop l : loops) {
            l.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        loops.clear();
        loop = null;
        if (handOff != null) {
            handOff.releaseAll(); // no loop runs any more: what was still queued between them
            handOff = null;
        }
        uplinkEmitters.forEach(UplinkEmitter::close);
        uplinkEmitters.clear();
        uplinkEmitter = null;
        emitters.forEach(RawSocketEmitter::close);
        emitters.clear();
        emitter = null;
        if (divert != null) {
            divert.remove();
            divert = null;
        }
        if (tun != null) {
            tun.close(); // the device goes away with its descriptor
            tun = null;
        }
        monitor = null;
        uplinkWatcher = null;
    }
}
